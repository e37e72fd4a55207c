"""Tickets derived from their events, for sources that only export an event log.

A ticket with events but no row of its own in ``tickets`` gets a derived row (``derived =
true``), recomputed from *all* its stored events whenever new events arrive:

* ``created_at``: the first event's time;
* ``channel``: the first event channel that is set, else the mapping's ``[tickets] channel``,
  else ``unknown``;
* ``customer_id``: the actor of the first customer event that names one;
* ``assignee_id``: from the last assignment (an ``assignment`` event, or any event carrying an
  assignee), else the last agent who acted; ``team``: the last team named by an event;
* ``status``: the last status event's status, else ``open``;
* ``updated_at``: the last event's time.

Events are ordered by time, then by ``event_id`` so that ties resolve the same way on every
run. A real tickets row always wins: loading a tickets file replaces derived rows, and a
ticket with a real row is never derived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import pyarrow as pa

from supportkpi.store.store import Store

_IDS = "_derive_ticket_ids"
TicketIds: TypeAlias = pa.Array | pa.ChunkedArray
_ORDER = 'ORDER BY "at", event_id'


@dataclass
class DeriveResult:
    """How many derived tickets were (re)computed, and what the upsert did with them."""

    derived: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def derive_tickets(
    store: Store, ticket_ids: TicketIds | None = None, default_channel: str | None = None
) -> DeriveResult:
    """(Re)derive the tickets of ``ticket_ids`` (all tickets when None) that lack a real row.

    Call inside :meth:`Store.transaction`, after the events are written.
    """
    con = store.con
    if ticket_ids is None:
        scope = "TRUE"
    else:
        con.register(_IDS, _ids_table(ticket_ids))
        scope = f"e.ticket_id IN (SELECT ticket_id FROM {_IDS})"
    try:
        rows = con.execute(
            f"""SELECT ticket_id,
                min("at") AS created_at,
                lower(coalesce(
                    first(channel {_ORDER}) FILTER (WHERE channel IS NOT NULL),
                    $channel, 'unknown')) AS channel,
                first(actor_id {_ORDER})
                    FILTER (WHERE actor_type = 'customer' AND actor_id IS NOT NULL)
                    AS customer_id,
                coalesce(
                    last(assignee_id {_ORDER})
                        FILTER (WHERE kind = 'assignment' OR assignee_id IS NOT NULL),
                    last(actor_id {_ORDER})
                        FILTER (WHERE actor_type = 'agent' AND actor_id IS NOT NULL)
                ) AS assignee_id,
                last(team {_ORDER}) FILTER (WHERE team IS NOT NULL) AS team,
                coalesce(
                    last(status {_ORDER}) FILTER (WHERE kind = 'status' AND status IS NOT NULL),
                    'open') AS status,
                max("at") AS updated_at,
                TRUE AS derived
            FROM ticket_events e
            WHERE {scope} AND NOT EXISTS (
                SELECT 1 FROM tickets t
                WHERE t.ticket_id = e.ticket_id AND t.derived IS NOT TRUE)
            GROUP BY ticket_id
            ORDER BY ticket_id""",
            {"channel": default_channel},
        ).to_arrow_table()
    finally:
        if ticket_ids is not None:
            con.unregister(_IDS)
    if rows.num_rows == 0:
        return DeriveResult()
    inserted, updated, unchanged = store.upsert("tickets", rows)
    return DeriveResult(rows.num_rows, inserted, updated, unchanged)


def replace_derived(store: Store, ticket_ids: TicketIds) -> int:
    """Delete derived rows for tickets a real tickets file is about to load; return how many."""
    con = store.con
    con.register(_IDS, _ids_table(ticket_ids))
    try:
        row = con.execute(
            f"""DELETE FROM tickets WHERE derived IS TRUE
                AND ticket_id IN (SELECT ticket_id FROM {_IDS}) RETURNING 1"""
        ).fetchall()
    finally:
        con.unregister(_IDS)
    return len(row)


def unknown_ticket_events(store: Store, ticket_ids: TicketIds) -> tuple[int, int]:
    """(events, tickets): of the loaded events' ``ticket_ids`` (one per event), those with no
    real tickets row.

    Returns (0, 0) when no real tickets were ever loaded: then every ticket is derived by
    design and there is nothing to warn about.
    """
    con = store.con
    real = con.execute("SELECT count(*) FROM tickets WHERE derived IS NOT TRUE").fetchone()
    if not real or real[0] == 0:
        return 0, 0
    con.register(_IDS, _ids_table(ticket_ids))
    try:
        row = con.execute(
            f"""SELECT count(*), count(DISTINCT ticket_id) FROM {_IDS} e
                WHERE NOT EXISTS (
                    SELECT 1 FROM tickets t
                    WHERE t.ticket_id = e.ticket_id AND t.derived IS NOT TRUE)"""
        ).fetchone()
    finally:
        con.unregister(_IDS)
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _ids_table(ticket_ids: TicketIds) -> pa.Table:
    return pa.table({"ticket_id": ticket_ids}).cast(pa.schema([("ticket_id", pa.string())]))
