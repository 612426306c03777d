-- The number of pairs that could be formed among the records (the scoring prior's denominator).
SELECT count(*) * (count(*) - 1) / 2 FROM {records}
