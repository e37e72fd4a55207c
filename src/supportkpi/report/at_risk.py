"""The at-risk list: open SLA targets that fall due within a horizon."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from supportkpi.calendar.business import add_business_seconds, calendar_for_team
from supportkpi.errors import InputError
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.sla import target_clocks

if TYPE_CHECKING:
    from supportkpi.query.session import Session

COLUMNS = [
    "ticket_id",
    "sla_policy",
    "sla_target",
    "due_at",
    "remaining_s",
    "channel",
    "team",
    "agent",
    "priority",
    "segment",
]


def at_risk(
    con: Session, horizon_s: float = 4 * 3600, as_of: datetime | None = None
) -> pd.DataFrame:
    """Running SLA targets due within ``horizon_s`` of ``as_of`` (default: now), soonest first.

    ``remaining_s`` is the time left in the policy's own time (business seconds for business-
    hours policies); ``due_at`` is the wall-clock instant (UTC) when the target falls due.
    """
    if horizon_s <= 0:
        raise InputError("the horizon must be positive (e.g. 4h)")
    now = int(as_of.timestamp()) if as_of else int(time.time())
    settings = con.settings
    ctx = MetricContext(
        backend=con.backend,
        options=con.default_options,
        calendar=settings.business_hours,
        sla_policies=settings.sla,
        as_of=now,
    )
    clocks = target_clocks(ctx)
    # Business time never runs faster than the clock: remaining <= horizon is a superset.
    running = clocks.filter((clocks.outcome == "running") & (clocks.remaining <= horizon_s))
    rows = con.backend.execute(
        running.select(
            "ticket_id",
            "sla_policy",
            "sla_target",
            "start",
            "target_s",
            "business",
            "remaining",
            "channel",
            "team",
            "agent",
            "priority",
            "segment",
        )
    )
    due = []
    for record in rows.to_dict("records"):
        start, target = int(record["start"]), float(record["target_s"])
        if record["business"] and settings.business_hours is not None:
            calendar = calendar_for_team(settings.business_hours, record["team"])
            due.append(add_business_seconds(settings.business_hours, calendar, start, target))
        else:
            due.append(int(start + target))
    rows["due_s"] = due
    rows = rows[rows["due_s"] <= now + horizon_s].sort_values(["due_s", "ticket_id"])
    rows["due_at"] = pd.to_datetime(rows["due_s"], unit="s", utc=True)
    rows = rows.rename(columns={"remaining": "remaining_s"})
    return rows[COLUMNS].reset_index(drop=True)
