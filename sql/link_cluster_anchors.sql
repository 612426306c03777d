-- Anchors per cluster: the record anchors (and the fallback key of every record) grouped by the
-- cluster the record ended in, each with its heaviest weight. Fallback keys only seed the ids of
-- clusters with no real anchor, so they are kept for those clusters alone.
WITH tagged AS (
    SELECT c.cluster_id, a.anchor_type, a.anchor_key, max(a.weight) AS weight
    FROM {anchors} AS a
    JOIN {clusters} AS c ON c.record_id = a.record_id
    GROUP BY ALL
),
has_real AS (
    SELECT DISTINCT cluster_id FROM tagged WHERE anchor_type <> 'fallback'
)
SELECT t.cluster_id, t.anchor_type, t.anchor_key, t.weight
FROM tagged AS t
WHERE t.anchor_type <> 'fallback' OR t.cluster_id NOT IN (SELECT cluster_id FROM has_real)
ORDER BY ALL
