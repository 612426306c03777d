-- The parts of each cluster's id seed (matchers/stable_ids.py, _seeds): its distinct real anchor
-- keys and its distinct fallback keys, each sorted and joined by commas (NULL when it has none), and
-- its smallest fallback key. Over the cluster anchors (cluster_id, anchor_type, anchor_key).
SELECT cluster_id,
       string_agg(DISTINCT anchor_key, ',' ORDER BY anchor_key) FILTER (WHERE anchor_type <> 'fallback') AS "real",
       string_agg(DISTINCT anchor_key, ',' ORDER BY anchor_key) FILTER (WHERE anchor_type = 'fallback') AS "rows",
       min(anchor_key) FILTER (WHERE anchor_type = 'fallback') AS first_row
FROM {anchors}
GROUP BY cluster_id
