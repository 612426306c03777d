-- The scored pairs handed back to the caller: those with a real chance of being one person.
SELECT * FROM {flagged} WHERE match_probability >= $floor ORDER BY l, r
