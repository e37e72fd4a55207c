"""What the sync tests compare: a store's KPIs and its canonical rows, read the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import supportkpi
from supportkpi.facts import open_store

#: The ticket columns every connector fills; a help desk's test may compare more.
TICKET_COLUMNS = "ticket_id, created_at, updated_at, channel, customer_id, assignee_id, status"


def kpis(db: Path) -> dict[str, tuple[Any, Any]]:
    """A speed, an outcome and a count KPI: ``metric -> (value, n)``."""
    with supportkpi.connect(str(db)) as con:
        df = con.kpi(["first_response_time", "unanswered_tickets", "resolution_time"])
    return {row["metric"]: (row["value"], row["n"]) for row in df.to_dict("records")}


def stored(db: Path, ticket_columns: str = TICKET_COLUMNS) -> dict[str, list[tuple[Any, ...]]]:
    """The canonical rows a sync is about (not the load ids, load times or origins)."""
    queries = {
        "tickets": f"SELECT {ticket_columns} FROM tickets ORDER BY ticket_id",
        "ticket_events": 'SELECT event_id, ticket_id, "at", kind, actor_type, actor_id, '
        "status, public FROM ticket_events ORDER BY event_id",
    }
    with open_store(db, read_only=True) as store:
        return {name: store.con.execute(sql).fetchall() for name, sql in queries.items()}
