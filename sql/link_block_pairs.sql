-- Pairs of records sharing a block key of one rule, skipping blocks larger than the cap, and keeping
-- only pairs with at least one record meeting the rule's one_side condition (probe) and none whose
-- values a guard left uncompared keep apart (apart_0, ...). A pair sharing two keys of a list
-- rule comes twice: the union of all rules (link_candidates) groups it.
INSERT INTO {pairs}
SELECT a.record_id AS l, b.record_id AS r, CAST($bit AS BIGINT) AS rules
FROM {keys} AS a
JOIN {keys} AS b ON a.block_key = b.block_key AND a.record_id < b.record_id
JOIN {sizes} AS s ON s.block_key = a.block_key
WHERE s.n <= $cap AND (a.probe OR b.probe) AND {grp_condition} AND {apart_condition}
