-- The scored pairs with a real chance of being one person (at least $floor likely), with whether a
-- guard forbids them to be one person and whether a veto keeps them from being a link of their
-- own. Every later step reads its pairs from here: edges and siblings are above the threshold,
-- the kept pairs above the floor. Guards cost more than the comparisons, and three pairs in four
-- are far below the floor: they are evaluated there only where a step needs them.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT s.l, s.r, s.rules,
       {cannot_link} AS cannot_link,
       {vetoed} AS vetoed,
       s.* EXCLUDE (l, r, rules)
FROM {scored} AS s
JOIN {records} AS l ON l.record_id = s.l
JOIN {records} AS r ON r.record_id = s.r
WHERE s.match_probability >= $floor
