"""``supportkpi import chatwoot``: Chatwoot conversations and their messages.

Reads the JSON of Chatwoot's Application API (developers.chatwoot.com/api-reference):
conversations from ``GET /api/v1/accounts/{account_id}/conversations`` (``{"data":
{"payload": [...]}}``: ``id``, ``status``, ``inbox_id``, ``meta.sender``,
``meta.assignee``, ``meta.channel``, unix-second ``created_at``, ``timestamp``,
``first_reply_created_at``), messages from ``.../conversations/{id}/messages``
(``{"payload": [...]}``: ``message_type`` 0 incoming, 1 outgoing, 2 activity, 3 template,
``private``, unix ``created_at``) and, optionally, inboxes (``GET .../inboxes``) for the
channel of a conversation without ``meta.channel``.

Incoming messages are the customer's, outgoing ones the agent's (a bot's when the sender
is an agent bot), private ones notes. Activity messages that change the status ("... marked
resolved", "... reopened", "... pending", "... snoozed") become status events, other
activities notes. A resolved conversation whose messages hold no resolve (activities not
exported) is solved at its last activity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportkpi.ingest.profiles._json_pages import (
    ORIGIN,
    PROBLEM,
    UNKNOWN,
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
from supportkpi.ingest.profiles.base import Part, Profile

KEYS = ("data", "payload")
EXPECTS = (
    'Chatwoot API JSON: conversations ({"data": {"payload": [...]}} of GET /api/v1/accounts/'
    '{id}/conversations) or messages ({"payload": [...]} of .../conversations/{id}/messages)'
)
STATUSES = {"open": "open", "resolved": "solved", "pending": "pending", "snoozed": "on_hold"}
PRIORITIES = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
CHANNELS = {"Channel::WebWidget": "chat", "Channel::Email": "email", "Channel::Api": "api",
            "Channel::FacebookPage": "social", "Channel::TwitterProfile": "social",
            "Channel::Instagram": "social", "Channel::Whatsapp": "messaging",
            "Channel::Sms": "messaging", "Channel::TwilioSms": "messaging",
            "Channel::Telegram": "messaging", "Channel::Line": "messaging",
            "Channel::Voice": "phone"}  # fmt: skip
#: Activity texts of Chatwoot's English locale that record a status change ("Conversation
#: was marked resolved by Ann", "System reopened the conversation due to ..."); a label or
#: an assignment that merely mentions a status word is not one.
ACTIVITIES = (
    (re.compile(r"conversation was (marked )?resolved", re.I), "solved"),
    (re.compile(r"conversation was reopened|reopened the conversation", re.I), "open"),
    (re.compile(r"conversation was marked (as )?pending", re.I), "pending"),
    (re.compile(r"conversation was snoozed|snoozed this conversation", re.I), "on_hold"),
)
BOTS = {"agent_bot", "agentbot", "captain_assistant", "captain::assistant"}
#: An export written over time holds a ticket once per update: the last one is the ticket.
SNAPSHOTS = {"duplicates": "keep_last", "order_by": "updated_at"}


def kind_of(record: Record) -> str | None:
    """conversation, message or inbox; None for an object that is none of them."""
    value = record.value
    if not isinstance(value, dict):
        return None
    if "message_type" in value and "conversation_id" in value:
        return "message"
    if "channel_type" in value and "conversation_id" not in value and "inbox_id" not in value:
        return "inbox"
    if "inbox_id" in value and "status" in value and ({"meta", "created_at"} & set(value)):
        return "conversation"
    return None


def records(path: Path) -> Iterator[Record]:
    """The file's objects; a conversation list's ``data`` gives its ``payload``."""
    for record in read_records(path, KEYS, "Chatwoot"):
        inner = record.value.get("payload") if isinstance(record.value, dict) else None
        if record.key == "data" and isinstance(inner, list):
            for n, item in enumerate(inner, start=1):
                yield Record("payload", item, f"{record.where}.payload[{n}]")
        else:
            yield record


@dataclass
class Seen:
    """What a first pass over the files learns: inbox channels, the conversations with
    messages, and those whose messages record a resolve."""

    inboxes: dict[str, str] = field(default_factory=dict)
    with_messages: set[str] = field(default_factory=set)
    resolved_by_activity: set[str] = field(default_factory=set)


def plan(paths: Sequence[Path], workdir: Path) -> list[Part]:
    """Check and learn from every file, then convert each record in a second pass."""
    seen = Seen()
    for path in paths:
        _learn(path, seen)
    out = writers(workdir, "tickets", "ticket_events")
    for path in paths:
        for r in records(path):
            kind = kind_of(r)
            if kind == "conversation":
                out["tickets"].add(conversation_row(r.value, r.where, seen.inboxes), path)
                ticket = str(id_text(r.value.get("id")))
                solve = last_activity_solve(r.value, r.where)
                if solve and ticket in seen.with_messages - seen.resolved_by_activity:
                    out["ticket_events"].add(solve, path)
            elif kind == "message":
                out["ticket_events"].add(message_row(r.value, r.where), path)
            elif kind is None:
                problem = "not a Chatwoot conversation, message or inbox"
                out["tickets"].add({ORIGIN: r.where, PROBLEM: problem}, path)
    parts = [out["tickets"].part(SNAPSHOTS), out["ticket_events"].part()]
    return loads(parts, paths, "Chatwoot", EXPECTS)


def _learn(path: Path, seen: Seen) -> None:
    recognised = False
    for r in records(path):
        kind = kind_of(r)
        recognised = recognised or kind is not None
        if kind == "inbox":
            seen.inboxes[str(id_text(r.value.get("id")))] = str(r.value.get("channel_type"))
        elif kind == "message":
            conversation = str(id_text(r.value.get("conversation_id")))
            seen.with_messages.add(conversation)
            if message_row(r.value, r.where).get("status") == "solved":
                seen.resolved_by_activity.add(conversation)
    if not recognised:
        value = first_value(path, "Chatwoot")
        if not (isinstance(value, dict) and any(k in value for k in KEYS)):
            raise not_export(path, "Chatwoot", EXPECTS)


def conversation_row(c: dict[str, Any], where: str, inboxes: dict[str, str]) -> dict[str, Any]:
    """A conversation as a canonical tickets row (its own fields kept as ``source:*``)."""
    meta: dict[str, Any] = c["meta"] if isinstance(c.get("meta"), dict) else {}
    team = meta.get("team")
    channel_type = meta.get("channel") or inboxes.get(str(id_text(c.get("inbox_id"))))
    labels = c.get("labels")
    return {
        "ticket_id": id_text(c.get("id")),
        "created_at": utc_text(c.get("created_at")),
        "updated_at": utc_text(c.get("last_activity_at") or c.get("timestamp")),
        "channel": CHANNELS.get(str(channel_type), str(channel_type).lower())
        if channel_type
        else UNKNOWN,
        "customer_id": _person(meta.get("sender")),
        "assignee_id": _person(meta.get("assignee")),
        "team": team.get("name") if isinstance(team, dict) else None,
        "priority": PRIORITIES.get(str(c.get("priority")), c.get("priority")),
        "status": STATUSES.get(str(c.get("status")), c.get("status")),
        "first_response_at": utc_text(c.get("first_reply_created_at")),
        "tags": ";".join(map(str, labels)) if isinstance(labels, list) and labels else None,
        ORIGIN: where,
        **source_fields({k: v for k, v in c.items() if k != "messages"}),
    }


def _person(value: Any) -> str | None:
    return id_text(value.get("id")) if isinstance(value, dict) else None


def message_row(m: dict[str, Any], where: str) -> dict[str, Any]:
    """A message: incoming the customer's, outgoing an agent's or bot's; activities
    that change the status are status events, other activities notes."""
    base = {
        "event_id": f"chatwoot:{id_text(m.get('id'))}",
        "ticket_id": id_text(m.get("conversation_id")),
        "at": utc_text(m.get("created_at")),
        "body": m.get("content"),
        ORIGIN: where,
    }
    sender: dict[str, Any] = m["sender"] if isinstance(m.get("sender"), dict) else {}
    sender_type = str(m.get("sender_type") or sender.get("type") or "").lower()
    actor_id = id_text(m.get("sender_id")) or id_text(sender.get("id"))
    kind = m.get("message_type")
    if kind == 2:
        status = next((s for pattern, s in ACTIVITIES if pattern.search(str(base["body"]))), None)
        if status:
            return {**base, "kind": "status", "status": status, "actor_type": "agent",
                    "actor_id": actor_id}  # fmt: skip
        return {**base, "kind": "note", "public": False, "actor_type": "system"}
    private = m.get("private") is True
    if kind == 0:
        actor = "customer"
    elif kind in (1, 3):
        actor = "bot" if sender_type in BOTS or kind == 3 else "agent"
    else:
        return {**base, PROBLEM: f"message_type {kind!r} is not 0, 1, 2 or 3"}
    return {**base, "kind": "note" if private else "message", "actor_type": actor,
            "actor_id": actor_id, "public": not private}  # fmt: skip


def last_activity_solve(c: dict[str, Any], where: str) -> dict[str, Any] | None:
    """A resolved conversation without a resolve activity: solved at its last activity."""
    at = utc_text(c.get("last_activity_at") or c.get("timestamp"))
    if c.get("status") != "resolved" or not at:
        return None
    ticket = id_text(c.get("id"))
    return {"event_id": f"chatwoot:{ticket}:resolved", "ticket_id": ticket, "at": at,
            "kind": "status", "status": "solved", "actor_type": "agent", ORIGIN: where}  # fmt: skip


PROFILE = Profile(
    name="chatwoot",
    summary="Chatwoot: conversation and message JSON of the Application API",
    expects=EXPECTS,
    plan=plan,
)
