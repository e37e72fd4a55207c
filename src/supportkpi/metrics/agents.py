"""Agent KPIs from ``agent_activity``: utilization and occupancy.

Both are quotients of state time, from :func:`supportkpi.metrics.agent_time.activity`: each
state interval is dated at its start and counts whole in the bucket it starts in. Which
states are handling, available or logged out comes from the options ``handling_states``
(default handling and after_call_work), ``available_states`` (available) and
``logged_out_states`` (offline).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.agent_time import activity
from supportkpi.metrics.basis import AGENT_ACTIVITY
from supportkpi.metrics.calls import FAMILY
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.registry import Kind, Unit, register_quotient

DIMS = ("agent", "team")
_STATE_OPTIONS = ("handling_states", "available_states", "logged_out_states")


def _share(rows: ir.Table) -> tuple[ir.Table, ir.Table]:
    """Handling seconds over all seconds of ``rows``.

    The numerator keeps every row (0 s when not handling), so an agent who handled nothing
    gets 0 rather than no value, and n is the number of intervals in the denominator.
    """
    handling = rows.select(*DIMS, "at", x=ibis.ifelse(rows.handling, rows.seconds, 0.0))
    return handling, rows.select(*DIMS, "at", x=rows.seconds)


def _utilization(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    a = activity(ctx)
    return _share(a.filter(a.logged_in))


def _occupancy(ctx: MetricContext) -> tuple[ir.Table, ir.Table]:
    a = activity(ctx)
    return _share(a.filter(a.handling | a.available))


register_quotient(
    "agent_utilization",
    "Agent utilization",
    _utilization,
    "Handling time (states in handling_states: handling and after_call_work by "
    "default) / logged-in time (every state but logged_out_states, offline by "
    "default), from agent_activity; each interval is dated at its start. Seed 003: "
    "400 hours on support tasks of 500 working hours = 0.8. n is the logged-in "
    "intervals.",
    unit=Unit.RATIO,
    kind=Kind.RATIO,
    family=FAMILY,
    good="higher",
    dimensions=DIMS,
    options=_STATE_OPTIONS,
    needs=(AGENT_ACTIVITY,),
    seeds=("003",),
)
register_quotient(
    "occupancy",
    "Occupancy",
    _occupancy,
    "Handling time (handling_states) / handling plus available time (handling_states "
    "and available_states, available by default), from agent_activity; each interval "
    "is dated at its start: the share of ready time spent on contacts. n is the "
    "handling and available intervals.",
    unit=Unit.RATIO,
    kind=Kind.RATIO,
    family=FAMILY,
    good=None,
    dimensions=DIMS,
    options=_STATE_OPTIONS,
    needs=(AGENT_ACTIVITY,),
)
