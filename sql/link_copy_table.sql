-- A temporary table holding a copy of a frame registered from Python (the model's pattern weights).
CREATE OR REPLACE TEMP TABLE {out} AS SELECT * FROM {source}
