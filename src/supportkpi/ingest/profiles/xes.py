"""A generic XES event log (``.xes``, ``.xes.gz``) as ticket events, with an activity map.

The log is read by the loader's own streaming reader (:mod:`supportkpi.ingest.xes_reader`):
each event is a row, its trace's attributes prefixed ``case:``. The trace's
``concept:name`` is the ticket, ``time:timestamp`` the time, ``org:resource`` the actor.
The default activity map below knows the names help-desk logs commonly use for a ticket's
creation, replies, waiting, solving, closing, reopening, escalation and assignment,
whatever their case; any other activity is a private system note (``supportkpi import xes
--dry-run`` lists which activities no rule covers). ``--map`` names a log's own
activities on top, in the mapping language (``[ticket_events.events.activities."X"]``
entries win over these rules; a ``[[ticket_events.events.rules]]`` list replaces them).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from supportkpi.errors import InputError
from supportkpi.ingest.profiles._export_files import require_columns
from supportkpi.ingest.profiles.base import Part, Profile
from supportkpi.ingest.xes_reader import _open

EXPECTS = "an XES event log with a case id, an activity and a timestamp per event"
REQUIRED = ("case:concept:name", "concept:name", "time:timestamp")


def _rule(names: str, **event: Any) -> dict[str, Any]:
    """A rule matching ``names`` (an RE2 alternation) whatever the case."""
    return {"regex": f"(?i)({names})", **event}


#: Common activity names, in the order they are tried.
RULES = [
    _rule("reopen|reopened|re-open|reopen ticket|ticket reopened",
          kind="status", status="open", actor_type="customer", clear=["actor_id"]),
    _rule("insert ticket|create ticket|open ticket|submit ticket|new ticket|register ticket|"
          "ticket (created|opened|submitted|registered)|created|opened|submitted",
          kind="message", actor_type="customer", clear=["actor_id"]),
    _rule("take in charge ticket|reply|replied|respond|responded|answer|answered|"
          "reply to customer|send (reply|response|answer)|first (reply|response)",
          kind="message", actor_type="agent"),
    _rule("wait|waiting|pending|wait for customer|awaiting customer|wait - user",
          kind="status", status="pending", actor_type="agent"),
    _rule("resolve ticket|resolve|resolved|solve|solved|ticket (resolved|solved)|resolution",
          kind="status", status="solved", actor_type="agent"),
    _rule("close|closed|close ticket|ticket closed",
          kind="status", status="closed", actor_type="system"),
    _rule("escalate|escalated|escalation|require upgrade",
          kind="escalation", level=2, actor_type="agent"),
    _rule("assign|assigned|reassign|reassigned|assign ticket",
          kind="assignment", actor_type="agent", copy={"assignee_id": "org:resource"}),
]  # fmt: skip
MAPPING: dict[str, Any] = {
    "source": {"format": "xes"},
    "columns": {
        "ticket_id": "case:concept:name",
        "at": "time:timestamp",
        "actor_id": "org:resource",
    },
    "events": {
        "activity_column": "concept:name",
        "default": {"kind": "note", "actor_type": "system", "public": False},
        "rules": RULES,
    },
}


def plan(files: Sequence[Path], workdir: Path) -> list[Part]:
    """Each log as one load of ticket events (tickets are derived from them)."""
    del workdir  # the logs are loaded as they are
    for path in files:
        require_columns(path, first_event_keys(path), REQUIRED, EXPECTS)
    return [Part("ticket_events", path, MAPPING, "xes") for path in files]


def first_event_keys(path: Path) -> set[str]:
    """The column names of the log's first event (its keys, and its trace's as ``case:``
    keys), read by streaming only as far as the end of that event's trace."""
    keys: set[str] | None = None
    root = in_trace = False
    try:
        with _open(path) as fh:
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                tag = elem.tag.rpartition("}")[2]
                if event == "start":
                    if not root and tag != "log":
                        raise InputError(f"{path.name}: not {EXPECTS}: the root is <{tag}>")
                    root, in_trace = True, in_trace or tag == "trace"
                elif tag == "event" and keys is None:
                    keys = _keys(elem)
                    if not in_trace:
                        break
                elif tag == "trace":
                    if keys is not None:
                        keys |= {f"case:{key}" for key in _keys(elem)}
                        break
                    in_trace = False
    except ET.ParseError as exc:
        raise InputError(f"{path.name}: not {EXPECTS}: not well-formed XML ({exc})") from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not {EXPECTS}: cannot read it ({exc})") from None
    if keys is None:
        raise InputError(f"{path.name}: not {EXPECTS}: it holds no event")
    return keys


def _keys(elem: ET.Element) -> set[str]:
    """The keys of an element's direct attributes (its events have no key)."""
    return {key for child in elem if (key := child.get("key")) is not None}


PROFILE = Profile(
    name="xes",
    summary="XES: any event log, with a default map of common activity names",
    expects=EXPECTS,
    plan=plan,
)
