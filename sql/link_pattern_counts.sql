-- Distinct comparison vectors of the scored candidates with their counts (EM's input): of all
-- candidates when $bit is -1 (every bit set), else of the pairs one blocking rule (bit $bit) produced.
SELECT {gamma_columns}, count(*) AS n
FROM {gammas}
WHERE (rules & $bit) <> 0
GROUP BY ALL
ORDER BY ALL
