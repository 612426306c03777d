-- The pairs of a rule with a one_side condition: each record meeting it (a probe) with every other
-- record of its block under the cap, and none whose values a guard left uncompared keep apart
-- (apart_0, ...). Joining the probes to their blocks forms probes x block size pairs, where pairing
-- the whole block and keeping the pairs with a probe formed the square of every block (a birth
-- date, sex and county: blocks that fill up as the province grows). A pair of two probes is formed
-- once, from its smaller record.
INSERT INTO {pairs}
SELECT least(a.record_id, b.record_id) AS l, greatest(a.record_id, b.record_id) AS r,
       CAST($bit AS BIGINT) AS rules
FROM {keys} AS a
JOIN {keys} AS b ON a.block_key = b.block_key AND a.record_id <> b.record_id
JOIN {sizes} AS s ON s.block_key = a.block_key
WHERE a.probe AND (NOT b.probe OR a.record_id < b.record_id)
  AND s.n <= $cap AND {grp_condition} AND {apart_condition}
