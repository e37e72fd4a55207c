"""Loaders: files (CSV, TSV, Parquet, JSON Lines) plus a mapping into the canonical store."""

from supportkpi.ingest.loader import ingest_file, ingest_files
from supportkpi.ingest.mapping import load_mapping, parse_mapping
from supportkpi.ingest.mapping_model import ActivitySpec, Mapping

__all__ = [
    "ActivitySpec",
    "Mapping",
    "ingest_file",
    "ingest_files",
    "load_mapping",
    "parse_mapping",
]
