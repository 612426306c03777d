-- The records as linkage reads them: the configuration's columns and the columns derived from them
-- (SQL over the record r; window functions allowed, such as how many records share a number).
CREATE OR REPLACE TEMP TABLE {out} AS SELECT r.*{derived} FROM {source} AS r
