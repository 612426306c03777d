-- Per-record values clustering reads (an anchor, a name and its sound): {columns} are SQL over r,
-- and only records where {required} is known come back.
SELECT record_id, {columns}
FROM {records} AS r
WHERE ({required}) IS NOT NULL
