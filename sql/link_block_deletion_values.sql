-- Deletion neighbourhood of every distinct key value: the value with one character removed, for each position.
-- Two values one substitution or one adjacent transposition apart share at least one deletion key.
-- probe: whether a record holding the value meets the rule's one_side condition (a pair needs one such value).
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT DISTINCT v, block_key, probe
FROM (
    SELECT v, probe,
           unnest(list_transform(range(1, length(v) + 1), lambda i: substr(v, 1, i - 1) || substr(v, i + 1))) AS block_key
    FROM (
        SELECT {key} AS v, bool_or(coalesce({one_side}, FALSE)) AS probe
        FROM {records} AS r
        WHERE {where} AND {key} IS NOT NULL AND {key} <> ''
        GROUP BY 1
    )
)
