-- Which resolved person each status event is about.
-- 1. exact: the event's normalised number (15-digit already upgraded to 18) is one of the person's numbers;
-- 2. a slip: blocked on the name (the event's name is one of the person's names) and one equal 6-character
--    block of the numbers, the two numbers, of the same
--    length, are one slip apart: one character differs ('one_digit'), or two adjacent characters are swapped
--    ('transposition'); 'impossible_date' when the event's number carries a birth date that cannot exist (its
--    status is 'malformed', e.g. month 13 typed for 10). At least one of the two numbers must be invalid: two
--    VALID numbers one slip apart belong to two people (a namesake), and never match
--    (民发〔2019〕62号 is about the child's own parents).
-- An event with an exact match is that person's. An event with slips only is matched when they name exactly one
-- person; when they name two or more it is matched to none of them: one row per candidate, match 'ambiguous'.
-- Input: {events}(event_id, id_number, id_status, name), {people}(person_id, id_status, names, ids).
-- Output: event_id, person_id, match ('exact', 'one_digit', 'transposition', 'impossible_date', 'ambiguous').
WITH person_ids AS (
    SELECT person_id, id_status AS person_id_status, names, unnest(ids) AS pid FROM {people}
),
exact AS (
    SELECT DISTINCT e.event_id, p.person_id, 'exact' AS match
    FROM {events} AS e JOIN person_ids AS p ON e.id_number = p.pid
    WHERE e.id_number IS NOT NULL
),
person_names AS (
    SELECT person_id, person_id_status, pid, unnest(names) AS pname FROM person_ids
),
-- A slip touches at most two adjacent characters, so one of the three 6-character blocks of the two
-- numbers is equal: the name plus one equal block is the blocking key (three equi-joins, no cross product).
event_blocks AS (
    SELECT event_id, id_status, id_number AS a, name,
        substr(id_number, 1, 6) AS k1, substr(id_number, 7, 6) AS k2, substr(id_number, 13) AS k3
    FROM {events}
    WHERE id_number IS NOT NULL AND name IS NOT NULL
),
person_blocks AS (
    SELECT person_id, person_id_status, pid AS b, pname,
        substr(pid, 1, 6) AS k1, substr(pid, 7, 6) AS k2, substr(pid, 13) AS k3
    FROM person_names
),
blocked AS (
    SELECT e.event_id, e.id_status, e.a, p.person_id, p.person_id_status, p.b
    FROM event_blocks AS e JOIN person_blocks AS p ON e.name = p.pname AND e.k1 = p.k1
    UNION
    SELECT e.event_id, e.id_status, e.a, p.person_id, p.person_id_status, p.b
    FROM event_blocks AS e JOIN person_blocks AS p ON e.name = p.pname AND e.k2 = p.k2
    UNION
    SELECT e.event_id, e.id_status, e.a, p.person_id, p.person_id_status, p.b
    FROM event_blocks AS e JOIN person_blocks AS p ON e.name = p.pname AND e.k3 = p.k3
),
same_name AS (
    SELECT event_id, id_status, a, person_id, b
    FROM blocked
    WHERE length(a) = length(b)
      AND a <> b
      AND (id_status <> 'valid' OR person_id_status <> 'valid')
      AND hamming(a, b) <= 2
),
positions AS (
    SELECT i FROM range(1, 18) AS t(i)
),
transposed AS (
    SELECT DISTINCT s.event_id, s.person_id
    FROM same_name AS s JOIN positions AS q ON q.i < length(s.a)
    WHERE hamming(s.a, s.b) = 2
      AND substr(s.a, q.i, 1) <> substr(s.a, q.i + 1, 1)
      AND s.b = substr(s.a, 1, q.i - 1) || substr(s.a, q.i + 1, 1) || substr(s.a, q.i, 1) || substr(s.a, q.i + 2)
),
slips AS (
    SELECT DISTINCT s.event_id, s.person_id,
        CASE
            WHEN s.id_status = 'malformed' THEN 'impossible_date'
            WHEN hamming(s.a, s.b) = 1 THEN 'one_digit'
            ELSE 'transposition'
        END AS match
    FROM same_name AS s
    LEFT JOIN transposed AS t ON t.event_id = s.event_id AND t.person_id = s.person_id
    WHERE hamming(s.a, s.b) = 1 OR t.event_id IS NOT NULL
),
slip_only AS (
    SELECT s.* FROM slips AS s
    WHERE s.event_id NOT IN (SELECT event_id FROM exact)
),
slip_counts AS (
    SELECT event_id, count(DISTINCT person_id) AS n FROM slip_only GROUP BY event_id
),
combined AS (
    SELECT event_id, person_id, match FROM exact
    UNION ALL
    SELECT s.event_id, s.person_id, CASE WHEN c.n = 1 THEN min(s.match) ELSE 'ambiguous' END AS match
    FROM slip_only AS s JOIN slip_counts AS c USING (event_id)
    GROUP BY s.event_id, s.person_id, c.n
)
SELECT event_id, person_id, match FROM combined
ORDER BY event_id, person_id
