-- The pairs that may not link (a guard, or a weight below $floor bits) and whose two records the
-- accepted pairs put in one connected component: the only ones clustering has to resolve. Across
-- components a cannot-link pair is already kept apart, and millions of them would only cost memory.
SELECT s.l, s.r, s.match_probability, s.match_weight, TRUE AS cannot_link
FROM {scored} AS s
JOIN {components} AS a ON a.record_id = s.l
JOIN {components} AS b ON b.record_id = s.r
WHERE a.component = b.component AND (s.cannot_link OR s.match_weight < $floor)
ORDER BY s.l, s.r
