"""Loaders: files (CSV, TSV, Parquet, JSON Lines, Excel, XES, aligned text) plus a mapping
into the canonical store; :func:`preview_file` shows what a load would do, writing nothing."""

from supportkpi.ingest.loader import ingest_file, ingest_files
from supportkpi.ingest.mapping import load_mapping, parse_mapping
from supportkpi.ingest.mapping_model import ActivitySpec, Mapping
from supportkpi.ingest.preview import Preview, preview_file

__all__ = [
    "ActivitySpec",
    "Mapping",
    "Preview",
    "ingest_file",
    "ingest_files",
    "load_mapping",
    "parse_mapping",
    "preview_file",
]
