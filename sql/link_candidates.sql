-- The union of all rules' pairs: one row per pair, with the bit mask of the rules that produced it.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT l, r, bit_or(rules) AS rules
FROM {pairs}
GROUP BY l, r
