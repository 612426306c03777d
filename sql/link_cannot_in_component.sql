-- The pairs that may not link (a guard, or a weight below $floor bits) and whose two records the
-- accepted pairs put in one connected component: the only ones clustering has to resolve. Across
-- components a cannot-link pair is already kept apart, and millions of them would only cost memory.
-- Pairs below the flagging floor ($flag_floor likely) have no guard flags yet: their guards are
-- evaluated here, on the few that fall inside a component and weigh at least $floor bits.
WITH inside AS MATERIALIZED (
    SELECT s.l, s.r, s.match_probability, s.match_weight
    FROM {scored} AS s
    JOIN {components} AS a ON a.record_id = s.l
    JOIN {components} AS b ON b.record_id = s.r
    WHERE a.component = b.component
)
SELECT l, r, match_probability, match_weight, TRUE AS cannot_link
FROM (
    SELECT f.l, f.r, f.match_probability, f.match_weight
    FROM inside AS i
    JOIN {flagged} AS f ON f.l = i.l AND f.r = i.r
    WHERE f.cannot_link OR f.match_weight < $floor
    UNION ALL
    SELECT i.l, i.r, i.match_probability, i.match_weight
    FROM inside AS i
    JOIN {records} AS l ON l.record_id = i.l
    JOIN {records} AS r ON r.record_id = i.r
    WHERE NOT (i.match_probability >= $flag_floor) AND (i.match_weight < $floor OR ({guards}))
)
ORDER BY l, r
