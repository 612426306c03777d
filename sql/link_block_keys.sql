-- One row per (record, block key) of one blocking rule; {key} may be a list when {unnest} is 'UNNEST'.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT DISTINCT record_id, grp, block_key
FROM (
    SELECT r.record_id, {grp} AS grp, {unnest}({key}) AS block_key
    FROM {records} AS r
    WHERE {where}
)
WHERE block_key IS NOT NULL AND block_key <> ''
