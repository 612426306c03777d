-- Fallback keys (a record's source, file and row) for clusters without any real anchor.
INSERT INTO {out}
SELECT record_id, 'fallback' AS anchor_type,
       left(sha256($namespace || '|fallback|' || CAST({expr} AS VARCHAR)), 32) AS anchor_key,
       0.0::DOUBLE AS weight
FROM {records} AS r
WHERE ({expr}) IS NOT NULL
