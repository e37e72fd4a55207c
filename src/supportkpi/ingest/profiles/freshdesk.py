"""``supportkpi import freshdesk``: the Freshdesk ticket CSV export, with conversations.

The tickets part is the user's CSV itself, read through a mapping built from its header
(Freshdesk's column names, matched ignoring case), so ``--map`` can add any other column
of the export. Status, priority and source are read as names or as the API's numeric
codes (developers.freshdesk.com/api: status 2 Open, 3 Pending, 4 Resolved, 5 Closed;
priority 1 Low .. 4 Urgent; source 1 Email, 2 Portal, 3 Phone, 7 Chat, ...).

Conversations (the JSON of ``GET /api/v2/tickets/{id}/conversations``) become message and
note events. A ticket with conversations has events, so its solves must be events too:
its ``Resolved time`` and ``Closed time`` become status events, and a ticket that is open
again after a resolve (Freshdesk reopens on a customer reply) gets a reopen at its ``Last
update time``, the export keeping no reopen time. Tickets without conversations keep the
export's own times as the fallback columns.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from supportkpi.errors import InputError
from supportkpi.ingest.profiles._json_pages import (
    ORIGIN,
    PROBLEM,
    UNKNOWN,
    id_text,
    not_export,
    read_records,
    writers,
)
from supportkpi.ingest.profiles.base import Part, Profile

EXPECTS = (
    "the Freshdesk ticket export as CSV (columns Ticket ID, Created time, Status, ...), "
    "optionally with conversations JSON from GET /api/v2/tickets/{id}/conversations"
)
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
STATUS = {"2": "open", "open": "open", "3": "pending", "pending": "pending",
          "4": "solved", "resolved": "solved", "5": "closed", "closed": "closed",
          "waiting on customer": "pending", "waiting on third party": "pending"}  # fmt: skip
PRIORITY = {"1": "low", "low": "low", "2": "normal", "medium": "normal", "3": "high",
            "high": "high", "4": "urgent", "urgent": "urgent"}  # fmt: skip
SOURCE = {"1": "email", "email": "email", "2": "web", "portal": "web", "3": "phone",
          "phone": "phone", "4": "web", "forum": "web", "5": "social", "twitter": "social",
          "6": "social", "facebook": "social", "7": "chat", "chat": "chat", "8": "messaging",
          "mobihelp": "messaging", "9": "web", "feedback widget": "web", "10": "email",
          "outbound email": "email", "11": "web", "ecommerce": "web", "12": "chat",
          "bot": "chat", "13": "messaging", "whatsapp": "messaging"}  # fmt: skip
#: canonical column -> Freshdesk export column (the first present of a list).
COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket_id": ("Ticket ID",),
    "created_at": ("Created time",),
    "subject": ("Subject",),
    "status": ("Status",),
    "priority": ("Priority",),
    "channel": ("Source",),
    "assignee_id": ("Agent",),
    "team": ("Group",),
    "customer_id": ("Contact ID", "Email", "Full name"),
    "solved_at": ("Resolved time",),
    "closed_at": ("Closed time",),
    "updated_at": ("Last update time",),
    "first_response_at": ("Initial response time",),
    "tags": ("Tags",),
}
REQUIRED = ("Ticket ID", "Created time")
OPEN_AGAIN = {"open", "pending"}


def plan(paths: Sequence[Path], workdir: Path) -> list[Part]:
    """The CSV exports as tickets parts, conversations and solves as one events part."""
    csvs = [p for p in paths if p.suffix.lower() not in JSON_SUFFIXES]
    jsons = [p for p in paths if p.suffix.lower() in JSON_SUFFIXES]
    if not csvs:
        raise InputError(f"supportkpi import freshdesk needs the ticket CSV export: {EXPECTS}")
    headers = {path: _header(path) for path in csvs}
    out = writers(workdir, "ticket_events")["ticket_events"]
    with_conversations: set[str] = set()
    for path in jsons:
        for row in conversation_rows(path):
            with_conversations.add(str(row.get("ticket_id")))
            out.add(row, path)
    for path in csvs:
        for row in solve_rows(path, headers[path], with_conversations):
            out.add(row, path)
    parts = [
        Part("tickets", path, tickets_mapping(header), format="csv", label=path.name)
        for path, header in headers.items()
    ]
    events = out.part()
    return parts + ([events] if events else [])


def _header(path: Path) -> dict[str, str]:
    """The export's columns by lower-cased name; InputError when it is not the export."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            names = next(csv.reader(fh), [])
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not a Freshdesk ticket export (not UTF-8 text)") from None
    header = {name.strip().lower(): name for name in names}
    missing = [name for name in REQUIRED if name.lower() not in header]
    if missing:
        raise InputError(
            f"{path.name}: not a Freshdesk ticket export: no {' or '.join(map(repr, missing))} "
            f"column (expected {EXPECTS})"
        )
    return header


def tickets_mapping(header: dict[str, str]) -> dict[str, Any]:
    """The mapping of this export's header: Freshdesk names, codes or names as values."""
    columns: dict[str, Any] = {}
    for canonical, names in COLUMNS.items():
        present = [header[n.lower()] for n in names if n.lower() in header]
        if present:
            columns[canonical] = present[0] if len(present) == 1 else present
    mapping: dict[str, Any] = {
        "source": {"format": "csv", "implicit_columns": False},
        "columns": columns,
        # An export without Source (or an empty cell): as for tickets derived from events.
        "constants": {"channel": UNKNOWN},
        "values": {
            "status": _spellings(STATUS),
            "priority": _spellings(PRIORITY),
            "channel": _spellings(SOURCE),
        },
    }
    hours = header.get("first response time (in hrs)")
    if "first_response_at" not in columns and hours:
        # No first-response instant in this export: creation + the hours it reports.
        columns.pop("first_response_at", None)
        mapping["computed"] = {
            "first_response_at": {"from": "created_at", "add": hours, "unit": "hours"}
        }
    return mapping


def _spellings(table: dict[str, str]) -> dict[str, str]:
    # [values] match the text as written: give the export's capitalisations too.
    spelled = dict(table)
    for key, value in table.items():
        spelled[key.title()] = value
        spelled[key.upper()] = value
    return spelled


def conversation_rows(path: Path) -> list[dict[str, Any]]:
    """Each conversation (reply or note) of a conversations file as an event row."""
    rows: list[dict[str, Any]] = []
    seen = False
    for record in read_records(path, ("conversations",), "Freshdesk conversations"):
        item = record.value
        if isinstance(item, dict) and "ticket_id" in item and "incoming" in item:
            seen = True
            rows.append(conversation_row(item, record.where))
        else:
            rows.append({ORIGIN: record.where, PROBLEM: "not a Freshdesk conversation"})
    if not seen:
        expects = "conversation objects (id, ticket_id, incoming, private, created_at)"
        raise not_export(path, "Freshdesk conversations", expects)
    return rows


def conversation_row(c: dict[str, Any], where: str) -> dict[str, Any]:
    """Incoming: the customer's message; private or a note (source 2): a note; else a reply."""
    private = c.get("private") is True
    if c.get("incoming") is True:
        kind, actor = ("note" if private else "message"), "customer"
    else:
        kind, actor = ("note" if private or c.get("source") == 2 else "message"), "agent"
    return {
        "event_id": f"freshdesk:{id_text(c.get('id'))}",
        "ticket_id": id_text(c.get("ticket_id")),
        "at": c.get("created_at"),
        "kind": kind,
        "actor_type": actor,
        "actor_id": id_text(c.get("user_id")),
        "public": not private,
        "body": c.get("body_text"),
        ORIGIN: where,
    }


def solve_rows(path: Path, header: dict[str, str], tickets: set[str]) -> list[dict[str, Any]]:
    """Status events from the export's times, for the tickets that have conversations."""
    get = _getter(header)
    rows: list[dict[str, Any]] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), start=2):
            ticket = (get(row, "Ticket ID") or "").strip()
            if ticket not in tickets:
                continue
            where = f"{path.name} row {number}"
            rows.append(opening_row(ticket, row, get, where))
            resolved, closed = get(row, "Resolved time"), get(row, "Closed time")
            base = {"ticket_id": ticket, "kind": "status", "actor_type": "agent", ORIGIN: where}
            if resolved:
                rows.append({**base, "event_id": f"freshdesk:{ticket}:resolved",
                             "at": resolved, "status": "solved"})  # fmt: skip
            if closed:
                rows.append({**base, "event_id": f"freshdesk:{ticket}:closed",
                             "at": closed, "status": "closed"})  # fmt: skip
            status = STATUS.get((get(row, "Status") or "").strip().lower())
            updated = get(row, "Last update time")
            if resolved and status in OPEN_AGAIN and _later(updated, resolved):
                rows.append({**base, "event_id": f"freshdesk:{ticket}:reopened", "at": updated,
                             "status": status, "actor_type": "customer"})  # fmt: skip
    return rows


def opening_row(ticket: str, row: dict[str, str], get: Any, where: str) -> dict[str, Any]:
    """The ticket's description, its first message: conversations hold only what follows.
    An outbound email is the agent's; everything else the requester's."""
    outbound = (get(row, "Source") or "").lower() in ("10", "outbound email")
    return {
        "event_id": f"freshdesk:{ticket}:created",
        "ticket_id": ticket,
        "at": get(row, "Created time"),
        "kind": "message",
        "actor_type": "agent" if outbound else "customer",
        "public": True,
        "body": get(row, "Description"),
        ORIGIN: where,
    }


def _getter(header: dict[str, str]) -> Any:
    def get(row: dict[str, str], name: str) -> str | None:
        column = header.get(name.lower())
        value = row.get(column) if column else None
        return value.strip() if value and value.strip() else None

    return get


def _later(a: str | None, b: str) -> bool:
    """Is ``a`` after ``b`` (two times of the same export, so in one zone)?"""
    try:
        return a is not None and datetime.fromisoformat(a) > datetime.fromisoformat(b)
    except ValueError:
        return False


PROFILE = Profile(
    name="freshdesk",
    summary="Freshdesk: the ticket CSV export, with conversations JSON",
    expects=EXPECTS,
    plan=plan,
)
