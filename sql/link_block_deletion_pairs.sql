-- Record pairs whose (different) key values share a deletion key, within blocks under the cap, one of
-- the two values meeting the rule's one_side condition, and none whose values a guard left uncompared
-- keep apart (apart_0, ...).
INSERT INTO {pairs}
WITH value_pairs AS (
    SELECT DISTINCT a.v AS v1, b.v AS v2
    FROM {keys} AS a
    JOIN {keys} AS b ON a.block_key = b.block_key AND a.v < b.v
    JOIN {sizes} AS s ON s.block_key = a.block_key
    WHERE s.n <= $cap AND (a.probe OR b.probe)
),
rec AS (
    SELECT r.record_id, {grp} AS grp, {key} AS v{apart} FROM {records} AS r WHERE {where} AND {key} IS NOT NULL
)
SELECT least(a.record_id, b.record_id) AS l, greatest(a.record_id, b.record_id) AS r,
       CAST($bit AS BIGINT) AS rules
FROM value_pairs AS p
JOIN rec AS a ON a.v = p.v1
JOIN rec AS b ON b.v = p.v2
WHERE {grp_condition} AND {apart_condition}
