-- Which resolved person each status event is about.
-- 1. exact: the event's normalised number (15-digit already upgraded to 18) is one of the person's numbers;
-- 2. typo: one of the two numbers has a wrong check digit (bad_check), they differ in exactly one
--    character, AND the event's name is one of the person's names.
-- A namesake with another VALID number never matches (民发〔2019〕62号 is about the child's own parents).
-- Input: {events}(event_id, id_number, id_status, name), {people}(person_id, id_status, names, ids).
-- Output: event_id, person_id, match ('exact' or 'typo').
WITH person_ids AS (
    SELECT person_id, id_status AS person_id_status, names, unnest(ids) AS pid FROM {people}
),
exact AS (
    SELECT e.event_id, p.person_id, 'exact' AS match
    FROM {events} AS e JOIN person_ids AS p ON e.id_number = p.pid
    WHERE e.id_number IS NOT NULL
),
person_names AS (
    SELECT person_id, person_id_status, pid, unnest(names) AS pname FROM person_ids
),
typo AS (
    SELECT e.event_id, p.person_id, 'typo' AS match
    FROM {events} AS e JOIN person_names AS p ON e.name = p.pname
    WHERE e.id_number IS NOT NULL
      AND (e.id_status = 'bad_check' OR p.person_id_status = 'bad_check')
      AND length(e.id_number) = length(p.pid)
      AND hamming(e.id_number, p.pid) = 1
)
SELECT event_id, person_id, min(match) AS match
FROM (SELECT * FROM exact UNION ALL SELECT * FROM typo)
GROUP BY event_id, person_id
ORDER BY event_id, person_id
