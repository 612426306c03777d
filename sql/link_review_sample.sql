-- The pairs nearest the threshold ($t bits) that neither a guard nor a veto keeps apart, for a
-- person to check: levels and masked names only. The flagged pairs (at least $flag_floor likely)
-- carry their guard flags; a pair below them is a candidate only when it is as near the threshold
-- as the $n-th flagged one (on small inputs, where fewer than $n flagged pairs qualify), and its
-- guards and vetoes are evaluated here.
WITH near AS (
    SELECT l, r, match_weight, match_probability, tf_adjustment, explanation
    FROM {flagged}
    WHERE NOT cannot_link AND NOT vetoed
    ORDER BY abs(match_weight - $t), l, r
    LIMIT $n
),
bound AS (
    SELECT CASE WHEN count(*) >= $n THEN max(abs(match_weight - $t)) END AS d FROM near
),
below AS (
    SELECT s.l, s.r, s.match_weight, s.match_probability, s.tf_adjustment, s.explanation
    FROM {scored} AS s
    CROSS JOIN bound
    JOIN {records} AS l ON l.record_id = s.l
    JOIN {records} AS r ON r.record_id = s.r
    WHERE NOT (s.match_probability >= $flag_floor)
      AND (bound.d IS NULL OR abs(s.match_weight - $t) <= bound.d)
      AND NOT ({cannot_link}) AND NOT ({vetoed})
),
chosen AS (
    SELECT * FROM near
    UNION ALL
    SELECT * FROM below
)
SELECT p.l, p.r, {sides}, p.match_weight, p.match_probability, p.tf_adjustment,
       CAST(p.explanation AS VARCHAR) AS explanation
FROM chosen AS p
JOIN {records} AS l ON l.record_id = p.l
JOIN {records} AS r ON r.record_id = p.r
ORDER BY abs(p.match_weight - $t), p.l, p.r
LIMIT $n
