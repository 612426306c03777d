-- The accepted pairs clustering starts from: at or above the threshold, not forbidden by a guard,
-- not vetoed (evidence the score cannot stand for), not scored below $floor bits (far more likely
-- two people than one).
SELECT l, r, match_probability, match_weight, FALSE AS cannot_link
FROM {flagged}
WHERE match_probability >= $threshold AND NOT cannot_link AND NOT vetoed AND match_weight >= $floor
ORDER BY l, r
