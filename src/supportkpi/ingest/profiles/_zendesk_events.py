"""Zendesk histories as ticket events: audits and incremental ticket events.

An audit (``GET /api/v2/tickets/{id}/audits``) is one update of a ticket: its ``events``
are ``Create``/``Change`` field events (``field_name``, ``value``) and ``Comment`` events
(``public``, ``author_id``). An incremental ticket event (``GET
/api/v2/incremental/ticket_events``) is the same update with ``child_events`` whose changed
fields are keys (``"status": "solved"``). Both become status, message, note and
assignment events; an update with none of those stays as one private note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from supportkpi.ingest.profiles._json_pages import ORIGIN, id_text, utc_text

STATUSES = {"new": "new", "open": "open", "pending": "pending", "hold": "on_hold",
            "solved": "solved", "closed": "closed"}  # fmt: skip
#: ``via.channel`` values that have a canonical channel name; others are kept, lower-cased.
CHANNELS = {"voice": "phone", "twitter": "social", "facebook": "social",
            "instagram_dm": "social", "native_messaging": "messaging", "sms": "messaging",
            "whatsapp": "messaging", "mobile_sdk": "messaging", "mobile": "messaging"}  # fmt: skip


@dataclass
class People:
    """Who is who (requesters per ticket, user roles) and when each ticket was rated,
    gathered from every file before converting."""

    requesters: dict[str, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    rated_at: dict[str, str] = field(default_factory=dict)
    #: ticket -> (time, author) of its earliest comment: the description, the requester's
    first_comment: dict[str, tuple[str, str]] = field(default_factory=dict)

    def settle(self) -> None:
        """Tickets whose requester no file names: the author of the first comment."""
        for ticket, (_, author) in self.first_comment.items():
            self.requesters.setdefault(ticket, author)

    def actor(self, ticket: str | None, user: str | None) -> str:
        if user is None or user == "-1":
            return "system"
        if user in self.roles:
            return self.roles[user]
        return "customer" if self.requesters.get(ticket or "") == user else "agent"


def channel(via: Any) -> str | None:
    name = via.get("channel") if isinstance(via, dict) else None
    return CHANNELS.get(str(name), str(name).lower()) if name else None


def audit_rows(audit: dict[str, Any], where: str, people: People) -> list[dict[str, Any]]:
    """An audit's status, comment and assignment events (one note when it has none)."""
    base = {
        "ticket_id": id_text(audit.get("ticket_id")),
        "at": audit.get("created_at"),
        "channel": channel(audit.get("via")),
        ORIGIN: where,
    }
    author = id_text(audit.get("author_id"))
    rows = []
    for n, event in enumerate(audit.get("events") or [], start=1):
        if not isinstance(event, dict):
            continue
        key = _event_key(event, audit, n)
        kind = event.get("type")
        if kind in ("Comment", "VoiceComment"):
            user = id_text(event.get("author_id")) or author
            rows.append(comment_row(base, key, user, event.get("public", True), people,
                                    event.get("plain_body") or event.get("body")))  # fmt: skip
        elif kind in ("Create", "Change"):
            change = field_row(base, key, event.get("field_name"), event.get("value"))
            if change:
                change["actor_type"] = people.actor(base["ticket_id"], author)
                change["actor_id"] = author
                rows.append(change)
    return rows or [_update_note(base, f"zendesk:audit:{id_text(audit.get('id'))}", author, people)]


def ticket_event_rows(item: dict[str, Any], where: str, people: People) -> list[dict[str, Any]]:
    """An incremental ticket event (an update) and its ``child_events``."""
    base = {
        "ticket_id": id_text(item.get("ticket_id")),
        "at": item.get("created_at") or utc_text(item.get("timestamp")),
        ORIGIN: where,
    }
    updater = id_text(item.get("updater_id"))
    rows = []
    for n, child in enumerate(item.get("child_events") or [], start=1):
        if not isinstance(child, dict):
            continue
        key = _event_key(child, item, n)
        kind = child.get("event_type") or child.get("type")
        if kind in ("Comment", "VoiceComment") and child.get("comment_present", True):
            public = child.get("public", child.get("comment_public", True))
            user = id_text(child.get("author_id")) or updater
            rows.append(comment_row(base, key, user, public, people, child.get("body")))
        elif kind in ("Create", "Change"):
            for name in ("status", "assignee_id", "group_id"):
                change = field_row(base, f"{key}:{name}", name, child.get(name))
                if name in child and change:
                    change["actor_type"] = people.actor(base["ticket_id"], updater)
                    change["actor_id"] = updater
                    rows.append(change)
    return rows or [_update_note(base, f"zendesk:event:{id_text(item.get('id'))}", updater, people)]


def _event_key(event: dict[str, Any], parent: dict[str, Any], n: int) -> str:
    """Zendesk's own event id; the parent's id and position for an event without one."""
    own = id_text(event.get("id"))
    return f"zendesk:{own}" if own else f"zendesk:{id_text(parent.get('id'))}.{n}"


def comment_row(base: dict[str, Any], key: str, user: str | None, public: Any,
                people: People, body: Any) -> dict[str, Any]:  # fmt: skip
    """A public comment is a message, a private one a note (neither is a reply)."""
    is_public = public is not False
    return {**base, "event_id": key, "kind": "message" if is_public else "note",
            "actor_type": people.actor(base["ticket_id"], user), "actor_id": user,
            "public": is_public, "body": body}  # fmt: skip


def field_row(base: dict[str, Any], key: str, name: Any, value: Any) -> dict[str, Any] | None:
    """A status, assignee or group change as an event; None for other fields."""
    if name == "status" and value is not None:
        status = STATUSES.get(str(value), str(value))
        return {**base, "event_id": key, "kind": "status", "status": status}
    if name == "assignee_id" and id_text(value):
        return {**base, "event_id": key, "kind": "assignment", "assignee_id": id_text(value)}
    if name == "group_id" and id_text(value):
        return {**base, "event_id": key, "kind": "assignment", "team": id_text(value)}
    return None


def _update_note(
    base: dict[str, Any], key: str, user: str | None, people: People
) -> dict[str, Any]:
    # An update with none of the events above (tags, notifications, ...) stays in the
    # history as a private system-side note, so every audit is accounted for.
    return {**base, "event_id": key, "kind": "note", "public": False,
            "actor_type": people.actor(base["ticket_id"], user), "actor_id": user,
            "body": "ticket updated"}  # fmt: skip
