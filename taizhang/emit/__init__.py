"""Emit stage: ledger and flags parquet, county workbooks, change and push lists, province summary."""
