-- Per-record values clustering reads (an anchor, a name and its sound): {columns} are SQL over r,
-- and only records where {required} is known come back. Both may use window functions (how many
-- records share a number), so the filter applies after the projection.
SELECT * EXCLUDE (__required)
FROM (
    SELECT record_id, {columns}, ({required}) AS __required
    FROM {records} AS r
)
WHERE __required IS NOT NULL
