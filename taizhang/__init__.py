"""taizhang: the migrant-children ledger pipeline (ingest, validate, standardize, link, decide, emit)."""

__version__ = "0.1.0"
