-- Pairs the accepted pairs put in one connected component but no blocking rule compared (a twin's
-- permit and the other twin's, each tied to the family's birth certificate): a guard must still
-- keep them apart. Only components of at most $max_size records are searched, all their pairs;
-- a larger one is a weak chain that clustering splits at stricter thresholds anyway.
WITH sized AS (
    SELECT record_id, component, count(*) OVER (PARTITION BY component) AS n
    FROM {components}
),
inside AS (
    SELECT a.record_id AS l, b.record_id AS r
    FROM sized AS a
    JOIN sized AS b ON a.component = b.component AND a.record_id < b.record_id
    WHERE a.n > 2 AND a.n <= $max_size
)
SELECT p.l, p.r, 0.0 AS match_probability, CAST(NULL AS DOUBLE) AS match_weight, TRUE AS cannot_link
FROM inside AS p
JOIN {records} AS l ON l.record_id = p.l
JOIN {records} AS r ON r.record_id = p.r
WHERE NOT EXISTS (SELECT 1 FROM {scored} AS s WHERE s.l = p.l AND s.r = p.r)
  AND ({guards})
ORDER BY p.l, p.r
