"""``supportkpi import zammad``: Zammad tickets, their articles and, if given, their history.

Reads the JSON of Zammad's REST API (docs.zammad.org, "API / Ticket"): tickets from ``GET
/api/v1/tickets?expand=true`` (names like ``state`` and ``group``) or without ``expand``
(``state_id``, ``group_id``); articles from ``GET /api/v1/ticket_articles/by_ticket/{id}``
(``sender`` Customer/Agent/System, ``internal``, ``type``); the history from ``GET
/api/v1/ticket_history/{id}`` (``{"history": [...]}``: ``object``, ``o_id``,
``attribute``, ``value_from``, ``value_to``). Arrays, arrays of per-ticket responses and
JSON Lines all read.

Articles become messages (internal ones and ``note`` articles: notes). State changes of
the history become status events, owner and group changes assignments. A ticket whose
history was not given gets its solve from ``close_at`` (and, open again after it, a reopen
at ``updated_at``); earlier close/reopen cycles of such a ticket are not in the export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
    writers,
)
from supportkpi.ingest.profiles.base import Part, Profile

KEYS = ("history",)
EXPECTS = (
    "Zammad API JSON: ticket objects (GET /api/v1/tickets?expand=true), ticket articles "
    '(GET /api/v1/ticket_articles/by_ticket/{id}) or a ticket history ({"history": [...]})'
)
STATES = {"new": "new", "open": "open", "pending reminder": "pending",
          "pending close": "pending", "closed": "closed", "merged": "closed"}  # fmt: skip
#: Zammad's default state and priority ids, for exports without ``expand=true``.
STATE_IDS = {"1": "new", "2": "open", "3": "pending", "4": "closed", "5": "closed",
             "7": "pending"}  # fmt: skip
PRIORITIES = {"1 low": "low", "2 normal": "normal", "3 high": "high",
              "1": "low", "2": "normal", "3": "high"}  # fmt: skip
CHANNELS = {"email": "email", "phone": "phone", "web": "web", "chat": "chat", "sms": "messaging",
            "twitter status": "social", "twitter direct-message": "social",
            "facebook feed post": "social", "facebook feed comment": "social",
            "telegram personal-message": "messaging", "whatsapp message": "messaging"}  # fmt: skip
SENDER_IDS = {"1": "Agent", "2": "Customer", "3": "System"}
ACTORS = {"Agent": "agent", "Customer": "customer", "System": "system"}
#: Owner id 1 is Zammad's "-" (nobody).
NOBODY = "1"
#: An export written over time holds a ticket once per update: the last one is the ticket.
SNAPSHOTS = {"duplicates": "keep_last", "order_by": "updated_at"}


def kind_of(record: Record) -> str | None:
    """ticket, article or history; None for an object that is none of them."""
    value = record.value
    if not isinstance(value, dict):
        return None
    if record.key == "history":
        return "history"
    if "ticket_id" in value and ({"sender", "sender_id"} & set(value)):
        return "article"
    if "o_id" in value and "attribute" in value:
        return "history"
    if "number" in value and "created_at" in value and ({"state", "state_id"} & set(value)):
        return "ticket"
    return None


@dataclass
class Seen:
    """What a first pass over the files learns: the tickets with history, with articles,
    and each ticket's customer (who may reopen it)."""

    history: set[str] = field(default_factory=set)
    articles: set[str] = field(default_factory=set)
    customers: dict[str, str] = field(default_factory=dict)


def plan(paths: Sequence[Path], workdir: Path) -> list[Part]:
    """Check and learn from every file, then convert each record in a second pass."""
    seen = Seen()
    for path in paths:
        _learn(path, seen)
    out = writers(workdir, "tickets", "ticket_events")
    for path in paths:
        for record in read_records(path, KEYS, "Zammad"):
            _convert(path, record, out, seen)
    parts = [out["tickets"].part(SNAPSHOTS), out["ticket_events"].part()]
    return loads(parts, paths, "Zammad", EXPECTS)


def _learn(path: Path, seen: Seen) -> None:
    recognised = False
    for record in read_records(path, KEYS, "Zammad"):
        kind, value = kind_of(record), record.value
        recognised = recognised or kind is not None
        if kind == "history":
            seen.history.add(str(ticket_of_history(value)))
        elif kind == "article":
            seen.articles.add(str(id_text(value.get("ticket_id"))))
        elif kind == "ticket" and id_text(value.get("customer_id")):
            seen.customers[str(id_text(value.get("id")))] = str(id_text(value["customer_id"]))
    if not recognised:
        value = first_value(path, "Zammad")
        if not (isinstance(value, dict) and any(k in value for k in KEYS)):
            raise not_export(path, "Zammad", EXPECTS)


def _convert(path: Path, record: Record, out: dict[str, PartWriter], seen: Seen) -> None:
    kind, value = kind_of(record), record.value
    if kind == "ticket":
        row = ticket_row(value, record.where)
        out["tickets"].add(row, path)
        ticket = str(row["ticket_id"])
        if ticket in seen.articles and ticket not in seen.history:
            for event in close_rows(value, record.where):
                out["ticket_events"].add(event, path)
    elif kind == "article":
        out["ticket_events"].add(article_row(value, record.where), path)
    elif kind == "history":
        out["ticket_events"].add(history_row(value, record.where, seen.customers), path)
    else:
        problem = "not a Zammad ticket, article or history entry"
        out["tickets"].add({ORIGIN: record.where, PROBLEM: problem}, path)


def _name(value: dict[str, Any], name: str, ids: dict[str, str]) -> str | None:
    """An expanded name (``state``), else the default name of its id (``state_id``)."""
    text = value.get(name)
    if isinstance(text, str) and text:
        return text
    return ids.get(str(id_text(value.get(f"{name}_id"))))


def _priority(t: dict[str, Any]) -> str | None:
    """``2 normal`` is normal; a custom priority's name is kept (lower-cased, like any
    open value); without ``expand`` the default ids 1-3 are read."""
    name = t.get("priority")
    if isinstance(name, str) and name:
        return PRIORITIES.get(name.lower(), name.lower())
    return PRIORITIES.get(str(id_text(t.get("priority_id"))))


def ticket_row(t: dict[str, Any], where: str) -> dict[str, Any]:
    """A ticket object as a canonical tickets row (its own fields kept as ``source:*``)."""
    state = _name(t, "state", STATE_IDS)
    status = STATES.get(str(state).lower(), state) if state else None
    owner = id_text(t.get("owner_id"))
    article_type = str(t.get("create_article_type") or "").lower()
    close_at = t.get("close_at")
    return {
        "ticket_id": id_text(t.get("id")),
        "created_at": t.get("created_at"),
        "updated_at": t.get("updated_at"),
        "channel": CHANNELS.get(article_type, article_type or UNKNOWN),
        "customer_id": id_text(t.get("customer_id")),
        "assignee_id": owner if owner != NOBODY else None,
        "team": t.get("group") if isinstance(t.get("group"), str) else id_text(t.get("group_id")),
        "priority": _priority(t),
        "status": status,
        "subject": t.get("title"),
        "first_response_at": t.get("first_response_at"),
        "solved_at": close_at if status == "closed" else None,
        "closed_at": close_at if status == "closed" else None,
        ORIGIN: where,
        **source_fields(t),
    }


def article_row(a: dict[str, Any], where: str) -> dict[str, Any]:
    """An article: a message, or a note when internal or of type ``note``."""
    sender = a.get("sender") or SENDER_IDS.get(str(id_text(a.get("sender_id"))))
    internal = a.get("internal") is True
    note = internal or str(a.get("type")).lower() == "note"
    article_type = str(a.get("type") or "").lower()
    return {
        "event_id": f"zammad:article:{id_text(a.get('id'))}",
        "ticket_id": id_text(a.get("ticket_id")),
        "at": a.get("created_at"),
        "kind": "note" if note else "message",
        "actor_type": ACTORS.get(str(sender)),
        "actor_id": id_text(a.get("created_by_id")),
        "public": not internal,
        "channel": CHANNELS.get(article_type),
        "body": a.get("body"),
        ORIGIN: where,
    }


def ticket_of_history(h: dict[str, Any]) -> str | None:
    """The ticket of a history entry: its own id, or the ticket of an article entry."""
    if str(h.get("object")) == "Ticket":
        return id_text(h.get("o_id"))
    return id_text(h.get("related_o_id")) or id_text(h.get("o_id"))


def history_row(h: dict[str, Any], where: str, customers: dict[str, str]) -> dict[str, Any]:
    """A history entry: state, owner and group updates as events, anything else a note.
    An update by the ticket's customer (a reply reopening it) is the customer's."""
    ticket, user = ticket_of_history(h), id_text(h.get("created_by_id"))
    base = {
        "event_id": f"zammad:history:{id_text(h.get('id'))}",
        "ticket_id": ticket,
        "at": h.get("created_at"),
        "actor_type": "customer" if user and customers.get(str(ticket)) == user else "agent",
        "actor_id": user,
        ORIGIN: where,
    }
    attribute, ticket_entry = h.get("attribute"), str(h.get("object")) == "Ticket"
    to = h.get("value_to")
    if ticket_entry and attribute == "state" and to:
        return {**base, "kind": "status", "status": STATES.get(str(to).lower(), str(to))}
    if ticket_entry and attribute == "owner" and id_text(h.get("id_to")) not in (None, NOBODY):
        return {**base, "kind": "assignment", "assignee_id": id_text(h.get("id_to"))}
    if ticket_entry and attribute == "group" and to:
        return {**base, "kind": "assignment", "team": str(to)}
    # Other entries (articles created, notifications, tags, ...) stay as private notes.
    what = " ".join(str(h.get(k)) for k in ("type", "object", "attribute") if h.get(k))
    return {**base, "kind": "note", "public": False, "actor_type": "system", "body": what}


def close_rows(t: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """A ticket without history: a close at ``close_at``; open now after it, a reopen."""
    row = ticket_row(t, where)
    ticket, close_at = row["ticket_id"], t.get("close_at")
    if not close_at:
        return []
    base = {"ticket_id": ticket, "kind": "status", "actor_type": "agent", ORIGIN: where}
    rows = [{**base, "event_id": f"zammad:{ticket}:closed", "at": close_at, "status": "closed"}]
    if row["status"] in ("new", "open", "pending") and t.get("updated_at"):
        rows.append({**base, "event_id": f"zammad:{ticket}:reopened", "at": t["updated_at"],
                     "status": row["status"]})  # fmt: skip
    return rows


PROFILE = Profile(
    name="zammad",
    summary="Zammad: ticket, article and history JSON of the REST API",
    expects=EXPECTS,
    plan=plan,
)
