-- Anchors per cluster: the record anchors grouped by the cluster the record ended in, each with its
-- heaviest weight. Fallback keys (hashed source|file|row) are not evidence across runs: a cluster with
-- no real anchor keeps all of them (its id is seeded by its rows), any other cluster keeps only its
-- smallest one, the tie-breaker between clusters that hold the same real anchors. In no order: every
-- reader groups or sorts them (matchers/stable_ids.py).
WITH tagged AS (
    SELECT c.cluster_id, a.anchor_type, a.anchor_key, max(a.weight) AS weight
    FROM {anchors} AS a
    JOIN {clusters} AS c ON c.record_id = a.record_id
    GROUP BY ALL
),
has_real AS (
    SELECT DISTINCT cluster_id FROM tagged WHERE anchor_type <> 'fallback'
),
first_row AS (
    SELECT cluster_id, min(anchor_key) AS anchor_key
    FROM tagged
    WHERE anchor_type = 'fallback'
    GROUP BY cluster_id
)
SELECT t.cluster_id, t.anchor_type, t.anchor_key, t.weight
FROM tagged AS t
WHERE t.anchor_type <> 'fallback'
   OR t.cluster_id NOT IN (SELECT cluster_id FROM has_real)
   OR (t.cluster_id, t.anchor_key) IN (SELECT (cluster_id, anchor_key) FROM first_row)
