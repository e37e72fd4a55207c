"""The DuckDB store: canonical tables, upserts, the load log and the quarantine."""

from supportkpi.store.quarantine import EXPORT_COLUMNS, QUARANTINE, QUARANTINE_COLUMNS
from supportkpi.store.store import (
    LOAD_LOG,
    LoadSummary,
    Store,
    file_hash,
    quote_ident,
)

__all__ = [
    "EXPORT_COLUMNS",
    "LOAD_LOG",
    "QUARANTINE",
    "QUARANTINE_COLUMNS",
    "LoadSummary",
    "Store",
    "file_hash",
    "quote_ident",
]
