-- The number of pairs that could be formed across the groups of {group} (linking data sets, not
-- de-duplicating one).
SELECT (sum(n) * sum(n) - sum(n * n)) / 2
FROM (SELECT count(*) AS n FROM {records} GROUP BY {group})
