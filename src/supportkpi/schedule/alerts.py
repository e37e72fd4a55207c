"""Alert rules, and alerts that speak only when their state changes.

Each rule is judged on the data as of ``now`` (a :class:`Finding`: firing, not firing, or
``None`` when there is nothing to judge). The message goes out when a rule starts firing and
once when it recovers; a rule that stays in its state says nothing. The new state is stored
only after every address accepted the message, so an announcement that failed is tried again
on the next check rather than lost.

Rules (``rule =`` in ``[[alert]]``):

- ``target_missed``: the KPI's ``[targets]`` bound fails over ``period``;
- ``significant_change``: the KPI changed between ``period`` and the one before, significant
  at 95% by its test, in ``direction`` (``worse`` by default: down for a KPI where higher is
  better). KPIs without a test (counts, medians) never fire: a change there may be noise;
- ``sla_at_risk``: more than ``above`` running SLA targets fall due within ``horizon``;
- ``stale_data``: no load in the store's load log for ``hours``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from supportkpi.config.alerts import AlertRule
from supportkpi.delivery.dispatch import Outcome, deliver
from supportkpi.delivery.message import Message
from supportkpi.engine.periods import zone
from supportkpi.errors import InputError, NotFoundError, SupportKpiError
from supportkpi.metrics.selector import parse_selector
from supportkpi.query.session import Session
from supportkpi.report.at_risk import at_risk
from supportkpi.report.changes import compare_periods
from supportkpi.report.document import report_period, shown_delta
from supportkpi.report.format import format_value, humanize_seconds
from supportkpi.schedule.reports import Job, dashboard_link
from supportkpi.schedule.state import last_load_at


@dataclass(frozen=True)
class Finding:
    """A rule judged on the data: what it measured, against what, by which test."""

    alert: str
    rule: str
    firing: bool | None  # None: no data to judge, the state stays as it was
    kpi: str
    value: str
    reference: str  # the target, the baseline, or the threshold
    test: str
    summary: str
    link: str | None = None


def find_alert(job: Job, name: str) -> AlertRule:
    for rule in job.settings.alerts:
        if rule.name == name:
            return rule
    known = ", ".join(a.name for a in job.settings.alerts) or "none"
    raise NotFoundError(f"no [[alert]] named {name!r} (the config has: {known})")


def evaluate(job: Job, rules: list[AlertRule], now: datetime) -> list[Finding]:
    """Judge each rule on the store as of ``now`` (one connection for all of them)."""
    out = []
    # The load log is read before the engine opens the store (one process, one way to open).
    last_load: datetime | SupportKpiError | None = None
    if any(rule.rule == "stale_data" for rule in rules):
        try:
            last_load = last_load_at(job.db)
        except SupportKpiError as exc:
            last_load = exc
    with Session(job.db, job.engine, config=job.settings) as con:
        for rule in rules:
            try:
                if rule.rule == "stale_data":
                    out.append(_stale(rule, last_load, now))
                    continue
                out.append(_judge(job, con, rule, now))
            except SupportKpiError as exc:
                out.append(
                    Finding(rule.name, rule.rule, None, rule.kpi or "", "–", "–", "–", str(exc))
                )
    return out


def check_alerts(
    job: Job, rules: list[AlertRule] | None = None, now: datetime | None = None
) -> list[tuple[Finding, list[Outcome]]]:
    """Judge ``rules`` (default: all), announce the changes of state, store the new states."""
    now = now or datetime.now(UTC)
    rules = list(job.settings.alerts if rules is None else rules)
    states = job.log.alert_states()
    results = []
    for rule, finding in zip(rules, evaluate(job, rules, now), strict=True):
        previous = states[rule.name].state if rule.name in states else None
        outcomes: list[Outcome] = []
        if finding.firing is None:
            results.append((finding, outcomes))
            continue
        state = "firing" if finding.firing else "ok"
        # Speak on a start (from ok or unknown) and on a recovery; a first "ok" is silent.
        if (state == "firing") != (previous == "firing"):
            message = alert_message(finding, started=state == "firing")
            outcomes = deliver(message, rule.to, job.settings.delivery, job.env, job.sleep)
            job.log.record(rule.name, "alert", now, outcomes)
        if state != previous and all(o.sent for o in outcomes):
            job.log.set_alert_state(rule.name, state, now, finding.summary)
        results.append((finding, outcomes))
    return results


def alert_message(finding: Finding, started: bool) -> Message:
    word = "ALERT" if started else "RECOVERED"
    subject = f"[supportkpi] {word} {finding.alert}: {finding.summary}"
    lines = [
        f"KPI: {finding.kpi}",
        f"Value: {finding.value}",
        f"Against: {finding.reference}",
        f"Test: {finding.test}",
    ]
    text = "\n".join(
        [subject, "", *lines, *([f"Dashboard: {finding.link}"] if finding.link else [])]
    )
    payload: dict[str, Any] = {
        "kind": "alert",
        "state": "firing" if started else "recovered",
        **asdict(finding),
    }
    return Message(subject, text + "\n", lines, payload, link=finding.link)


def _judge(job: Job, con: Session, rule: AlertRule, now: datetime) -> Finding:
    today = now.astimezone(zone(rule.timezone)).date()
    period = report_period(rule.period, today)
    if rule.rule == "sla_at_risk":
        count = len(at_risk(con, rule.horizon_s, as_of=now))
        horizon = humanize_seconds(rule.horizon_s)
        firing = count > rule.above
        summary = f"{count} SLA targets fall due within {horizon} (alert above {rule.above})"
        link = dashboard_link(job.settings, period, "sla")
        return Finding(
            rule.name,
            rule.rule,
            firing,
            "sla_at_risk",
            str(count),
            f"> {rule.above}",
            f"running SLA targets due within {horizon}",
            summary,
            link,
        )
    assert rule.kpi is not None  # the config requires it for these rules
    sel = parse_selector(rule.kpi)
    link = dashboard_link(job.settings, period, "")
    if rule.rule == "target_missed":
        target = next(t for t in job.settings.targets if t.selector == rule.kpi)
        row = con.kpi([rule.kpi], start=period.start, end=period.end, tz=rule.timezone).iloc[0]
        value = None if pd.isna(row["value"]) else float(row["value"])
        verdict = target.passes(value)
        shown = format_value(value, sel.metric.unit, sel.stat or None)
        state = {None: "has no data", True: "meets", False: "misses"}[verdict]
        summary = f"{sel.label} {shown} {state} its target {target.text} ({period.describe()})"
        return Finding(
            rule.name,
            rule.rule,
            None if verdict is None else not verdict,
            sel.label,
            shown,
            target.text,
            f"target {target.text}",
            summary,
            link,
        )
    (change,) = compare_periods(
        con,
        [rule.kpi],
        current=(period.start, period.end),
        previous=(period.previous_start, period.previous_end),
        tz=rule.timezone,  # the rule's days, like its period
    )
    if change.current is None or change.previous is None:
        # No data in a period (or the inputs are missing): nothing to judge, the state stays.
        return Finding(rule.name, rule.rule, None, sel.label, "–", "–", "–", change.sentence, link)
    if change.test is None:
        raise InputError(f"{sel.label} has no significance test; use a rate, NPS or a mean")
    worse = _is_worse(sel.metric.good, change.delta)
    direction_ok = {"any": True, "worse": worse is not False, "better": worse is not True}
    firing = change.significant and direction_ok[rule.direction]
    unit, stat = sel.metric.unit, sel.stat or None
    p = "–" if change.p_value is None else f"{change.p_value:.4f}"
    return Finding(
        rule.name,
        rule.rule,
        firing,
        sel.label,
        f"{format_value(change.current, unit, stat)} ({shown_delta(change.delta, unit, stat)})",
        f"{format_value(change.previous, unit, stat)} in the previous period",
        f"{change.test} test at 95%, p = {p}",
        change.sentence,
        link,
    )


def _is_worse(good: str | None, delta: float | None) -> bool | None:
    if delta is None or good is None or delta == 0:
        return None
    return delta < 0 if good == "higher" else delta > 0


def _stale(rule: AlertRule, last: datetime | SupportKpiError | None, now: datetime) -> Finding:
    if isinstance(last, SupportKpiError):
        raise last
    limit = f"{rule.hours:g} hours"
    if last is None:
        summary = "no load was ever recorded in the store"
        return Finding(
            rule.name,
            rule.rule,
            True,
            "data freshness",
            "never",
            limit,
            "hours since the last load",
            summary,
        )
    hours = (now - last).total_seconds() / 3600
    summary = f"the last load was {hours:.1f} hours ago (alert after {limit})"
    return Finding(
        rule.name,
        rule.rule,
        hours > rule.hours,
        "data freshness",
        f"{hours:.1f} hours",
        limit,
        "hours since the last load",
        summary,
    )
