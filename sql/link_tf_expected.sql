-- The chance two random records share a value of one column: the sum of the squared term
-- frequencies, in value order (a float sum in thread order differs in the last bits between runs).
SELECT sum(tf * tf ORDER BY value) FROM {table}
