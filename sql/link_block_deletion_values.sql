-- Deletion neighbourhood of every distinct key value: the value with one character removed, for each position.
-- Two values one substitution or one adjacent transposition apart share at least one deletion key.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT DISTINCT v, block_key
FROM (
    SELECT v, unnest(list_transform(range(1, length(v) + 1), lambda i: substr(v, 1, i - 1) || substr(v, i + 1))) AS block_key
    FROM (SELECT DISTINCT {key} AS v FROM {records} AS r WHERE {where} AND {key} IS NOT NULL AND {key} <> '')
)
