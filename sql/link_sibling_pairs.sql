-- Pairs of records of one floater key (birth date) that score as one person, family and all, but
-- that a guard forbids or a veto keeps from linking: two children born the same day, twins as a
-- rule, or a twin and a renamed record. A floating record of either one's cluster cannot tell
-- which twin it is.
SELECT s.l, s.r, a.key
FROM {flagged} AS s
JOIN {keys} AS a ON a.record_id = s.l
JOIN {keys} AS b ON b.record_id = s.r
WHERE (s.cannot_link OR s.vetoed) AND s.match_probability >= $threshold AND a.key = b.key
ORDER BY s.l, s.r
