-- One row per (record, block key) of one blocking rule; {key} may be a list when {unnest} is 'UNNEST'.
-- The key is kept as its 64-bit hash: every later grouping and join works on integers (a collision
-- only merges two blocks, adding candidate pairs the model then scores).
-- probe: whether the record satisfies the rule's one_side condition (a pair needs one such record).
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT record_id, grp, hash(block_key) AS block_key, bool_or(probe) AS probe
FROM (
    SELECT r.record_id, {grp} AS grp, {unnest}({key}) AS block_key, coalesce({one_side}, FALSE) AS probe
    FROM {records} AS r
    WHERE {where}
)
WHERE block_key IS NOT NULL AND block_key <> ''
GROUP BY record_id, grp, hash(block_key)
