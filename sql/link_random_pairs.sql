-- Deterministic pseudo-random record pairs for estimating u: records ordered by a seeded hash,
-- the first $m of them each paired with the next $k records in that order (wrapping around).
CREATE OR REPLACE TEMP TABLE {out} AS
WITH ordered AS (
    SELECT record_id, row_number() OVER (ORDER BY hash(record_id, $seed), record_id) - 1 AS pos,
           count(*) OVER () AS n
    FROM {records}
)
SELECT least(a.record_id, b.record_id) AS l, greatest(a.record_id, b.record_id) AS r
FROM ordered AS a
CROSS JOIN range(1, $k + 1) AS s(step)
JOIN ordered AS b ON b.pos = (a.pos + s.step) % a.n
WHERE a.pos < $m
