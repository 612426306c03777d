-- Pairs a single rule found (one bit set).
SELECT rules AS bit, count(*) AS n FROM {candidates} WHERE (rules & (rules - 1)) = 0 GROUP BY ALL
