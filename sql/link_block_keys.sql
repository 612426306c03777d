-- One row per (record, block key) of one blocking rule; {key} may be a list when {unnest} is 'UNNEST'.
-- The key is kept as its 64-bit hash: every later grouping and join works on integers (a collision
-- only merges two blocks, adding candidate pairs the model then scores).
-- probe: whether the record satisfies the rule's one_side condition (a pair needs one such record).
-- apart_0, ...: the record's hashed values of the columns whose differing values keep two records from
-- being paired (none when no guard is left uncompared).
-- A list may hold one key twice: the rows are then grouped by record and key (the grouping's
-- aggregates in {probe} and the carried columns). One key per record needs no grouping.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT record_id, grp, hash(block_key) AS block_key, {probe} AS probe{apart_carried}
FROM (
    SELECT r.record_id, {grp} AS grp, {unnest}({key}) AS block_key, coalesce({one_side}, FALSE) AS probe{apart}
    FROM {records} AS r
    WHERE {where}
)
WHERE block_key IS NOT NULL AND block_key <> ''
{group_by}
