-- Comparison vector of every candidate pair, whether a cannot-link guard forbids the pair, whether
-- a veto keeps it from being a link of its own,
-- and the term frequencies needed by the exact-match adjustment.
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT p.l, p.r, p.rules,
       {gammas},
       {cannot_link} AS cannot_link,
       {vetoed} AS vetoed{tf_select}
FROM {pairs} AS p
JOIN {records} AS l ON l.record_id = p.l
JOIN {records} AS r ON r.record_id = p.r
{tf_joins}
