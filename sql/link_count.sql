-- The number of rows of a table.
SELECT count(*) FROM {table}
