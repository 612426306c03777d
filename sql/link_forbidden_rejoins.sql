-- Rejoin candidates (a losing cluster sharing a previous child's id with the winner) that this
-- run's guards keep apart: some record of one and some record of the other may not link.
SELECT DISTINCT c.cluster_id, c.winner
FROM {candidates} AS c
JOIN {members} AS ma ON ma.cluster_id = c.cluster_id
JOIN {members} AS mb ON mb.cluster_id = c.winner
JOIN {records} AS l ON l.record_id = ma.record_id
JOIN {records} AS r ON r.record_id = mb.record_id
WHERE {forbidden}
