-- Relative frequency of every value of one column (term frequencies for the exact-match adjustment).
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT {column} AS value, count(*) / sum(count(*)) OVER () AS tf
FROM {records}
WHERE {column} IS NOT NULL
GROUP BY {column}
