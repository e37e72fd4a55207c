"""The catalogue of facts kept in a store, as the engine reads it.

Derived per-row facts (one row per ticket, one per status event, ...) can be stored as tables
beside the canonical ones, so that a query reads them instead of rebuilding them from every
event (``supportkpi.facts`` writes them, inside each load's transaction). The catalogue
``_facts`` says which are there: a fact's name, the part of the configuration it depends on
(``config_key``), the version of its definition, the load it is current with, and its table.

A stored fact is used only when all of these match: the definition's version (code that
changed its definition never reads old rows), the configuration, and the store's last load (a
load written by something that did not refresh the facts makes them stale, not wrong).

Outside a store, a manifest says the same of fact files: ``_facts.json`` beside the tables of
a ``supportkpi export`` folder (:func:`parquet_facts`), and the manifest that ``supportkpi facts
build`` writes through Spark to a lake folder (:func:`lake_facts`), whose tables' fingerprint
the Spark engine takes (:func:`supportkpi.engine.spark_sources.source_fingerprint`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG = "_facts"
CATALOG_DDL = f"""
CREATE TABLE IF NOT EXISTS {CATALOG} (
    name VARCHAR, config_key VARCHAR, version INTEGER, load_id BIGINT, table_name VARCHAR,
    rows BIGINT, PRIMARY KEY (name, config_key)
)"""


@dataclass(frozen=True)
class FactSpec:
    """Which stored fact a materialised expression may be read from."""

    name: str
    version: int
    #: The configuration the fact depends on, as ``(setting, value)`` pairs (often none).
    config: tuple[tuple[str, Any], ...] = ()

    @property
    def config_key(self) -> str:
        """The configuration as JSON (``{}`` for none): the catalogue's key, and readable."""
        return json.dumps(dict(self.config), sort_keys=True)

    @property
    def table_name(self) -> str:
        digest = hashlib.sha256(f"{self.config_key}|{self.version}".encode()).hexdigest()[:10]
        return f"_fact_{self.name}_{digest}"


def current_facts(con: Any) -> dict[tuple[str, str, int], str]:
    """The stored facts of a DuckDB store that are current with its last load.

    ``con`` is a raw DuckDB connection; the answer maps ``(name, config_key, version)`` to the
    table holding the fact. A store without a catalogue has none.
    """
    try:
        rows = con.execute(
            f"""SELECT name, config_key, version, table_name FROM {CATALOG}
                WHERE load_id = (SELECT coalesce(max(load_id), 0) FROM _load_log)"""
        ).fetchall()
    except Exception:  # an older store, or a Parquet folder: nothing stored
        return {}
    return {(name, key, int(version)): table for name, key, version, table in rows}


#: Written by `supportkpi export` beside the tables: which fact files match which tables.
PARQUET_MANIFEST = "_facts.json"
#: The tables the stored facts are computed from; a changed file makes them stale.
SOURCE_TABLES = ("tickets", "ticket_events", "customers", "surveys", "agents")


def _fingerprint(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def export_facts(con: Any, directory: Path) -> list[Path]:
    """Write the store's current facts beside its exported tables, with a manifest.

    Call after the tables are written: the manifest records their sizes and times, so that
    a table replaced later makes the fact files stale instead of wrong.
    """
    written: list[Path] = []
    entries = []
    for (name, key, version), table in current_facts(con).items():
        # Spark and Hadoop skip files whose names start with "_" (as hidden).
        stem = table.lstrip("_")
        target = directory / f"{stem}.parquet"
        con.execute(f'COPY "{table}" TO ? (FORMAT parquet)', [str(target)])
        written.append(target)
        entries.append({"name": name, "config_key": key, "version": version, "file": stem})
    manifest = write_parquet_manifest(directory, entries, table_stats(directory))
    return [*written, manifest]


def table_stats(directory: Path) -> dict[str, list[int]]:
    """The size and modification time of each source table of an exported folder."""
    return {t: _fingerprint(directory / f"{t}.parquet") for t in SOURCE_TABLES}


def write_parquet_manifest(
    directory: Path, entries: list[dict[str, Any]], sources: dict[str, list[int]]
) -> Path:
    """Write ``_facts.json``: fact ``entries`` (name, config_key, version, file) computed
    from tables whose :func:`table_stats` were ``sources``."""
    manifest = directory / PARQUET_MANIFEST
    manifest.write_text(json.dumps({"facts": entries, "sources": sources}, indent=1) + "\n")
    return manifest


def parquet_facts(directory: Path) -> dict[tuple[str, str, int], str]:
    """The fact files of an exported folder that still match its tables (else none)."""
    try:
        manifest = json.loads((directory / PARQUET_MANIFEST).read_text())
        for table, fingerprint in manifest["sources"].items():
            if _fingerprint(directory / f"{table}.parquet") != fingerprint:
                return {}
        return {
            (e["name"], e["config_key"], int(e["version"])): e["file"]
            for e in manifest["facts"]
            if (directory / f"{e['file']}.parquet").exists()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return {}


#: Written by `supportkpi facts build` through Spark (a JSON dataset: a folder of part files,
#: named without a leading "_", which Spark skips): one row per fact file, each with the
#: fingerprint of the source tables it was computed from.
LAKE_MANIFEST = "facts_manifest.json"
LAKE_MANIFEST_SCHEMA = (
    "name STRING, config_key STRING, version INT, file STRING, rows BIGINT, sources STRING"
)
LAKE_MANIFEST_COLUMNS = tuple(part.split()[0] for part in LAKE_MANIFEST_SCHEMA.split(","))


def lake_manifest_row(
    spec: FactSpec, file: str, rows: int, sources: dict[str, str]
) -> dict[str, Any]:
    """The manifest row of one fact file built from tables with the fingerprint ``sources``."""
    return {
        "name": spec.name,
        "config_key": spec.config_key,
        "version": spec.version,
        "file": file,
        "rows": rows,
        "sources": json.dumps(sources, sort_keys=True),
    }


def lake_facts(
    entries: list[dict[str, Any]], fingerprint: dict[str, str]
) -> dict[tuple[str, str, int], str]:
    """The fact files of a lake manifest's ``entries`` built from tables that still have
    ``fingerprint`` (else none: a changed table makes every fact stale)."""
    try:
        if any(json.loads(e["sources"]) != fingerprint for e in entries):
            return {}
        return {(e["name"], e["config_key"], int(e["version"])): e["file"] for e in entries}
    except (ValueError, KeyError, TypeError):
        return {}
