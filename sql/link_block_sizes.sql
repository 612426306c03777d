-- Size of every block of one rule, computed before any pair is formed (the guard against giant blocks).
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT block_key, count(*) AS n
FROM {keys}
GROUP BY block_key
