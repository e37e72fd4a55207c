"""ServiceNow: the incident table exported once per update (the "incident event log" layout).

The export has one row per update of an incident (``sys_mod_count`` counts them). The
tickets part reads the user's file with ``duplicates = "keep_last"``: the last snapshot of
each incident (by ``sys_updated_at``, then file order, which is ``sys_mod_count`` order in
the export) is the ticket, and the older snapshots are quarantined as ``older_snapshot``,
so every row is accounted for. The events part is the one thing the mapping language cannot
say: a status event for each *change* of ``incident_state`` (ordered by ``sys_mod_count``,
then ``sys_updated_at``). A snapshot repeating the state before it adds nothing, so an
incident written "Resolved" five times is solved once, not solved once and reopened four
times; it is reopened when a later snapshot moves it from Resolved back to Active.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from supportkpi.ingest.profiles._export_files import csv_header, read_csv_text, require_columns
from supportkpi.ingest.profiles.base import Part, Profile

EXPECTS = "a ServiceNow incident export with one row per update (incident event log layout)"
REQUIRED = ("number", "incident_state", "sys_mod_count", "opened_at", "sys_updated_at")
#: "?" is the export's missing value; "-100" is a placeholder state, not a state.
MISSING = "?"
NO_STATE = "-100"
DATE_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]

STATES = {
    "New": "new",
    "Active": "open",
    "Awaiting User Info": "pending",
    "Awaiting Evidence": "pending",
    "Awaiting Problem": "on_hold",
    "Awaiting Vendor": "on_hold",
    "Resolved": "solved",
    "Closed": "closed",
    NO_STATE: "",
}
PRIORITIES = {"1 - Critical": "urgent", "2 - High": "high", "3 - Moderate": "normal",
              "4 - Low": "low"}  # fmt: skip
CHANNELS = {"Phone": "phone", "Email": "email", "Self service": "web", "IVR": "phone"}

SOURCE: dict[str, Any] = {
    "null_values": [MISSING],
    "date_format": DATE_FORMATS,
    "implicit_columns": False,
}
TICKETS: dict[str, Any] = {
    "source": {**SOURCE, "duplicates": "keep_last", "order_by": "updated_at"},
    "columns": {
        "ticket_id": "number",
        "created_at": "opened_at",
        "channel": "contact_type",
        "customer_id": "caller_id",
        "assignee_id": "assigned_to",
        "team": "assignment_group",
        "priority": "priority",
        "status": "incident_state",
        "solved_at": ["resolved_at", "closed_at"],
        "closed_at": "closed_at",
        "reopens": "reopen_count",
        "updated_at": "sys_updated_at",
    },
    "constants": {"channel": "unknown"},  # fills an empty contact_type
    "computed": {"tags": {"join": ["category", "subcategory"], "separator": ";"}},
    "values": {"status": STATES, "priority": PRIORITIES, "channel": CHANNELS},
}
EVENTS: dict[str, Any] = {
    "source": {**SOURCE, "format": "parquet"},
    "columns": {name: name for name in ("event_id", "ticket_id", "at", "status", "actor_id")},
    "constants": {"kind": "status", "actor_type": "agent"},
    "values": {"status": STATES},
}
_READ = ("number", "incident_state", "sys_mod_count", "sys_updated_at", "resolved_by")


def plan(files: Sequence[Path], workdir: Path) -> list[Part]:
    """Each file's last snapshots as tickets, then every file's state changes as events."""
    snapshots = []
    for path in files:
        header = csv_header(path, EXPECTS)
        require_columns(path, header, REQUIRED, EXPECTS)
        table = read_csv_text(path, [c for c in _READ if c in header], (MISSING,))
        if "resolved_by" not in table.column_names:
            table = table.append_column("resolved_by", pa.nulls(table.num_rows, pa.string()))
        snapshots.append(table.select(list(_READ)))
    events = workdir / "state_changes.parquet"
    pq.write_table(state_changes(pa.concat_tables(snapshots)), events)
    label = files[0].name if len(files) == 1 else f"{files[0].name} and {len(files) - 1} more"
    return [
        *(Part("tickets", path, TICKETS) for path in files),
        Part("ticket_events", events, EVENTS, "parquet", f"{label} (state changes)"),
    ]


def state_changes(snapshots: pa.Table) -> pa.Table:
    """One row per change of ``incident_state`` within each incident, in update order.

    The order is ``sys_mod_count``, then ``sys_updated_at`` (as a day-first date), then the
    rows' order; a snapshot whose state equals the one before it is no event. The event id
    is ``number/sys_mod_count``, so loading the export again updates, never duplicates.
    """
    formats = ", ".join(f"'{f}'" for f in DATE_FORMATS)
    con = duckdb.connect()
    try:
        con.register("snapshots", snapshots)
        return con.execute(
            f"""
            WITH numbered AS (
                SELECT *, row_number() OVER () AS file_row FROM snapshots
                WHERE incident_state IS NOT NULL AND incident_state <> '{NO_STATE}'
            ), ordered AS (
                SELECT *, lag(incident_state) OVER (
                    PARTITION BY number
                    ORDER BY TRY_CAST(sys_mod_count AS BIGINT) NULLS FIRST,
                             try_strptime(sys_updated_at, [{formats}]) NULLS FIRST, file_row
                ) AS before
                FROM numbered WHERE number IS NOT NULL
            )
            SELECT number || '/' || coalesce(sys_mod_count, 'row' || file_row) AS event_id,
                   number AS ticket_id, sys_updated_at AS "at", incident_state AS status,
                   CASE WHEN incident_state = 'Resolved' THEN resolved_by END AS actor_id
            FROM ordered
            WHERE before IS NULL OR before <> incident_state
            ORDER BY ticket_id, file_row
            """
        ).to_arrow_table()
    finally:
        con.close()


PROFILE = Profile(
    name="servicenow",
    summary="ServiceNow: the incident table exported one row per update (incident event log)",
    expects=EXPECTS,
    plan=plan,
)
