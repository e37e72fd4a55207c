"""The survey and customer KPIs' plain-pandas reference (see ``business_reference``).

Written from the metric definitions and the docstrings of ``metrics/surveys.py`` and
``customers.py``, sharing no code with them; one function per family, dispatching on the name.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd
from business_base_reference import (
    _group,
    facts_of,
    in_query,
    period_of,
    query_periods,
    quotient,
    summarise_mean,
    summarise_nps,
    summarise_ratio,
    table,
)
from ticket_reference import Query


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
