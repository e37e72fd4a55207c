"""Stored facts, kept current by every load (see ``docs/stored-facts.md``).

The per-ticket facts and the status events are the expensive part of most KPI queries: they
read every event of every ticket. A store keeps them as tables, written by the same Ibis
definitions the queries use (:mod:`supportkpi.metrics.ticket_facts`), so there is one
definition and two ways to run it:

* **incrementally**, inside a load's transaction: the rows of the tickets the load wrote (and
  of the tickets of the customers it wrote) are deleted and computed again from their own rows;
* **from scratch**, when a fact is missing, its definition's version changed, or a load went
  by without refreshing it (`supportkpi facts rebuild` does this for all of them).

A fact that depends on configuration (``include_bots``) is stored per value; the default is
always kept, and any other value someone stored (`facts rebuild --config`) is kept current too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.engine.backends import DuckDBBackend
from supportkpi.engine.stored_facts import CATALOG, CATALOG_DDL, FactSpec, current_facts
from supportkpi.metrics import ticket_facts
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.options import Options
from supportkpi.store.store import Store, quote_ident

_TOUCHED = "_facts_touched_tickets"
#: Tables whose rows only change the facts of their own tickets.
_TICKET_TABLES = ("tickets", "ticket_events")


@dataclass(frozen=True)
class StoredFact:
    """One kind of stored fact: how to build it and which spec names it."""

    name: str
    build: Callable[[MetricContext], ir.Table]
    spec: Callable[[MetricContext], FactSpec]


FACTS = (
    StoredFact("tickets", ticket_facts.facts, ticket_facts.facts_spec),
    StoredFact("status_events", ticket_facts.status_events, ticket_facts.status_events_spec),
)
_BY_NAME = {fact.name: fact for fact in FACTS}


class StoreBackend(DuckDBBackend):
    """The Ibis view of an open store's own connection (inside its transaction), optionally
    limited to the tickets in ``_TOUCHED``. It never reads stored facts: it makes them."""

    def __init__(self, store: Store, scoped: bool = False) -> None:
        self._parquet_dir = None
        self._scoped = scoped
        super(DuckDBBackend, self).__init__(ibis.duckdb.from_connection(store.con), store.path)

    def _open_table(self, name: str) -> ir.Table:
        table = self.con.table(name)
        if self._scoped and name in _TICKET_TABLES:
            touched = self.con.table(_TOUCHED)
            table = table.filter(table.ticket_id.isin(touched.ticket_id))
        return table

    def close(self) -> None:  # the store owns the connection
        super(DuckDBBackend, self).close()


def _context(backend: StoreBackend, config: dict[str, Any]) -> MetricContext:
    return MetricContext(backend=backend, options=Options.from_mapping(config))


def _catalog(store: Store, create: bool = True) -> list[tuple[str, str, int, int]]:
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


def _wanted(
    catalog: Iterable[tuple[str, str]], extra: Iterable[dict[str, Any]] = ()
) -> list[dict[str, Any]]:
    """The configurations to keep: the default, those already stored, and ``extra``."""
    configs: list[dict[str, Any]] = [{}]
    configs += [json.loads(key) for _, key in catalog]
    configs += list(extra)
    unique: dict[str, dict[str, Any]] = {}
    for config in configs:
        unique.setdefault(json.dumps(config, sort_keys=True), config)
    return list(unique.values())


def touched_tickets(store: Store) -> pa.Table:
    """The tickets whose facts the open transaction may have changed."""
    ids: list[pa.Array | pa.ChunkedArray] = []
    customers: list[pa.Array | pa.ChunkedArray] = []
    for change in store.changes:
        if change.table in _TICKET_TABLES:
            ids.append(change.rows.column("ticket_id"))
        elif change.table == "customers":
            customers.append(change.rows.column("customer_id"))
    if customers:
        store.con.register("_facts_customers", pa.table({"id": pa.chunked_array(customers)}))
        try:
            of_customers = store.con.execute(
                "SELECT ticket_id FROM tickets WHERE customer_id IN "
                "(SELECT id FROM _facts_customers)"
            ).to_arrow_table()
        finally:
            store.con.unregister("_facts_customers")
        ids.append(of_customers.column("ticket_id"))
    if not ids:
        return pa.table({"ticket_id": pa.array([], pa.string())})
    every = pa.chunked_array([pc.cast(a, pa.string()) for a in ids])
    return pa.table({"ticket_id": pc.unique(every)})


def keep_facts_current(store: Store) -> None:
    """Bring every stored fact up to date with the open transaction (a ``before_commit``)."""
    refresh(store)


def refresh(store: Store, rebuild: bool = False, extra: Iterable[dict[str, Any]] = ()) -> int:
    """Update the stored facts inside the open transaction; return how many were rebuilt.

    A fact current with the last load before this transaction is updated for the touched
    tickets only; any other (missing, stale, of another version) is rebuilt from scratch.
    """
    load_id = store.next_load_id() - 1
    catalog = {(n, k): (v, load) for n, k, v, load in _catalog(store)}
    touched = None if rebuild or store.cleared else touched_tickets(store)
    rebuilt = 0
    full = StoreBackend(store)
    scoped = StoreBackend(store, scoped=True)
    if touched is not None:
        store.con.register(_TOUCHED, touched)
    done: set[tuple[str, str]] = set()
    try:
        for config in _wanted(catalog, extra):
            for fact in FACTS:
                spec = fact.spec(_context(full, config))
                if (spec.name, spec.config_key) in done:
                    continue  # the same stored fact under a fuller configuration
                done.add((spec.name, spec.config_key))
                have = catalog.get((spec.name, spec.config_key))
                current = have == (spec.version, store.load_before)
                if touched is not None and current:
                    _update(store, fact, spec, scoped, config, touched.num_rows)
                else:
                    _create(store, fact, spec, full, config)
                    rebuilt += 1
                _record(store, spec, load_id)
    finally:
        if touched is not None:
            store.con.unregister(_TOUCHED)
        full.close()
        scoped.close()
    return rebuilt


def _create(
    store: Store, fact: StoredFact, spec: FactSpec, backend: StoreBackend, config: dict[str, Any]
) -> None:
    expr = fact.build(_context(backend, config))
    sql = backend.con.compile(expr)
    store.con.execute(f"CREATE OR REPLACE TABLE {quote_ident(spec.table_name)} AS {sql}")


def _update(
    store: Store,
    fact: StoredFact,
    spec: FactSpec,
    backend: StoreBackend,
    config: dict[str, Any],
    touched: int,
) -> None:
    if not touched:
        return
    table = quote_ident(spec.table_name)
    store.con.execute(f"DELETE FROM {table} WHERE ticket_id IN (SELECT ticket_id FROM {_TOUCHED})")
    sql = backend.con.compile(fact.build(_context(backend, config)))
    store.con.execute(f"INSERT INTO {table} BY NAME {sql}")


def _record(store: Store, spec: FactSpec, load_id: int) -> None:
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


def missing_configs(store: Store, options: Options) -> list[dict[str, Any]]:
    """The configurations ``options`` need that a store keeping facts does not hold current.

    A store that keeps no facts (no catalogue: an older store, or one written by other code)
    gets none: it is left as it is, and its queries compute the facts as before.
    """
    stored = current_facts_keys(store)
    if stored is None:
        return []
    backend = StoreBackend(store)
    try:
        ctx = MetricContext(backend=backend, options=options)
        specs = [fact.spec(ctx) for fact in FACTS]
    finally:
        backend.close()
    missing = [s for s in specs if (s.name, s.config_key, s.version) not in stored]
    return list({s.config_key: json.loads(s.config_key) for s in missing}.values())


def current_facts_keys(store: Store) -> set[tuple[str, str, int]] | None:
    """The stored facts current with the last load, or None when the store keeps none."""
    if not _catalog(store, create=False):
        return None
    return set(current_facts(store.con))


def differences(store: Store) -> dict[str, int]:
    """Rows that differ between each stored fact and a fresh computation (0 when equal)."""
    found: dict[str, int] = {}
    backend = StoreBackend(store)
    try:
        for name, key, version, _ in _catalog(store, create=False):
            fact = _BY_NAME.get(name)
            if fact is None:
                continue
            config = json.loads(key)
            spec = fact.spec(_context(backend, config))
            if spec.version != version:
                found[f"{name} {key}"] = -1  # another version's rows: rebuild them
                continue
            fresh = backend.con.compile(fact.build(_context(backend, config)))
            stored = quote_ident(spec.table_name)
            row = store.con.execute(
                # The fresh facts are computed once, then compared both ways.
                f"""WITH fresh AS MATERIALIZED ({fresh})
                    SELECT (SELECT count(*) FROM (SELECT * FROM {stored} EXCEPT ALL
                                                 SELECT * FROM fresh))
                         + (SELECT count(*) FROM (SELECT * FROM fresh EXCEPT ALL
                                                 SELECT * FROM {stored}))"""
            ).fetchone()
            found[f"{name} {key}"] = int(row[0]) if row else 0
    finally:
        backend.close()
    return found
