"""Stored facts, kept current by every load (see ``docs/always-on.md``).

The per-ticket facts, the status events, the backlog's deltas and the surveys with their
dimensions are the expensive part of most KPI queries: they read every event of every ticket,
or join every survey to its ticket. A store keeps them as tables, written by the same Ibis
definitions the queries use (:mod:`supportkpi.metrics.ticket_facts`,
:mod:`supportkpi.metrics.surveys`), so there is one definition and two ways to run it:

* **incrementally**, inside a load's transaction: the rows the load may have changed (each
  fact's touched keys, :mod:`supportkpi.facts.touched`) are deleted and computed again from
  the canonical tables limited to those keys;
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

import ibis.expr.types as ir
import pyarrow as pa

from supportkpi.engine.stored_facts import FactSpec
from supportkpi.facts.catalog import current_facts_keys, read_catalog, record
from supportkpi.facts.touched import (
    Scope,
    StoreBackend,
    survey_scope,
    ticket_scope,
    touched_tickets,
)
from supportkpi.metrics import sla, surveys, ticket_facts
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.options import Options
from supportkpi.sla.policy import SlaPolicy, matching_key, policies_of_key
from supportkpi.store.store import Store, quote_ident


@dataclass(frozen=True)
class StoredFact:
    """One kind of stored fact: how to build it, which spec names it, and how a load's
    changes reach it."""

    name: str
    build: Callable[[MetricContext], ir.Table]
    #: The stored form for a context's configuration (None: nothing to store for it).
    spec: Callable[[MetricContext], FactSpec | None]
    #: The fact's own key, and the scoped table whose keys are the rows to compute again.
    key: str = "ticket_id"
    keyed_by: str = "tickets"
    #: ``scope(store, touched tickets, the fact's table)``: the canonical tables its refresh
    #: reads, limited to the keys a load touched (:mod:`supportkpi.facts.touched`).
    scope: Callable[[Store, pa.Table, str], Scope] = ticket_scope


FACTS = (
    StoredFact("tickets", ticket_facts.facts, ticket_facts.facts_spec),
    StoredFact("status_events", ticket_facts.status_events, ticket_facts.status_events_spec),
    StoredFact("backlog_deltas", ticket_facts.backlog_deltas, ticket_facts.backlog_deltas_spec),
    # Keyed by the policies' matching rules: stored for the policies a server's config (or
    # `facts rebuild --config`) names, then kept current by every load.
    StoredFact("sla_clocks", sla.sla_clocks, sla.clocks_spec),
    StoredFact(
        "surveys",
        surveys.surveys,
        surveys.surveys_spec,
        key="response_id",
        keyed_by="surveys",
        scope=survey_scope,
    ),
)
_BY_NAME = {fact.name: fact for fact in FACTS}


def _context(backend: StoreBackend, config: dict[str, Any]) -> MetricContext:
    """The context a fact is built in, from its configuration: options, and the SLA
    policies' matching rules under ``sla`` (see :func:`supportkpi.sla.policy.matching_key`)."""
    options = {key: value for key, value in config.items() if key != "sla"}
    policies = policies_of_key(config["sla"]) if "sla" in config else ()
    return MetricContext(
        backend=backend, options=Options.from_mapping(options), sla_policies=policies
    )


def fact_config(options: Options, policies: tuple[SlaPolicy, ...] = ()) -> dict[str, Any]:
    """The configuration of the facts a server with ``options`` and ``policies`` reads."""
    config: dict[str, Any] = {"include_bots": options.include_bots}
    if policies:
        config["sla"] = matching_key(policies)
    return config


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


def keep_facts_current(store: Store) -> None:
    """Bring every stored fact up to date with the open transaction (a ``before_commit``)."""
    refresh(store)


def refresh(store: Store, rebuild: bool = False, extra: Iterable[dict[str, Any]] = ()) -> int:
    """Update the stored facts inside the open transaction; return how many were rebuilt.

    A fact current with the last load before this transaction is updated for its touched
    keys only; any other (missing, stale, of another version) is rebuilt from scratch.
    """
    load_id = store.next_load_id() - 1
    catalog = {(n, k): (v, load) for n, k, v, load in read_catalog(store)}
    tickets = None if rebuild or store.cleared else touched_tickets(store)
    rebuilt = 0
    full = StoreBackend(store)
    done: set[tuple[str, str]] = set()
    try:
        for config in _wanted(catalog, extra):
            for fact in FACTS:
                spec = fact.spec(_context(full, config))
                if spec is None or (spec.name, spec.config_key) in done:
                    continue  # the same stored fact under a fuller configuration
                done.add((spec.name, spec.config_key))
                have = catalog.get((spec.name, spec.config_key))
                if tickets is not None and have == (spec.version, store.load_before):
                    _update(store, fact, spec, config, fact.scope(store, tickets, spec.table_name))
                else:
                    _create(store, fact, spec, full, config)
                    rebuilt += 1
                record(store, spec, load_id)
    finally:
        full.close()
    return rebuilt


def _create(
    store: Store, fact: StoredFact, spec: FactSpec, backend: StoreBackend, config: dict[str, Any]
) -> None:
    expr = fact.build(_context(backend, config))
    sql = backend.con.compile(expr)
    store.con.execute(f"CREATE OR REPLACE TABLE {quote_ident(spec.table_name)} AS {sql}")


def _update(
    store: Store, fact: StoredFact, spec: FactSpec, config: dict[str, Any], scope: Scope
) -> None:
    """Delete the touched keys' rows and compute them again from the scoped tables."""
    if not scope[fact.keyed_by].num_rows:
        return
    views = {table: f"_facts_touched_{fact.name}_{table}" for table in scope}
    for table, view in views.items():
        store.con.register(view, scope[table])
    backend = StoreBackend(store, scope={t: (scope[t].column_names[0], views[t]) for t in scope})
    try:
        table, key = quote_ident(spec.table_name), quote_ident(fact.key)
        own = views[fact.keyed_by]
        store.con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {own})")
        sql = backend.con.compile(fact.build(_context(backend, config)))
        store.con.execute(f"INSERT INTO {table} BY NAME {sql}")
    finally:
        backend.close()
        for view in views.values():
            store.con.unregister(view)


def missing_configs(
    store: Store, options: Options, policies: tuple[SlaPolicy, ...] = ()
) -> list[dict[str, Any]]:
    """The configurations ``options`` and SLA ``policies`` need that a store keeping facts
    does not hold current.

    A store that keeps no facts (no catalogue: an older store, or one written by other code)
    gets none: it is left as it is, and its queries compute the facts as before.
    """
    stored = current_facts_keys(store)
    if stored is None:
        return []
    backend = StoreBackend(store)
    try:
        ctx = MetricContext(backend=backend, options=options, sla_policies=tuple(policies))
        specs = [spec for fact in FACTS if (spec := fact.spec(ctx)) is not None]
    finally:
        backend.close()
    missing = [s for s in specs if (s.name, s.config_key, s.version) not in stored]
    return list({s.config_key: json.loads(s.config_key) for s in missing}.values())


def differences(store: Store) -> dict[str, int]:
    """Rows that differ between each stored fact and a fresh computation (0 when equal)."""
    found: dict[str, int] = {}
    backend = StoreBackend(store)
    try:
        for name, key, version, _ in read_catalog(store, create=False):
            fact = _BY_NAME.get(name)
            if fact is None:
                continue
            config = json.loads(key)
            spec = fact.spec(_context(backend, config))
            if spec is None or spec.version != version:
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
