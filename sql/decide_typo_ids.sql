-- Identity numbers with a wrong check digit (bad_check) that belong to a person known by a valid number.
-- A bad_check number is taken for a valid one only when the two differ in exactly one character AND the
-- same normalised name carries both: a namesake with another valid number, or a number one digit away
-- under another name, stays a different person (民发〔2019〕62号 needs the status of THE parent).
-- Input: {mentions}(id_number, id_status, name). Output: one row per bad_check number that resolves.
WITH valid AS (
    SELECT DISTINCT id_number, name FROM {mentions}
    WHERE id_status = 'valid' AND id_number IS NOT NULL AND name IS NOT NULL AND name <> ''
),
bad AS (
    SELECT DISTINCT id_number, name FROM {mentions}
    WHERE id_status = 'bad_check' AND id_number IS NOT NULL AND name IS NOT NULL AND name <> ''
)
SELECT b.id_number AS typo_id, min(v.id_number) AS valid_id
FROM bad AS b
JOIN valid AS v ON b.name = v.name AND length(b.id_number) = length(v.id_number)
WHERE hamming(b.id_number, v.id_number) = 1
GROUP BY b.id_number
ORDER BY b.id_number
