-- Materialise one ingest frame (registered as {frame}) as table {table}, ordered by its row key
-- so that the table's row order is deterministic.
CREATE OR REPLACE TABLE {table} AS
SELECT *
FROM {frame}
ORDER BY {order_by};
