"""The DuckDB store: canonical tables, upserts, the load log and the quarantine."""

from supportkpi.store.store import (
    LOAD_LOG,
    QUARANTINE,
    QUARANTINE_COLUMNS,
    LoadSummary,
    Store,
    file_hash,
    quote_ident,
)

__all__ = [
    "LOAD_LOG",
    "QUARANTINE",
    "QUARANTINE_COLUMNS",
    "LoadSummary",
    "Store",
    "file_hash",
    "quote_ident",
]
