-- Deletion neighbourhood of every distinct key value: the value with one character removed, for each position
-- (as a 64-bit hash: a collision only adds a candidate pair, which the model then scores). Two values one
-- substitution or one adjacent transposition apart share at least one deletion key.
-- probe: whether a record holding the value meets the rule's one_side condition. A pair needs one probe value,
-- so only the deletion keys of probe values are kept (for a rule whose values all qualify, all of them).
CREATE OR REPLACE TEMP TABLE {out} AS
WITH vals AS (
    SELECT {key} AS v, bool_or(coalesce({one_side}, FALSE)) AS probe
    FROM {records} AS r
    WHERE {where} AND {key} IS NOT NULL AND {key} <> ''
    GROUP BY 1
),
deletions AS (
    SELECT v, probe,
           unnest(list_transform(range(1, length(v) + 1), lambda i: hash(substr(v, 1, i - 1) || substr(v, i + 1)))) AS block_key
    FROM vals
),
probe_keys AS (
    SELECT DISTINCT block_key FROM deletions WHERE probe
)
SELECT DISTINCT v, block_key, probe
FROM deletions
WHERE probe OR block_key IN (SELECT block_key FROM probe_keys)
