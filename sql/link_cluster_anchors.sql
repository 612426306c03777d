-- Anchors per cluster: the records' real anchors grouped by the cluster the record ended in, each
-- with its heaviest weight, and the row keys (a record's hashed source|file|row) a cluster's id seed
-- may need (matchers/stable_ids.py, _seeds). Row keys are not evidence across runs: a cluster with
-- no real anchor gets all of its records' row keys (its id is seeded by its rows); a cluster whose
-- real anchors another cluster may hold too gets its smallest row key (the tie-breaker between
-- them); any other cluster needs none, and its records' rows are not hashed (a million hashes at
-- province scale, for keys no seed would read). "May hold too": the clusters of an equal count and
-- sum of key hashes, a superset of those with equal keys (a hash collision only adds a cluster
-- whose row key its seed then ignores). In no order: every reader groups or sorts them.
WITH tagged AS (
    SELECT c.cluster_id, a.anchor_type, a.anchor_key, max(a.weight) AS weight
    FROM {anchors} AS a
    JOIN {clusters} AS c ON c.record_id = a.record_id
    GROUP BY ALL
),
prints AS (
    SELECT cluster_id, count(*) AS n, sum(hash(anchor_key)::HUGEINT) AS s
    FROM tagged
    GROUP BY cluster_id
),
alike AS (
    SELECT cluster_id
    FROM prints
    QUALIFY count(*) OVER (PARTITION BY n, s) > 1
),
row_keys AS (
    SELECT c.cluster_id, (a.cluster_id IS NOT NULL) AS alike,
           left(sha256($namespace || '|fallback|' || CAST({fallback} AS VARCHAR)), 32) AS anchor_key
    FROM {records} AS r
    JOIN {clusters} AS c ON c.record_id = r.record_id
    LEFT JOIN alike AS a ON a.cluster_id = c.cluster_id
    WHERE ({fallback}) IS NOT NULL
      AND (a.cluster_id IS NOT NULL OR c.cluster_id NOT IN (SELECT cluster_id FROM prints))
)
SELECT cluster_id, anchor_type, anchor_key, weight FROM tagged
UNION ALL
SELECT cluster_id, 'fallback' AS anchor_type, anchor_key, 0.0::DOUBLE AS weight FROM row_keys WHERE NOT alike
UNION ALL
SELECT cluster_id, 'fallback' AS anchor_type, min(anchor_key) AS anchor_key, 0.0::DOUBLE AS weight
FROM row_keys
WHERE alike
GROUP BY cluster_id
