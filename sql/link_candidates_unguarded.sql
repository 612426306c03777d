-- The union of all rules' pairs (as link_candidates.sql), without the pairs that a guard decided by
-- numbers both records carry keeps apart ({apart}, SQL over l and r: two different valid identity
-- numbers). Such a pair never links: comparing and scoring it only costs, and a third of the
-- candidates at province scale are namesakes born the same day with numbers of their own.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT c.l, c.r, c.rules
FROM (SELECT l, r, bit_or(rules) AS rules FROM {pairs} GROUP BY l, r) AS c
JOIN {records} AS l ON l.record_id = c.l
JOIN {records} AS r ON r.record_id = c.r
WHERE NOT coalesce(({apart}), FALSE)
