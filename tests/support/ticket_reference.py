"""An independent plain-pandas reference for the ticket KPIs, written from docs/ticket-kpis.md.

It deliberately shares no code with ``supportkpi.metrics``: per-ticket facts are computed in
a Python loop over each ticket's sorted events (``ticket_facts_reference``), observations are
dated, filtered and grouped in Python, and statistics use pandas (``Series.quantile`` = linear
interpolation, the same as DuckDB's ``quantile_cont``). Clear rather than fast: it is meant
for a few hundred tickets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import pandas as pd
from ticket_facts_reference import (
    SOLVED,
    Facts,
    _val,
    epoch,
    open_at,
    records,
    seconds,
    ticket_facts,
)

#: Re-exported: the other references and the tests import the facts from here.
__all__ = ["SOLVED", "Facts", "epoch", "open_at", "records", "reference_kpi", "ticket_facts"]

DAY = 86400
BANDS = (("0-1d", 0, DAY), ("1-3d", DAY, 3 * DAY), ("3-7d", 3 * DAY, 7 * DAY),
         ("7-14d", 7 * DAY, 14 * DAY), (">14d", 14 * DAY, math.inf))  # fmt: skip
DURATIONS = ("first_response_time", "response_time", "resolution_time",
             "first_resolution_time", "social_response_time")  # fmt: skip
RATES = ("fcr_rate", "reopen_rate", "escalation_rate", "resolution_rate",
         "repeat_contact_rate", "next_issue_avoidance")  # fmt: skip
COUNTS = ("ticket_volume", "tickets_solved", "reopens", "backlog")
Z95 = NormalDist().inv_cdf(0.975)


# -- periods -----------------------------------------------------------------------------------
def local_date(at: pd.Timestamp, tz: str) -> date:
    return at.tz_convert(tz).date()


def bucket_start(day: date, grain: str) -> date:
    if grain == "day":
        return day
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    raise ValueError(grain)


def next_bucket(start: date, grain: str) -> date:
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date | str, tz: str) -> pd.Timestamp:
    """The UTC instant at which local date ``day`` starts in ``tz``."""
    return pd.Timestamp(str(day)).tz_localize(tz).tz_convert("UTC")


def in_range(at: pd.Timestamp, start: str | None, end: str | None, tz: str) -> bool:
    """Half-open ``[start, end)`` on local dates of ``tz``."""
    day = local_date(at, tz).isoformat()
    return (start is None or day >= start) and (end is None or day < end)


# -- observations ------------------------------------------------------------------------------
@dataclass
class Obs:
    """One dated contribution to a metric: a duration, a 0/1 outcome, a +1/-1 or a count."""

    at: pd.Timestamp
    facts: Facts
    x: float


def _durations(name: str, facts: list[Facts]) -> list[Obs]:
    out = []
    for f in facts:
        if name in ("first_response_time", "social_response_time"):
            if name == "social_response_time" and f.dims["channel"] != "social":
                continue
            if not f.agent_initiated and f.first_response_at is not None:
                out.append(Obs(f.first_response_at, f, seconds(f.start_at, f.first_response_at)))
        elif name == "response_time":
            out += [Obs(reply, f, seconds(first, reply)) for first, reply in f.runs]
        elif name == "resolution_time" and f.last_solved_at is not None:
            out.append(Obs(f.last_solved_at, f, seconds(f.created_at, f.last_solved_at)))
        elif name == "first_resolution_time" and f.first_solved_at is not None:
            out.append(Obs(f.first_solved_at, f, seconds(f.created_at, f.first_solved_at)))
    return [o for o in out if o.x >= 0]  # time travel is left out of durations


def _is_fcr(f: Facts, variant: str) -> bool:
    if f.reopens != 0:
        return False
    replies = f.agent_replies or 0
    if variant == "one_touch":
        return replies == 1
    if variant == "zendesk":
        return replies < 2
    if variant == "no_customer_followup":
        # With no first response nothing can follow it: such a ticket counts as FCR.
        answered = f.first_response_at
        return answered is None or not any(t > answered for t in f.customer_message_times)
    raise ValueError(variant)


def _repeats(f: Facts, facts: list[Facts], days: float) -> bool:
    solved = f.first_solved_at
    assert solved is not None
    limit = solved + pd.Timedelta(seconds=days * DAY)
    return any(
        g.customer_id == f.customer_id
        and g.ticket_id != f.ticket_id
        and solved < g.created_at <= limit
        for g in facts
    )


def observations(
    name: str, facts: list[Facts], options: dict[str, Any], report_end: pd.Timestamp | None
) -> list[Obs]:
    """The dated observations behind ``name`` (event cohort dating)."""
    if name in DURATIONS:
        return _durations(name, facts)
    solved = [f for f in facts if f.first_solved_at is not None]
    if name == "ticket_volume":
        return [Obs(f.created_at, f, 1) for f in facts]
    if name == "tickets_solved":
        return [Obs(f.first_solved_at, f, 1) for f in solved]  # type: ignore[arg-type]
    if name == "unanswered_tickets":
        awaiting = [f for f in facts if not f.agent_initiated]
        return [Obs(f.created_at, f, f.first_response_at is None) for f in awaiting]
    if name == "backlog_change":
        return [Obs(f.created_at, f, 1) for f in facts] + [
            Obs(f.first_solved_at, f, -1)  # type: ignore[arg-type]
            for f in solved
        ]
    if name == "fcr_rate":
        variant = options.get("fcr", "one_touch")
        return [Obs(f.first_solved_at, f, _is_fcr(f, variant)) for f in solved if f.has_events]  # type: ignore[arg-type]
    if name == "interactions_per_ticket":
        return [
            Obs(f.first_solved_at, f, (f.customer_messages or 0) + (f.agent_replies or 0))  # type: ignore[arg-type]
            for f in solved
            if f.has_events
        ]
    if name in ("reopen_rate", "reopens"):
        obs = [Obs(f.first_solved_at, f, f.reopens >= 1) for f in solved]  # type: ignore[arg-type]
        return obs if name == "reopen_rate" else [o for o in obs if o.x]
    if name == "escalation_rate":
        return [Obs(f.created_at, f, f.escalated) for f in facts]
    if name == "resolution_rate":
        return [
            Obs(f.created_at, f, f.first_solved_at is not None
                and (report_end is None or f.first_solved_at < report_end))
            for f in facts
        ]  # fmt: skip
    if name in ("repeat_contact_rate", "next_issue_avoidance"):
        days = float(options.get("repeat_contact_days", 7))
        known = [f for f in solved if f.customer_id is not None]
        obs = [Obs(f.first_solved_at, f, _repeats(f, facts, days)) for f in known]  # type: ignore[arg-type]
        if name == "next_issue_avoidance":
            obs = [Obs(o.at, o.facts, 1 - o.x) for o in obs]
        return obs
    raise ValueError(f"reference does not know {name!r}")


# -- aggregation -------------------------------------------------------------------------------
def statistic(xs: list[float], stat: str) -> float:
    """``mean``, ``median``, ``pNN`` (linear interpolation), ``count`` or ``sum``."""
    series = pd.Series(xs, dtype=float)
    if stat == "mean":
        return float(series.mean())
    if stat == "median":
        return float(series.quantile(0.5))
    if stat.startswith("p"):
        return float(series.quantile(float(stat[1:]) / 100))
    if stat == "count":
        return float(len(series))
    if stat == "sum":
        return float(series.sum())
    raise ValueError(stat)


def wilson(k: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The 95% Wilson score interval of ``k`` successes in ``n``."""
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def _summarise(name: str, stat: str, xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    if name in RATES:
        k = float(sum(xs))
        low, high = wilson(k, n)
        return {"value": k / n, "n": n, "ci_low": low, "ci_high": high}
    if name in COUNTS:
        return {"value": float(n), "n": n}
    if name in ("unanswered_tickets", "backlog_change"):
        return {"value": float(sum(xs)), "n": n}
    default = "mean" if name == "interactions_per_ticket" else "median"
    return {"value": statistic(xs, stat or default), "n": n}


def _matches(dims: dict[str, Any], where: dict[str, Any]) -> bool:
    for dim, wanted in where.items():
        values = wanted if isinstance(wanted, list | tuple | set) else [wanted]
        if dims.get(dim) not in values:
            return False
    return True


@dataclass
class Query:
    """The query shape shared by every metric."""

    start: str | None = None
    end: str | None = None
    grain: str | None = None
    by: list[str] = field(default_factory=list)
    tz: str = "UTC"
    where: dict[str, Any] = field(default_factory=dict)
    cohort: str = "event"
    options: dict[str, Any] = field(default_factory=dict)

    def key(self, at: pd.Timestamp, dims: dict[str, Any]) -> tuple[Any, ...]:
        period = (
            (bucket_start(local_date(at, self.tz), self.grain).isoformat(),) if self.grain else ()
        )
        return period + tuple(dims.get(d) for d in self.by)

    def row(self, key: tuple[Any, ...]) -> dict[str, Any]:
        names = (["period"] if self.grain else []) + self.by
        return dict(zip(names, key, strict=True))

    @property
    def report_end(self) -> pd.Timestamp | None:
        return local_midnight(self.end, self.tz) if self.end else None


def _grouped(name: str, stat: str, obs: list[Obs], q: Query) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for o in obs:
        at = o.facts.created_at if q.cohort == "created" else o.at
        if in_range(at, q.start, q.end, q.tz) and _matches(o.facts.dims, q.where):
            groups[q.key(at, o.facts.dims)].append(float(o.x))
    rows = [{**q.row(k), **_summarise(name, stat, xs)} for k, xs in groups.items()]
    if not rows and not q.grain and not q.by:
        rows = [{"value": None, "n": 0}]
    return rows


# -- point-in-time metrics ---------------------------------------------------------------------
def data_end(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The data's last instant + 1 s (the backlog instant when no range end is given)."""
    instants = [tables["tickets"][c].max() for c in ("created_at", "first_response_at",
                "solved_at", "closed_at", "updated_at") if c in tables["tickets"]]  # fmt: skip
    if "ticket_events" in tables and len(tables["ticket_events"]):
        instants.append(tables["ticket_events"]["at"].max())
    return max(t for t in instants if _val(t) is not None) + pd.Timedelta(seconds=1)


def backlog_instants(
    q: Query, tables: dict[str, pd.DataFrame]
) -> list[tuple[str | None, pd.Timestamp]]:
    """``(period, T)``: each bucket's end, else the range end, else the data's end."""
    if not q.grain:
        return [(None, local_midnight(q.end, q.tz) if q.end else data_end(tables))]
    if q.start is None or q.end is None:
        raise NotImplementedError("reference backlog with a grain needs start and end")
    last = date.fromisoformat(q.end)
    bucket = bucket_start(date.fromisoformat(q.start), q.grain)
    out: list[tuple[str | None, pd.Timestamp]] = []
    while bucket < last:
        following = next_bucket(bucket, q.grain)
        out.append((bucket.isoformat(), local_midnight(min(following, last), q.tz)))
        bucket = following
    return out


def _backlog(name: str, stat: str, facts: list[Facts], q: Query, tables: dict[str, pd.DataFrame]):
    rows = []
    for period, when in backlog_instants(q, tables):
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        # backlog's n is the population: every ticket created before the instant.
        population: dict[tuple[Any, ...], int] = defaultdict(int)
        for f in facts:
            if not (f.created_at < when and _matches(f.dims, q.where)):
                continue
            key = tuple(f.dims.get(d) for d in q.by)
            population[key] += 1
            if open_at(f, when):
                groups[key].append(seconds(f.created_at, when))
        if name == "backlog":
            for key, count in population.items():
                base = {
                    **({"period": period} if q.grain else {}),
                    **dict(zip(q.by, key, strict=True)),
                }
                rows.append({**base, "value": float(len(groups.get(key, []))), "n": count})
            continue
        for key, ages in groups.items():
            base = {**({"period": period} if q.grain else {}), **dict(zip(q.by, key, strict=True))}
            if name == "backlog":
                pass
            elif stat:
                rows.append(
                    {**base, "value": statistic([float(a) for a in ages], stat), "n": len(ages)}
                )
            else:
                for band, low, high in BANDS:
                    inside = sum(low <= a < high for a in ages)
                    if inside:
                        rows.append(
                            {**base, "age_band": band, "value": float(inside), "n": len(ages)}
                        )
    return rows


def _per_hour(facts: list[Facts], q: Query, tables: dict[str, pd.DataFrame]):
    if set(q.by) - {"agent"} or q.where or q.cohort != "event":
        raise NotImplementedError("the doc defines tickets_solved_per_hour overall and by agent")
    solved: dict[tuple[Any, ...], int] = defaultdict(int)
    hours: dict[tuple[Any, ...], float] = defaultdict(float)
    for f in facts:
        at = f.first_solved_at
        if at is not None and in_range(at, q.start, q.end, q.tz):
            solved[q.key(at, {"agent": f.solver})] += 1
    for a in records(tables["agent_activity"]):
        if a["state"] != "offline" and in_range(a["start_at"], q.start, q.end, q.tz):
            hours[q.key(a["start_at"], {"agent": a["agent_id"]})] += (
                seconds(a["start_at"], a["end_at"]) / 3600
            )
    # Only buckets with both solves and hours have a defined, non-zero value.
    return [
        {**q.row(k), "value": solved[k] / hours[k], "n": solved[k]}
        for k in solved
        if hours.get(k, 0) > 0
    ]


def reference_kpi(
    tables: dict[str, pd.DataFrame],
    metric: str,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: list[str] | None = None,
    tz: str = "UTC",
    options: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
    cohort: str = "event",
) -> pd.DataFrame:
    """The reference answer for one metric selector, in the library's result shape."""
    name, _, stat = metric.partition(":")
    q = Query(start, end, grain, list(by or []), tz, dict(where or {}), cohort, dict(options or {}))
    facts = ticket_facts(tables)
    if name in ("backlog", "backlog_age"):
        rows = _backlog(name, stat, facts, q, tables)
    elif name == "tickets_solved_per_hour":
        rows = _per_hour(facts, q, tables)
    else:
        rows = _grouped(name, stat, observations(name, facts, q.options, q.report_end), q)
    frame = pd.DataFrame(rows)
    frame.insert(0, "metric", metric)
    return frame
