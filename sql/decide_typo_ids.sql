-- Identity numbers with a wrong check digit (bad_check) that belong to a person known by a valid number.
-- A bad_check number is taken for a valid one only when the two differ in exactly one character AND the
-- same normalised name carries both: a namesake with another valid number, or a number one digit away
-- under another name, stays a different person (民发〔2019〕62号 needs the status of THE parent).
-- Input: {mentions}(id_number, id_status, name). Output: one row per bad_check number that resolves.
-- The one differing character lies in one of the numbers' three 6-character blocks, so the other two
-- blocks are equal: the name and two equal blocks are the join keys, three equi-joins that each find
-- the pairs whose difference is in the third block. (A join on the name alone paired every bad number
-- with every valid number of its namesakes: it grew with the square of the province.)
WITH numbers AS (
    SELECT DISTINCT id_number, id_status, name,
        substr(id_number, 1, 6) AS k1, substr(id_number, 7, 6) AS k2, substr(id_number, 13) AS k3
    FROM {mentions}
    WHERE id_status IN ('valid', 'bad_check') AND id_number IS NOT NULL AND name IS NOT NULL AND name <> ''
),
valid AS (SELECT * FROM numbers WHERE id_status = 'valid'),
bad AS (SELECT * FROM numbers WHERE id_status = 'bad_check'),
near AS (
    SELECT b.id_number AS typo_id, v.id_number AS valid_id
    FROM bad AS b JOIN valid AS v ON b.name = v.name AND b.k1 = v.k1 AND b.k2 = v.k2
    UNION ALL
    SELECT b.id_number, v.id_number
    FROM bad AS b JOIN valid AS v ON b.name = v.name AND b.k1 = v.k1 AND b.k3 = v.k3
    UNION ALL
    SELECT b.id_number, v.id_number
    FROM bad AS b JOIN valid AS v ON b.name = v.name AND b.k2 = v.k2 AND b.k3 = v.k3
)
SELECT typo_id, min(valid_id) AS valid_id
FROM near
WHERE length(typo_id) = length(valid_id) AND hamming(typo_id, valid_id) = 1
GROUP BY typo_id
ORDER BY typo_id
