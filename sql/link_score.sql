-- Match weight and probability of every candidate pair: the pattern's weight plus term-frequency adjustments.
-- The explanation is the comparison vector's (an ENUM: one string per pattern, not per pair); the
-- term-frequency part is its own column.
CREATE OR REPLACE TEMP TABLE {out} AS
WITH adjusted AS (
    SELECT g.*, w.base_weight, w.explanation, {tf_adjustments}
    FROM {gammas} AS g
    JOIN {weights} AS w USING ({gamma_columns})
)
SELECT l, r, rules, {gamma_columns},
       base_weight + {tf_sum} AS match_weight,
       1.0 / (1.0 + pow(2.0, -(base_weight + {tf_sum}))) AS match_probability,
       {tf_sum} AS tf_adjustment,
       CAST(explanation AS lk_explanation) AS explanation
FROM adjusted
