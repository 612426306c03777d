-- Comparison vector of every candidate pair and the term frequencies needed by the exact-match
-- adjustment. Guards and vetoes are not evaluated here: only the pairs that may matter get them
-- (link_pair_flags).
CREATE OR REPLACE TEMP TABLE {out} AS
SELECT p.l, p.r, p.rules,
       {gammas}{tf_select}
FROM {pairs} AS p
JOIN {records} AS l ON l.record_id = p.l
JOIN {records} AS r ON r.record_id = p.r
{tf_joins}
