"""Which rows of each stored fact a load may have changed, and the store seen through them.

A load notes the keys it wrote (``Store.changes``). The facts of a ticket come from its own
ticket row, its events and its customer; a survey's fact also takes the surveyed ticket's
dimensions, the customer's segment and the agent's team. So each fact has its own *touched*
set: the keys whose rows are deleted and computed again, from the canonical tables limited to
those keys (:class:`StoreBackend` with a scope).
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from supportkpi.engine.backends import DuckDBBackend
from supportkpi.store.store import Store, quote_ident

#: Tables whose rows only change the facts of their own tickets.
TICKET_TABLES = ("tickets", "ticket_events")


class StoreBackend(DuckDBBackend):
    """The Ibis view of an open store's own connection (inside its transaction).

    ``scope`` limits tables to touched keys: ``{table: (key column, registered view)}``, the
    view holding one column of that name. It never reads stored facts: it makes them.
    """

    supports_templates = False  # it builds facts; it answers no request

    def __init__(self, store: Store, scope: Mapping[str, tuple[str, str]] | None = None) -> None:
        self._parquet_dir = None
        self._scope = dict(scope or {})
        super(DuckDBBackend, self).__init__(ibis.duckdb.from_connection(store.con), store.path)

    def _open_table(self, name: str) -> ir.Table:
        table = self.con.table(name)
        if name in self._scope:
            column, view = self._scope[name]
            touched = self.con.table(view)
            table = table.filter(table[column].isin(touched[column]))
        return table

    def close(self) -> None:  # the store owns the connection
        super(DuckDBBackend, self).close()


def written(store: Store, table: str, column: str) -> pa.Array:
    """The distinct ``column`` values the open transaction wrote to ``table``, as strings."""
    parts = [
        pc.cast(c.rows.column(column), pa.string())
        for c in store.changes
        if c.table == table and column in c.rows.column_names
    ]
    every = pa.chunked_array(parts, pa.string()).combine_chunks()
    return pc.unique(pc.drop_null(every))


def _ids(con: duckdb.DuckDBPyConnection, sql: str, values: Mapping[str, pa.Array]) -> pa.Array:
    """Run ``sql`` over ``values`` registered as one-column (``id``) views; its first column."""
    names = {f"_facts_{name}": name for name in values}
    for view, name in names.items():
        con.register(view, pa.table({"id": values[name]}))
    try:
        result = con.execute(sql).to_arrow_table()
        return result.column(0).combine_chunks()
    finally:
        for view in names:
            con.unregister(view)


def touched_tickets(store: Store) -> pa.Table:
    """The tickets whose facts the open transaction may have changed: those written, those
    of the events written, and those of the customers written (their segment)."""
    ids = [written(store, t, "ticket_id") for t in TICKET_TABLES]
    customers = written(store, "customers", "customer_id")
    if len(customers):
        sql = "SELECT ticket_id FROM tickets WHERE customer_id IN (SELECT id FROM _facts_customers)"
        ids.append(_ids(store.con, sql, {"customers": customers}))
    every = pa.concat_arrays([pc.cast(a, pa.string()) for a in ids])
    return pa.table({"ticket_id": pc.unique(every)})


#: What a load touched, as the canonical tables a fact's refresh reads limited to keys:
#: ``{table: one column named by that table's key}``.
Scope = dict[str, pa.Table]


def ticket_scope(_store: Store, tickets: pa.Table, _fact_table: str) -> Scope:
    """The per-ticket facts read a ticket's own rows only."""
    return {table: tickets for table in TICKET_TABLES}


def survey_scope(store: Store, tickets: pa.Table, fact_table: str) -> Scope:
    """The touched surveys, with the tickets and customers their dimensions come from (the
    agents, a small table, are read whole)."""
    responses = touched_responses(store, tickets, fact_table)
    ids = responses.column("response_id").combine_chunks()
    of_tickets = _ids(
        store.con,
        "SELECT DISTINCT ticket_id FROM surveys WHERE response_id IN "
        "(SELECT id FROM _facts_responses) AND ticket_id IS NOT NULL",
        {"responses": ids},
    )
    of_customers = _ids(
        store.con,
        """SELECT customer_id FROM surveys WHERE response_id IN (SELECT id FROM _facts_responses)
           UNION
           SELECT customer_id FROM tickets WHERE ticket_id IN (SELECT id FROM _facts_tickets)""",
        {"responses": ids, "tickets": of_tickets},
    )
    return {
        "surveys": responses,
        "tickets": pa.table({"ticket_id": of_tickets}),
        "customers": pa.table({"customer_id": pc.drop_null(of_customers)}),
    }


def touched_responses(store: Store, tickets: pa.Table, fact_table: str) -> pa.Table:
    """The surveys whose facts may have changed: those written, and those of the touched
    tickets, of the customers written and of the agents written (their team), found both by
    the survey's own agent and by the agent the stored fact took from the ticket."""
    values = {
        "responses": written(store, "surveys", "response_id"),
        "tickets": tickets.column("ticket_id"),
        "customers": written(store, "customers", "customer_id"),
        "agents": written(store, "agents", "agent_id"),
    }
    if not any(len(v) for v in values.values()):
        return pa.table({"response_id": pa.array([], pa.string())})
    sql = f"""
        SELECT response_id FROM surveys
        WHERE response_id IN (SELECT id FROM _facts_responses)
           OR ticket_id IN (SELECT id FROM _facts_tickets)
           OR customer_id IN (SELECT id FROM _facts_customers)
           OR agent_id IN (SELECT id FROM _facts_agents)
        UNION
        SELECT response_id FROM {quote_ident(fact_table)}
        WHERE agent IN (SELECT id FROM _facts_agents)"""
    return pa.table({"response_id": pc.unique(_ids(store.con, sql, values))})
