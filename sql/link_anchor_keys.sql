-- Anchor keys of one anchor type: a salted sha256 (first 128 bits) of the normalised value, never the value itself.
INSERT INTO {out}
SELECT r.record_id, $anchor_type AS anchor_type,
       left(sha256($namespace || '|' || $anchor_type || '|' || CAST({expr} AS VARCHAR)), 32) AS anchor_key,
       CAST($weight AS DOUBLE) AS weight
FROM {records} AS r
WHERE {expr} IS NOT NULL AND CAST({expr} AS VARCHAR) <> ''
