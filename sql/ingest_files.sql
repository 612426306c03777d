-- ingest_files: one row per file read (or failed), plus source-level errors (file is null).
-- Built from the registered frame {frame}; counts only, never cell values.
CREATE OR REPLACE TABLE ingest_files AS
SELECT
    source,
    file,
    format,
    encoding,
    sheets,
    sheets_ignored,
    header_mapping,
    unknown_headers,
    missing_columns,
    CAST(rows_read AS BIGINT) AS rows_read,
    CAST(staged AS BIGINT) AS staged,
    CAST(quarantined AS BIGINT) AS quarantined,
    error_code,
    message_zh,
    message_en
FROM {frame}
ORDER BY source NULLS LAST, file NULLS FIRST, error_code NULLS FIRST;
