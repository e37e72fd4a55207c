"""``supportkpi import zendesk``: Zendesk Support tickets with their audits or ticket events.

Reads the JSON of the Support API (developer.zendesk.com): ticket pages (``GET
/api/v2/tickets``, the Incremental Ticket Export ``{"tickets": [...]}``, or JSON Lines of
ticket objects), ticket audits (``GET /api/v2/tickets/{id}/audits``: ``{"audits": [...]}``
whose ``events`` hold ``Create``/``Change`` field events and ``Comment`` events), and the
Incremental Ticket Event Export (``{"ticket_events": [...]}`` with ``child_events``).

Status changes become status events, public comments become messages (by the requester:
customer; by anyone else: agent; author -1: system), private comments become notes, and
assignee or group changes become assignment events. So first reply, resolution, reopen and
FCR come from the history, as the docs/ticket-kpis.md derivation rule says.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from supportkpi.ingest.profiles._json_pages import (
    ORIGIN,
    PROBLEM,
    UNKNOWN,
    PartWriter,
    Record,
    first_value,
    id_text,
    loads,
    not_export,
    read_records,
    source_fields,
    utc_text,
    writers,
)
from supportkpi.ingest.profiles._zendesk_events import (
    STATUSES,
    People,
    audit_rows,
    channel,
    ticket_event_rows,
)
from supportkpi.ingest.profiles.base import Part, Profile

KEYS = ("tickets", "ticket", "audits", "audit", "ticket_events", "users")
EXPECTS = (
    'Zendesk API JSON: {"tickets": [...]} ticket pages, {"audits": [...]} ticket audits or '
    '{"ticket_events": [...]} incremental ticket events (or JSON Lines of those objects)'
)
#: Satisfaction ratings on the default 1-5 CSAT scale: good is satisfied, bad is not.
RATINGS = {"good": 5.0, "bad": 1.0, "offered": None}
ROLES = {"end-user": "customer", "agent": "agent", "admin": "agent"}
#: An export written over time holds a ticket once per update: the last one is the ticket.
SNAPSHOTS = {"duplicates": "keep_last", "order_by": "updated_at"}


def kind_of(record: Record) -> str | None:
    """ticket, audit, event or user; None for an object that is none of them."""
    by_key = {"tickets": "ticket", "ticket": "ticket", "audits": "audit", "audit": "audit",
              "ticket_events": "event", "users": "user"}  # fmt: skip
    value = record.value
    if not isinstance(value, dict):
        return None
    if record.key is not None:
        return by_key[record.key]
    if "child_events" in value:
        return "event"
    if "events" in value and "ticket_id" in value:
        return "audit"
    if "role" in value and "ticket_id" not in value:
        return "user"
    if "id" in value and "created_at" in value and ({"status", "requester_id", "via"} & set(value)):
        return "ticket"
    return None


def plan(paths: Sequence[Path], workdir: Path) -> list[Part]:
    """Check every file, learn requesters and roles, then convert in a second pass."""
    people = People()
    for path in paths:
        _learn(path, people)
    people.settle()
    out = writers(workdir, "tickets", "ticket_events", "surveys")
    for path in paths:
        for record in read_records(path, KEYS, "Zendesk"):
            _convert(path, record, kind_of(record), people, out)
    parts = [
        out["tickets"].part(SNAPSHOTS),
        out["ticket_events"].part(),
        out["surveys"].part(),
    ]
    return loads(parts, paths, "Zendesk", EXPECTS)


def _learn(path: Path, people: People) -> None:
    recognised = False
    for record in read_records(path, KEYS, "Zendesk"):
        kind = kind_of(record)
        recognised = recognised or kind is not None
        value = record.value
        if kind == "user":
            role = ROLES.get(str(value.get("role")))
            if role and id_text(value.get("id")):
                people.roles[str(id_text(value.get("id")))] = role
        elif kind == "ticket" and id_text(value.get("requester_id")):
            people.requesters[str(id_text(value.get("id")))] = str(id_text(value["requester_id"]))
        elif kind in ("audit", "event"):
            _learn_from_history(value, people)
    if not recognised:
        found = first_value(path, "Zendesk")
        empty_page = isinstance(found, dict) and any(k in found for k in KEYS)
        if not empty_page:
            raise not_export(path, "Zendesk", EXPECTS)


def _learn_from_history(value: dict[str, Any], people: People) -> None:
    """An update's requester change, first comment and satisfaction rating."""
    ticket = id_text(value.get("ticket_id"))
    at = value.get("created_at") or utc_text(value.get("timestamp"))
    updater = id_text(value.get("author_id") or value.get("updater_id"))
    if not ticket:
        return
    for event in value.get("events") or value.get("child_events") or []:
        if not isinstance(event, dict):
            continue
        kind = event.get("type") or event.get("event_type")
        author = id_text(event.get("author_id")) or updater
        if kind == "Comment" and at and author:
            earliest = people.first_comment.get(ticket)
            if earliest is None or str(at) < earliest[0]:
                people.first_comment[ticket] = (str(at), author)
        elif kind == "SatisfactionRating" and at:
            # The ticket's rating has no time; the update that recorded it has.
            people.rated_at[ticket] = max(str(at), people.rated_at.get(ticket, ""))
        named = event.get("value") if event.get("field_name") == "requester_id" else None
        requester = id_text(named if named is not None else event.get("requester_id"))
        if requester:
            people.requesters.setdefault(ticket, requester)


def _convert(
    path: Path, record: Record, kind: str | None, people: People, out: dict[str, PartWriter]
) -> None:
    value = record.value
    if kind == "user":
        return  # users only tell who is an agent; they are not a canonical table here
    if kind == "ticket":
        out["tickets"].add(ticket_row(value, record.where), path)
        survey = survey_row(value, record.where, people)
        if survey:
            out["surveys"].add(survey, path)
        return
    if kind == "audit":
        rows = audit_rows(value, record.where, people)
    elif kind == "event":
        rows = ticket_event_rows(value, record.where, people)
    else:
        problem = "not a Zendesk ticket, audit or ticket event"
        out["tickets"].add({ORIGIN: record.where, PROBLEM: problem}, path)
        return
    for row in rows:
        out["ticket_events"].add(row, path)


def ticket_row(t: dict[str, Any], where: str) -> dict[str, Any]:
    """One ticket object as a canonical tickets row (its own fields kept as ``source:*``)."""
    tags = t.get("tags")
    return {
        "ticket_id": id_text(t.get("id")),
        "created_at": t.get("created_at"),
        "updated_at": t.get("updated_at"),
        "channel": channel(t.get("via")) or UNKNOWN,
        "customer_id": id_text(t.get("requester_id")),
        "assignee_id": id_text(t.get("assignee_id")),
        "team": id_text(t.get("group_id")),
        "priority": t.get("priority"),
        "status": STATUSES.get(str(t.get("status")), t.get("status")),
        "subject": t.get("subject") or t.get("raw_subject"),
        "tags": ";".join(map(str, tags)) if isinstance(tags, list) else None,
        ORIGIN: where,
        **source_fields(t),
    }


def survey_row(t: dict[str, Any], where: str, people: People) -> dict[str, Any] | None:
    """The ticket's satisfaction rating as a CSAT response (unoffered: none), answered
    when the rating object, else the audit that recorded it, says."""
    rating = t.get("satisfaction_rating")
    if not isinstance(rating, dict) or rating.get("score") not in RATINGS:
        return None
    ticket = id_text(t.get("id"))
    answered_at = utc_text(rating.get("updated_at") or rating.get("created_at")) or (
        people.rated_at.get(str(ticket))
    )
    return {
        "response_id": id_text(rating.get("id")) or f"{ticket}-csat",
        "kind": "csat",
        "score": RATINGS[rating["score"]],
        "responded_at": answered_at if RATINGS[rating["score"]] is not None else None,
        "ticket_id": ticket,
        "customer_id": id_text(t.get("requester_id")),
        "agent_id": id_text(t.get("assignee_id")),
        "comment": rating.get("comment"),
        ORIGIN: where,
    }


PROFILE = Profile(
    name="zendesk",
    summary="Zendesk Support: ticket JSON with audits or incremental ticket events",
    expects=EXPECTS,
    plan=plan,
)
