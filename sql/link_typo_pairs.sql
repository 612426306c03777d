-- The pairs of given names (a, b) that are one typo apart by the name-relatedness rule.
SELECT a, b FROM {pairs} WHERE lk_typo_apart(a, b, a, b)
