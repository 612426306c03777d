-- What clustering needs of the scored pairs: the accepted ones (at or above the threshold) and
-- the ones that may not link (a guard, or a weight below $floor bits: far more likely two people).
SELECT l, r, match_probability, match_weight,
       cannot_link OR match_weight < $floor AS cannot_link
FROM {scored}
WHERE match_probability >= $threshold OR cannot_link OR match_weight < $floor
ORDER BY l, r
