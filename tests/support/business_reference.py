"""An independent plain-pandas reference for the survey, customer, cost and self-service KPIs.

Written from the metric definitions (``supportkpi metrics``) and the module docstrings of
``metrics/surveys.py``, ``customers.py``, ``costs.py`` and ``self_service.py``, sharing no code
with them: rows are walked in Python loops, periods are computed with pandas timestamps and
costs are spread over days with ``datetime.date`` arithmetic. Ticket facts (solves, dims) come
from ``ticket_reference.py``, the ticket KPIs' own reference. Clear rather than fast.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from golden import Golden
from kpi_support import Connections, assert_same_rows
from scipy.stats import t as student_t
from ticket_reference import (
    Query,
    bucket_start,
    local_date,
    local_midnight,
    next_bucket,
    records,
    ticket_facts,
    wilson,
)

Z95 = 1.959963984540054
DAY = pd.Timedelta(days=1)
DEFAULTS: dict[str, Any] = {
    "csat_scale_max": 5,
    "csat_satisfied_min": 4,
    "ces_scale_max": 5,
    "sentiment_threshold": -0.5,
    "conversion_days": 7,
    "self_service_hours": 24,
}
RATIOS = {
    "csat",
    "survey_response_rate",
    "asat",
    "customer_retention_rate",
    "customer_churn_rate",
    "repurchase_rate",
    "conversion_rate",
    "self_service_success_rate",
    "chatbot_interaction_rate",
    "bot_containment_rate",
    "angry_customer_rate",
}
MEANS = {"csat_mean", "ces", "customer_sentiment"}


def val(value: Any) -> Any:
    if hasattr(value, "__len__") and not isinstance(value, str):
        return list(value)  # a list column (tags)
    return None if value is None or value is pd.NaT or pd.isna(value) else value


def table(tables: dict[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    if name not in tables:
        return []
    return [{k: val(v) for k, v in r.items()} for r in records(tables[name])]


def facts_of(tables: dict[str, pd.DataFrame]) -> list[Any]:
    """The ticket reference's facts (it reads scalar columns only: the tag lists stay out)."""
    tickets = tables["tickets"].drop(columns=["tags"], errors="ignore")
    return ticket_facts({**tables, "tickets": tickets})


# -- periods -----------------------------------------------------------------------------------
def query_periods(
    q: Query, first: pd.Timestamp | None, last: pd.Timestamp | None
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """``(period label, start, end)`` of the query: each bucket, or the whole range."""
    lo = local_midnight(q.start, q.tz) if q.start else first
    hi = (
        local_midnight(q.end, q.tz)
        if q.end
        else (last + pd.Timedelta(seconds=1) if last is not None else None)
    )
    if lo is None or hi is None:
        return []
    if not q.grain:
        return [("", lo, hi)]
    out = []
    day = bucket_start(local_date(lo, q.tz), q.grain)
    while local_midnight(day, q.tz) < hi:
        nxt = next_bucket(day, q.grain)
        start, end = max(local_midnight(day, q.tz), lo), min(local_midnight(nxt, q.tz), hi)
        out.append((day.isoformat(), start, end))
        day = nxt
    return out


def in_query(q: Query, at: pd.Timestamp | None) -> bool:
    if at is None:
        return False
    day = local_date(at, q.tz).isoformat()
    return (q.start is None or day >= q.start) and (q.end is None or day < q.end)


def period_of(q: Query, at: pd.Timestamp) -> str:
    return bucket_start(local_date(at, q.tz), q.grain).isoformat() if q.grain else ""


# -- results -----------------------------------------------------------------------------------
def _group(q: Query, items: list[tuple[pd.Timestamp, dict[str, Any], Any]]) -> dict[tuple, list]:
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for at, dims, x in items:
        if in_query(q, at) and all(dims.get(d) in v for d, v in q.where.items()):
            groups[(period_of(q, at), *(dims.get(d) for d in q.by))].append(x)
    return groups


def _row(q: Query, key: tuple[Any, ...], summary: dict[str, Any]) -> dict[str, Any]:
    out = {"period": key[0]} if q.grain else {}
    out.update(dict(zip(q.by, key[1:], strict=True)))
    return {**out, **summary}


def summarise_ratio(xs: list[tuple[int, int]]) -> dict[str, Any]:
    k, n = sum(a for a, _ in xs), sum(b for _, b in xs)
    low, high = wilson(k, n) if n else (None, None)
    return {"value": k / n if n else None, "n": n, "ci_low": low, "ci_high": high}


def summarise_mean(xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    mean = sum(xs) / n
    if n < 2:
        return {"value": mean, "n": n, "ci_low": None, "ci_high": None}
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(student_t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return {"value": mean, "n": n, "ci_low": mean - half, "ci_high": mean + half}


def summarise_nps(xs: list[float]) -> dict[str, Any]:
    n = len(xs)
    p = sum(1 for x in xs if x >= 9) / n
    d = sum(1 for x in xs if x <= 6) / n
    score = 100 * (p - d)
    half = Z95 * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return {
        "value": score,
        "n": n,
        "ci_low": max(-100, score - half),
        "ci_high": min(100, score + half),
    }


def quotient(
    q: Query, num: list[tuple], den: list[tuple], n_counts: str = "numerator"
) -> list[dict[str, Any]]:
    """sum(num) / sum(den) per key; n counts the rows of one side."""
    a, b = _group(q, num), _group(q, den)
    rows = []
    for key in set(a) | set(b):
        top, bottom = sum(a.get(key, [])), sum(b.get(key, []))
        counted = b if n_counts == "denominator" else a
        n = len(counted.get(key, []))
        rows.append(_row(q, key, {"value": top / bottom if bottom else None, "n": n}))
    return rows


# -- surveys -----------------------------------------------------------------------------------
def _survey_items(tables: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    tickets = {t["ticket_id"]: t for t in table(tables, "tickets")}
    segments = {c["customer_id"]: c.get("segment") for c in table(tables, "customers")}
    teams = {a["agent_id"]: a.get("team") for a in table(tables, "agents")}
    out = []
    for s in table(tables, "surveys"):
        t = tickets.get(s.get("ticket_id")) or {}
        agent = t.get("assignee_id") or s.get("agent_id")
        seg = segments.get(t.get("customer_id")) if t.get("customer_id") else None
        dims = {
            "channel": t.get("channel"),
            "priority": t.get("priority"),
            "agent": agent,
            "team": t.get("team") or teams.get(agent),
            "segment": seg if seg is not None else segments.get(s.get("customer_id")),
        }
        out.append({**s, "dims": dims, "at": s.get("responded_at") or s.get("sent_at")})
    return out


def surveys_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    items = _survey_items(tables)
    if name == "survey_response_rate":
        rows = [
            (s.get("sent_at") or s["at"], s["dims"], (int(s.get("score") is not None), 1))
            for s in items
            if s["kind"] in ("csat", "nps", "ces")
        ]
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    kind = {"csat": "csat", "csat_mean": "csat", "nps": "nps", "ces": "ces", "asat": "asat"}[name]
    top = {
        "csat": o["csat_scale_max"],
        "nps": 10,
        "ces": o["ces_scale_max"],
        "asat": o["csat_scale_max"],
    }[kind]
    low = 0 if kind == "nps" else 1
    answered = [
        s
        for s in items
        if s["kind"] == kind
        and s.get("score") is not None
        and s["at"] is not None
        and low <= s["score"] <= top
    ]
    if name == "csat":
        rows = [
            (s["at"], s["dims"], (int(s["score"] >= o["csat_satisfied_min"]), 1)) for s in answered
        ]
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    if name in ("csat_mean", "ces"):
        rows = [(s["at"], s["dims"], float(s["score"])) for s in answered]
        return {k: summarise_mean(v) for k, v in _group(q, rows).items()}
    if name == "nps":
        rows = [(s["at"], s["dims"], float(s["score"])) for s in answered]
        return {k: summarise_nps(v) for k, v in _group(q, rows).items()}
    # asat: the latest response of each agent in each period
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for s in answered:
        if s.get("agent_id") is None or not in_query(q, s["at"]):
            continue
        key = (period_of(q, s["at"]), s["agent_id"])
        if key not in latest or (s["at"], s["response_id"]) > (
            latest[key]["at"],
            latest[key]["response_id"],
        ):
            latest[key] = s
    rows = [
        (
            s["at"],
            {"agent": s["agent_id"], "team": s["dims"]["team"]},
            (int(s["score"] >= o["csat_satisfied_min"]), 1),
        )
        for s in latest.values()
    ]
    return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}


# -- customers ---------------------------------------------------------------------------------
def _customer_periods(tables: dict[str, pd.DataFrame], q: Query) -> list[tuple]:
    cs = table(tables, "customers")
    instants = [c["created_at"] for c in cs] + [c["churned_at"] for c in cs if c.get("churned_at")]
    return query_periods(q, min(instants, default=None), max(instants, default=None))


def customers_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    cs = table(tables, "customers")
    segment = {c["customer_id"]: c.get("segment") for c in cs}
    ps = _customer_periods(tables, q)

    def base(start: pd.Timestamp) -> list[dict[str, Any]]:
        return [
            c
            for c in cs
            if c["created_at"] < start and (c.get("churned_at") is None or c["churned_at"] >= start)
        ]

    if name in ("customer_retention_rate", "customer_churn_rate"):
        rows = []
        for _, start, end in ps:
            for c in base(start):
                churned = c.get("churned_at") is not None and c["churned_at"] < end
                hit = churned if name == "customer_churn_rate" else not churned
                rows.append((start, {"segment": c.get("segment")}, (int(hit), 1)))
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    orders = [r for r in table(tables, "orders") if in_query(q, r["ordered_at"])]
    if name == "repurchase_rate":
        per: dict[tuple[str, str], list[pd.Timestamp]] = defaultdict(list)
        for r in orders:
            per[(period_of(q, r["ordered_at"]), r["customer_id"])].append(r["ordered_at"])
        rows = [
            (min(ats), {"segment": segment.get(c)}, (int(len(ats) >= 2), 1))
            for (_, c), ats in per.items()
        ]
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    if name == "customer_lifetime_value":
        num, den = [], []
        for _, start, end in ps:
            members = base(start)
            ids = {c["customer_id"] for c in members}
            for r in orders:
                if r["customer_id"] in ids and start <= r["ordered_at"] < end:
                    num.append(
                        (
                            r["ordered_at"],
                            {"segment": segment.get(r["customer_id"])},
                            float(r["amount"]),
                        )
                    )
            for c in members:
                if c.get("churned_at") is not None and c["churned_at"] < end:
                    den.append((start, {"segment": c.get("segment")}, 1.0))
        return quotient(q, num, den)
    facts = facts_of(tables)
    if name == "conversion_rate":
        window = pd.Timedelta(days=o["conversion_days"])
        all_orders = table(tables, "orders")
        rows = []
        for f in facts:
            if f.customer_id is None:
                continue
            hit = any(
                r["customer_id"] == f.customer_id
                and f.created_at <= r["ordered_at"] <= f.created_at + window
                for r in all_orders
            )
            rows.append((f.created_at, f.dims, (int(hit), 1)))
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    # cases_per_customer
    num = [(f.created_at, {"segment": f.dims["segment"]}, 1.0) for f in facts if f.customer_id]
    den = []
    for _, start, end in ps:
        for c in cs:
            if c["created_at"] < end and (c.get("churned_at") is None or c["churned_at"] >= start):
                den.append((start, {"segment": c.get("segment")}, 1.0))
    return quotient(q, num, den)


# -- costs -------------------------------------------------------------------------------------
def daily_costs(tables: dict[str, pd.DataFrame], tz: str) -> list[tuple[pd.Timestamp, float]]:
    """Each costs row spread over its days; labor cost on the local days no row covers."""
    out, covered = [], set()
    for c in table(tables, "costs"):
        first, last = pd.Timestamp(c["period_start"]).date(), pd.Timestamp(c["period_end"]).date()
        days = (last - first).days + 1
        for i in range(days):
            day = first + timedelta(days=i)
            covered.add(day)
            out.append((local_midnight(day, tz), float(c["amount"]) / days))
    cost = {a["agent_id"]: a.get("hourly_cost") for a in table(tables, "agents")}
    for a in table(tables, "agent_activity"):
        if a["state"] == "offline" or cost.get(a["agent_id"]) is None:
            continue
        if local_date(a["start_at"], tz) in covered:
            continue
        hours = (a["end_at"] - a["start_at"]).total_seconds() / 3600
        if hours > 0:
            out.append((a["start_at"], hours * cost[a["agent_id"]]))
    return out


def conversations(tables: dict[str, pd.DataFrame]) -> list[pd.Timestamp]:
    ats = [t["created_at"] for t in table(tables, "tickets")]
    ats += [
        c["answered_at"]
        for c in table(tables, "calls")
        if c.get("answered_at") is not None and (c.get("direction") or "inbound") == "inbound"
    ]
    return ats


def costs_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    num = [(at, {}, x) for at, x in daily_costs(tables, q.tz)]
    if name == "cost_per_resolution":
        den = [
            (f.first_solved_at, {}, 1.0) for f in facts_of(tables) if f.first_solved_at is not None
        ]
    elif name == "cost_per_conversation":
        den = [(at, {}, 1.0) for at in conversations(tables)]
    else:
        den = [(r["ordered_at"], {}, float(r["amount"])) for r in table(tables, "orders")]
    # n is the denominator's count: tickets solved, conversations or orders.
    return quotient(q, num, den, n_counts="denominator")


# -- self-service ------------------------------------------------------------------------------
def self_service_kpi(name: str, tables: dict[str, pd.DataFrame], q: Query, o: dict[str, Any]):
    sessions = table(tables, "kb_sessions")
    if name == "kb_usage":
        return quotient(
            q,
            [(s["at"], {}, 1.0) for s in sessions],
            [(at, {}, 1.0) for at in conversations(tables)],
        )
    segment = {c["customer_id"]: c.get("segment") for c in table(tables, "customers")}
    tickets = table(tables, "tickets")
    if name == "self_service_success_rate":
        window = pd.Timedelta(hours=o["self_service_hours"])
        rows = []
        for s in sessions:
            if s.get("customer_id") is None:
                continue
            followed = any(
                t.get("customer_id") == s["customer_id"]
                and s["at"] <= t["created_at"] <= s["at"] + window
                for t in tickets
            )
            rows.append(
                (s["at"], {"segment": segment.get(s["customer_id"])}, (int(not followed), 1))
            )
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in table(tables, "ticket_events"):
        events[e["ticket_id"]].append(e)
    facts = {f.ticket_id: f for f in facts_of(tables)}
    if name == "customer_sentiment":
        rows = [
            (e["at"], facts[e["ticket_id"]].dims, float(e["sentiment"]))
            for evs in events.values()
            for e in evs
            if e["kind"] == "message"
            and e["actor_type"] == "customer"
            and e.get("sentiment") is not None
            and e["ticket_id"] in facts
        ]
        return {k: summarise_mean(v) for k, v in _group(q, rows).items()}
    if name == "angry_customer_rate":
        per: dict[tuple[str, str], list[tuple[pd.Timestamp, bool, Any]]] = defaultdict(list)
        for t in tickets:
            if not in_query(q, t["created_at"]):
                continue
            tags = t.get("tags")
            angry = tags is not None and "angry" in list(tags)
            angry = angry or any(
                e["kind"] == "message"
                and e["actor_type"] == "customer"
                and e.get("sentiment") is not None
                and e["sentiment"] < o["sentiment_threshold"]
                for e in events.get(t["ticket_id"], [])
            )
            who = t.get("customer_id") or "ticket:" + t["ticket_id"]
            per[(period_of(q, t["created_at"]), who)].append(
                (t["created_at"], angry, segment.get(t.get("customer_id")))
            )
        rows = [
            (min(a for a, _, _ in v), {"segment": v[0][2]}, (int(any(x for _, x, _ in v)), 1))
            for v in per.values()
        ]
        return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}
    end = local_midnight(q.end, q.tz) if q.end else None
    rows = []
    for tid, evs in events.items():
        if tid not in facts:
            continue
        f = facts[tid]
        bot = any(e["kind"] == "message" and e["actor_type"] == "bot" for e in evs)
        if name == "chatbot_interaction_rate":
            rows.append((f.created_at, f.dims, (int(bot), 1)))
        elif bot:
            human = any(
                e["kind"] == "message"
                and e["actor_type"] == "agent"
                and e.get("public") is not False
                for e in evs
            )
            solved = f.last_solved_at is not None and (end is None or f.last_solved_at < end)
            rows.append((f.created_at, f.dims, (int(solved and not human), 1)))
    return {k: summarise_ratio(v) for k, v in _group(q, rows).items()}


FAMILIES: dict[str, Callable[..., Any]] = {
    **dict.fromkeys(
        ["csat", "csat_mean", "survey_response_rate", "nps", "ces", "asat"], surveys_kpi
    ),
    **dict.fromkeys(
        [
            "customer_retention_rate",
            "customer_churn_rate",
            "repurchase_rate",
            "customer_lifetime_value",
            "conversion_rate",
            "cases_per_customer",
        ],
        customers_kpi,
    ),
    **dict.fromkeys(
        ["cost_per_resolution", "cost_per_conversation", "support_cost_to_revenue"], costs_kpi
    ),
    **dict.fromkeys(
        [
            "kb_usage",
            "self_service_success_rate",
            "chatbot_interaction_rate",
            "bot_containment_rate",
            "angry_customer_rate",
            "customer_sentiment",
        ],
        self_service_kpi,
    ),
}


def business_kpi(
    tables: dict[str, pd.DataFrame],
    metric: str,
    start: str | None = None,
    end: str | None = None,
    grain: str | None = None,
    by: list[str] | None = None,
    tz: str = "UTC",
    options: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """The reference answer for one metric, in the library's result shape."""
    q = Query(start, end, grain, list(by or []), tz, dict(where or {}), "event", {})
    o = {**DEFAULTS, **(options or {})}
    result = FAMILIES[metric](metric, tables, q, o)
    rows = result if isinstance(result, list) else [_row(q, k, v) for k, v in result.items()]
    rows = [r for r in rows if r.get("n")]
    if not rows and not q.grain and not q.by:
        rows = [{"value": None, "n": 0}]
    frame = pd.DataFrame(rows)
    frame.insert(0, "metric", metric)
    return frame


# -- golden-case harness shared by the business KPI tests --------------------------------------


def rate(k: int, n: int, **keys: Any) -> dict[str, Any]:
    """A ratio row with its Wilson interval (from the textbook formula, z = 1.959964)."""
    low, high = wilson(k, n)
    return {"value": k / n, "n": n, "ci_low": low, "ci_high": high, **keys}


def check_golden(result: pd.DataFrame, case: Golden, label: str) -> None:
    keys = (["period"] if case.query.get("grain") else []) + list(case.query.get("by") or [])
    assert_same_rows(result, case.expected, keys, check_ci=True, label=f"{label} {case.id}")


def run_golden(case: Golden, engine: str, connections: Connections) -> None:
    con = connections.get(case.data, engine)
    check_golden(con.kpi([case.metric], **case.query), case, engine)


def run_reference(case: Golden, datasets: dict[str, Callable[[], dict[str, pd.DataFrame]]]) -> None:
    """The pandas reference must reproduce every hand-computed answer too."""
    check_golden(business_kpi(datasets[case.data](), case.metric, **case.query), case, "reference")


# -- seeded random data for the reference tests ------------------------------------------------
def random_tables(seed: int, tickets: int = 240) -> dict[str, pd.DataFrame]:
    """Small, messy, seeded data for every table the business KPIs read (2024, UTC)."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    span = 180 * 86400

    def when(n: int, lo: float = 0, hi: float = span) -> list[pd.Timestamp]:
        return [t0 + pd.Timedelta(seconds=int(s)) for s in rng.uniform(lo, hi, n)]

    segments = ["gold", "silver", None]
    n_customers = 60
    created = when(n_customers, -200 * 86400, span * 0.8)
    customers = pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n_customers)],
            "created_at": created,
            "churned_at": [
                c + pd.Timedelta(days=int(rng.integers(5, 200))) if rng.random() < 0.4 else pd.NaT
                for c in created
            ],
            "segment": [segments[i] for i in rng.integers(0, 3, n_customers)],
        }
    )
    cust = list(customers["customer_id"]) + [None] * 10
    agents = pd.DataFrame(
        {"agent_id": ["a1", "a2", "a3"], "team": ["t1", "t1", "t2"],
         "hourly_cost": [30.0, 40.0, None]}
    )  # fmt: skip
    channels = ["email", "chat", "social"]
    created_t = when(tickets)
    ticket_rows, events = [], []
    for i, at in enumerate(created_t):
        tid = f"T{i:04d}"
        tags = ["angry"] if rng.random() < 0.05 else (["vip"] if rng.random() < 0.1 else None)
        ticket_rows.append(
            {"ticket_id": tid, "created_at": at, "channel": channels[rng.integers(0, 3)],
             "customer_id": cust[rng.integers(0, len(cust))],
             "assignee_id": ["a1", "a2", "a3", None][rng.integers(0, 4)],
             "team": ["t1", "t2", None][rng.integers(0, 3)], "tags": tags}
        )  # fmt: skip
        if rng.random() < 0.1:
            continue  # no event history
        clock = at
        sentiment = float(np.round(rng.uniform(-1, 1), 3)) if rng.random() < 0.8 else None
        events.append(_event(tid, clock, "message", "customer", sentiment=sentiment))
        if rng.random() < 0.4:
            clock += pd.Timedelta(minutes=1)
            events.append(_event(tid, clock, "message", "bot"))
        if rng.random() < 0.7:
            clock += pd.Timedelta(seconds=int(rng.uniform(300, 36000)))
            events.append(_event(tid, clock, "message", "agent", public=bool(rng.random() < 0.9)))
        if rng.random() < 0.3:
            clock += pd.Timedelta(minutes=30)
            events.append(_event(tid, clock, "message", "customer",
                                 sentiment=float(np.round(rng.uniform(-1, 1), 3))))  # fmt: skip
        if rng.random() < 0.75:
            clock += pd.Timedelta(seconds=int(rng.uniform(3600, 360000)))
            events.append(_event(tid, clock, "status", "agent", status="solved"))
    surveys = []
    scales = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 5), "asat": (1, 5)}
    for i in range(260):
        kind = ["csat", "nps", "ces", "asat"][rng.integers(0, 4)]
        low, high = scales[kind]
        sent = when(1)[0]
        answered = rng.random() < 0.7
        ticket_id = (
            f"T{rng.integers(0, tickets):04d}"
            if kind in ("csat", "ces") and rng.random() < 0.8
            else None
        )
        surveys.append(
            {"response_id": f"r{i:04d}", "kind": kind,
             "score": float(rng.integers(low, high + 1)) if answered else None,
             "sent_at": sent,
             "responded_at": sent + pd.Timedelta(seconds=int(rng.uniform(3600, 259200))) if answered else pd.NaT,  # noqa: E501
             "ticket_id": ticket_id, "customer_id": cust[rng.integers(0, len(cust))],
             "agent_id": ["a1", "a2", "a3"][rng.integers(0, 3)] if kind != "nps" else None}
        )  # fmt: skip
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i:04d}" for i in range(400)],
            "customer_id": [
                list(customers["customer_id"])[j] for j in rng.integers(0, n_customers, 400)
            ],
            "ordered_at": when(400),
            "amount": np.round(rng.uniform(5, 500, 400), 2),
        }
    )
    calls = pd.DataFrame(
        {
            "call_id": [f"k{i:03d}" for i in range(120)],
            "offered_at": (offered := when(120)),
            "answered_at": [
                o + pd.Timedelta(seconds=30) if rng.random() < 0.8 else pd.NaT for o in offered
            ],
            "direction": [["inbound", "outbound", None][j] for j in rng.integers(0, 3, 120)],
            "customer_id": [cust[j] for j in rng.integers(0, len(cust), 120)],
        }
    )
    sessions = pd.DataFrame(
        {
            "session_id": [f"s{i:03d}" for i in range(200)],
            "at": when(200),
            "customer_id": [cust[j] for j in rng.integers(0, len(cust), 200)],
        }
    )
    months = [
        (
            pd.Timestamp(f"2024-{m:02d}-01").date(),
            (pd.Timestamp(f"2024-{m:02d}-01") + pd.offsets.MonthEnd(0)).date(),
        )
        for m in (1, 2, 4)
    ]
    months.append((pd.Timestamp("2024-05-20").date(), pd.Timestamp("2024-06-10").date()))
    costs = pd.DataFrame(
        {
            "period_start": [a for a, _ in months],
            "period_end": [b for _, b in months],
            "amount": np.round(rng.uniform(1000, 5000, len(months)), 2),
            "category": ["labor", "labor", "tooling", "overhead"],
        }
    )
    starts = when(150)
    activity = pd.DataFrame(
        {
            "agent_id": [["a1", "a2", "a3"][j] for j in rng.integers(0, 3, 150)],
            "start_at": starts,
            "end_at": [s + pd.Timedelta(seconds=int(rng.uniform(600, 18000))) for s in starts],
            "state": [
                ["handling", "available", "offline", "break"][j] for j in rng.integers(0, 4, 150)
            ],
        }
    ).drop_duplicates(["agent_id", "start_at", "state"])
    ev = pd.DataFrame(events)
    ev.insert(0, "event_id", [f"e{i:05d}" for i in range(len(ev))])
    ev["public"] = ev["public"].astype("boolean")
    ev["sentiment"] = ev["sentiment"].astype("float64")
    sv = pd.DataFrame(surveys)
    sv["score"] = sv["score"].astype("float64")
    return {
        "customers": customers, "agents": agents, "tickets": pd.DataFrame(ticket_rows),
        "ticket_events": ev, "surveys": sv, "orders": orders, "calls": calls,
        "kb_sessions": sessions, "costs": costs, "agent_activity": activity,
    }  # fmt: skip


def _event(
    ticket_id: str,
    at: pd.Timestamp,
    kind: str,
    actor: str,
    public: bool | None = True,
    status: str | None = None,
    sentiment: float | None = None,
) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "kind": kind, "actor_type": actor,
            "public": public if kind == "message" else None, "status": status,
            "sentiment": sentiment}  # fmt: skip
