-- Distinct comparison vectors of a pair table with their counts (the input of EM).
SELECT {gamma_columns}, count(*) AS n
FROM (
    SELECT {gammas}
    FROM {pairs} AS p
    JOIN {records} AS l ON l.record_id = p.l
    JOIN {records} AS r ON r.record_id = p.r
)
GROUP BY ALL
ORDER BY ALL
