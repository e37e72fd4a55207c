"""``[[alert]]`` rules in the config (issue 16); see docs/reports.md.

Like every section, the parser appends each problem (``key: reason``) and never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from supportkpi.calendar.durations import parse_duration
from supportkpi.config.reporting import (
    PERIODS,
    DeliverySettings,
    cron_field,
    entries,
    positive_number,
    recipients_field,
    timezone_field,
    unique_names,
)
from supportkpi.errors import SupportKpiError
from supportkpi.metrics.selector import parse_selector

ALERT_RULES = ("target_missed", "significant_change", "sla_at_risk", "stale_data")
DIRECTIONS = ("worse", "better", "any")
ALERT_KEYS = (
    *("name", "rule", "kpi", "period", "direction", "above", "horizon", "hours"),
    *("to", "cron", "timezone"),
)


@dataclass(frozen=True)
class AlertRule:
    """``[[alert]]``: a condition checked on a cron schedule; sent when it starts and stops."""

    name: str
    rule: str
    to: tuple[str, ...]
    kpi: str | None = None
    period: str = "last-day"
    direction: str = "worse"
    above: int = 0
    horizon_s: float = 4 * 3600.0
    hours: float = 24.0
    cron: str = "*/15 * * * *"
    timezone: str = "UTC"


def parse_alerts(
    section: Any,
    delivery: DeliverySettings,
    targets: dict[str, Any],
    problems: list[str],
    default_tz: str = "UTC",
) -> list[AlertRule]:
    """``[[alert]]`` entries; periods are counted in ``timezone`` (default: the config's)."""
    out = []
    for where, raw in entries("alert", section, problems):
        problems += [f"{where}.{k}: unknown setting" for k in raw if k not in ALERT_KEYS]
        name, rule = str(raw.get("name") or ""), str(raw.get("rule") or "")
        if not name:
            problems.append(f"{where}.name: required")
        if rule not in ALERT_RULES:
            problems.append(f"{where}.rule: {rule!r} is not one of {', '.join(ALERT_RULES)}")
        kpi = raw.get("kpi")
        if rule in ("target_missed", "significant_change"):
            kpi = _kpi(kpi, f"{where}.kpi", problems)
            if rule == "target_missed" and kpi and kpi not in targets:
                problems.append(f"{where}.kpi: {kpi!r} has no entry in [targets]")
            if rule == "significant_change" and kpi and not _has_test(kpi):
                problems.append(
                    f"{where}.kpi: {kpi!r} has no significance test (use a rate, NPS or a mean)"
                )
        period = str(raw.get("period", "last-day"))
        if period not in PERIODS:
            problems.append(f"{where}.period: {period!r} is not one of {', '.join(PERIODS)}")
        direction = str(raw.get("direction", "worse"))
        if direction not in DIRECTIONS:
            problems.append(f"{where}.direction: {direction!r} is not worse, better or any")
        above = raw.get("above", 0)
        if not isinstance(above, int) or above < 0:
            problems.append(f"{where}.above: must be a whole number, 0 or more")
            above = 0
        horizon = 4 * 3600.0
        try:
            horizon = parse_duration(str(raw.get("horizon", "4h")))
        except (ValueError, SupportKpiError) as exc:
            problems.append(f"{where}.horizon: {exc}")
        hours = positive_number(raw.get("hours", 24), f"{where}.hours", problems)
        cron = cron_field(raw.get("cron", "*/15 * * * *"), f"{where}.cron", problems)
        tz = timezone_field(raw.get("timezone", default_tz), f"{where}.timezone", problems)
        to = recipients_field(raw.get("to"), f"{where}.to", delivery, problems)
        out.append(
            AlertRule(name, rule, to, kpi, period, direction, above, horizon, hours, cron, tz)
        )
    unique_names("alert", [a.name for a in out], problems)
    return out


def _kpi(value: Any, where: str, problems: list[str]) -> str | None:
    if not value:
        problems.append(f"{where}: required for this rule")
        return None
    try:
        parse_selector(str(value))
    except SupportKpiError as exc:
        problems.append(f"{where}: {exc}")
        return None
    return str(value)


def _has_test(kpi: str) -> bool:
    sel = parse_selector(kpi)
    return sel.metric.aggregation_kind.test(sel) is not None
