-- Pairs each rule found first (its bit is the lowest set): what the rule adds to the union.
SELECT (rules & -rules) AS bit, count(*) AS n FROM {candidates} GROUP BY ALL
