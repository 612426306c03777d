-- Match weight and probability of every candidate pair: the pattern's weight plus term-frequency adjustments.
CREATE OR REPLACE TEMP TABLE {out} AS
WITH adjusted AS (
    SELECT g.*, w.base_weight, w.explanation, {tf_adjustments}
    FROM {gammas} AS g
    JOIN {weights} AS w USING ({gamma_columns})
)
SELECT l, r, rules, cannot_link, {gamma_columns},
       base_weight + {tf_sum} AS match_weight,
       1.0 / (1.0 + pow(2.0, -(base_weight + {tf_sum}))) AS match_probability,
       explanation{tf_explanation} AS explanation
FROM adjusted
