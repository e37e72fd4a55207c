"""The catalogue of facts kept in a store, as the engine reads it.

Derived per-row facts (one row per ticket, one per status event, ...) can be stored as tables
beside the canonical ones, so that a query reads them instead of rebuilding them from every
event (``supportkpi.facts`` writes them, inside each load's transaction). The catalogue
``_facts`` says which are there: a fact's name, the part of the configuration it depends on
(``config_key``), the version of its definition, the load it is current with, and its table.

A stored fact is used only when all of these match: the definition's version (code that
changed its definition never reads old rows), the configuration, and the store's last load (a
load written by something that did not refresh the facts makes them stale, not wrong).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
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
