-- Re-key the records of oversized blocks by appending a sub-key; blocks of normal size keep their key.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT k.record_id, k.grp,
       CASE WHEN s.n > $cap THEN hash(k.block_key, sub.sub_key) ELSE k.block_key END AS block_key,
       k.probe{apart_kept}
FROM {keys} AS k
JOIN {sizes} AS s USING (block_key)
LEFT JOIN (
    SELECT r.record_id, CAST({sub_key} AS VARCHAR) AS sub_key FROM {records} AS r
) AS sub USING (record_id)
WHERE s.n <= $cap OR sub.sub_key IS NOT NULL
