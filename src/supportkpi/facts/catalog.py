"""The store's catalogue of facts (``_facts``): which are stored, for which configuration,
of which definition version, and current with which load."""

from __future__ import annotations

from supportkpi.engine.stored_facts import CATALOG, CATALOG_DDL, FactSpec, current_facts
from supportkpi.store.store import Store, quote_ident


def read_catalog(store: Store, create: bool = True) -> list[tuple[str, str, int, int]]:
    """``(name, config_key, version, load_id)`` of every stored fact (none without a
    catalogue, which ``create`` makes)."""
    if create:
        store.con.execute(CATALOG_DDL)
    else:
        found = store.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [CATALOG]
        ).fetchone()
        if found != (1,):
            return []
    rows = store.con.execute(f"SELECT name, config_key, version, load_id FROM {CATALOG}")
    return [(n, k, int(v), int(load)) for n, k, v, load in rows.fetchall()]


def record(store: Store, spec: FactSpec, load_id: int) -> None:
    """Note that ``spec``'s table is current with ``load_id`` (dropping another version's)."""
    old = store.con.execute(
        f"SELECT table_name FROM {CATALOG} WHERE name = ? AND config_key = ?",
        [spec.name, spec.config_key],
    ).fetchone()
    if old and old[0] != spec.table_name:  # another version's table: gone with its entry
        store.con.execute(f"DROP TABLE IF EXISTS {quote_ident(old[0])}")
    rows = store.con.execute(f"SELECT count(*) FROM {quote_ident(spec.table_name)}").fetchone()
    store.con.execute(
        f"INSERT OR REPLACE INTO {CATALOG} VALUES (?, ?, ?, ?, ?, ?)",
        [
            spec.name,
            spec.config_key,
            spec.version,
            load_id,
            spec.table_name,
            rows[0] if rows else 0,
        ],
    )


def current_facts_keys(store: Store) -> set[tuple[str, str, int]] | None:
    """The stored facts current with the last load, or None when the store keeps none."""
    if not read_catalog(store, create=False):
        return None
    return set(current_facts(store.con))
