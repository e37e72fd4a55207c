"""Stable keys for events that come without an ``event_id``.

An event log row is identified by what it says happened: the ticket, the instant (in UTC
microseconds, so the source time zone or offset spelling does not matter), the actor, the
body, and *what* happened — the source activity name when the mapping reads an activity
column, else the event's kind, actor type, status, visibility, level, assignee, team and
channel. The key is the md5 of those values plus the row's occurrence number among rows of the
same file that are equal on all of them (file order). So:

* re-loading the same file yields the same keys (every row ``unchanged``);
* exact duplicate rows (the real help-desk log has 127) stay distinct events, as the source
  recorded them;
* correcting an activity's meaning in the mapping and re-loading *updates* those events
  instead of adding a second copy, because the activity name, not its meaning, is hashed.
"""

from __future__ import annotations

#: Canonical columns describing *what* happened, when no activity column does.
_WHAT = ("kind", "actor_type", "status", "public", "level", "assignee_id", "team", "channel")
_WHO_WHEN = ("ticket_id", "actor_id", "body")


def event_id_sql(rows_sql: str, v: dict[str, str], keyed_by_activity: bool) -> str:
    """Wrap ``rows_sql`` (valid rows, typed columns named by ``v``) to fill missing event ids.

    ``v`` maps canonical column names to the SQL names of their typed values; ``rows_sql``
    must also select ``_row``, ``_act_text`` (the source activity name) and ``_bad_rule``
    (NULL for a valid row). Only valid rows are numbered and keyed.
    """
    parts = [f"CAST(epoch_us({v['at']}) AS VARCHAR)"]
    parts += [v[name] for name in _WHO_WHEN]
    parts += ["_act_text"] if keyed_by_activity else [v[name] for name in _WHAT]
    identity = [f"coalesce(CAST({p} AS VARCHAR), chr(0))" for p in parts]
    # chr(31) (unit separator) between fields and chr(0) for NULL keep ('a', NULL) and
    # (NULL, 'a') apart, which concat_ws alone would not.
    partition = ", ".join(["_bad_rule IS NULL", *identity])
    occurrence = f"row_number() OVER (PARTITION BY {partition} ORDER BY _row)"
    digest = f"md5(concat_ws(chr(31), {', '.join(identity)}, CAST(_occ AS VARCHAR)))"
    event_id = v["event_id"]
    keyed = f"CASE WHEN _bad_rule IS NULL THEN coalesce({event_id}, {digest}) END"
    return f"""SELECT * EXCLUDE (_occ) REPLACE ({keyed} AS {event_id})
        FROM (SELECT *, {occurrence} AS _occ FROM ({rows_sql}))"""
