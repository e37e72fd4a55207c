"""Load the TOML config file (SPEC §7), listing every problem at once.

Sections: ``timezone``, ``[business_hours]`` (with ``teams``), ``[[sla]]`` policies,
``[targets]``, ``[options]``, and the scheduled reports and alerts: ``[delivery]``,
``[[schedule]]`` (:mod:`supportkpi.config.reporting`) and ``[[alert]]``
(:mod:`supportkpi.config.alerts`), and the live sources of ``supportkpi sync``,
``[sources.NAME]`` (:mod:`supportkpi.config.sources`). Every section is validated and
every problem is reported in one :class:`ConfigError`, each with its key and the reason.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportkpi.calendar.schedule import BusinessHours, parse_business_hours
from supportkpi.config.alerts import AlertRule, parse_alerts
from supportkpi.config.reporting import (
    DeliverySettings,
    Schedule,
    parse_delivery,
    parse_schedules,
)
from supportkpi.config.sources import SourceSettings, parse_sources
from supportkpi.config.targets import KpiTarget, parse_targets
from supportkpi.engine.periods import zone
from supportkpi.engine.spark_settings import SparkSettings, parse_spark
from supportkpi.errors import ConfigError, InputError, SupportKpiError
from supportkpi.metrics.options import Options
from supportkpi.sla.policy import SlaPolicy, parse_policies

KNOWN_SECTIONS = (
    "timezone",
    "business_hours",
    "sla",
    "targets",
    "options",
    "delivery",
    "schedule",
    "alert",
    "spark",
    "sources",
)


@dataclass(frozen=True)
class Settings:
    """A parsed, validated config file."""

    timezone: str = "UTC"
    options: Options = field(default_factory=Options)
    business_hours: BusinessHours | None = None
    sla: tuple[SlaPolicy, ...] = ()
    targets: tuple[KpiTarget, ...] = ()
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    schedules: tuple[Schedule, ...] = ()
    alerts: tuple[AlertRule, ...] = ()
    #: Where the pyspark engine runs ([spark]: a Connect URL, session settings, table names).
    spark: SparkSettings = field(default_factory=SparkSettings)
    #: Help desks ``supportkpi sync NAME`` pulls from ([sources.NAME]), by name.
    sources: dict[str, SourceSettings] = field(default_factory=dict)


def parse_settings(raw: dict[str, Any], source: str = "config") -> Settings:
    """Validate a config dict; raise one ConfigError listing every problem."""
    problems = [f"{key}: unknown setting" for key in raw if key not in KNOWN_SECTIONS]
    tz = str(raw.get("timezone", "UTC"))
    try:
        zone(tz)
    except SupportKpiError:
        problems.append(f"timezone: unknown timezone {tz!r}")
        tz = "UTC"
    options = Options()
    try:
        options = Options.from_mapping(raw.get("options"))
    except ConfigError as exc:
        problems.extend(exc.problems)
    hours = parse_business_hours(raw.get("business_hours"), problems, tz)
    policies = parse_policies(raw.get("sla"), problems)
    if any(p.business_hours for p in policies) and hours is None:
        problems.append("sla: a policy uses business_hours but there is no [business_hours]")
    targets = parse_targets(raw.get("targets"), problems)
    delivery = parse_delivery(raw.get("delivery"), problems)
    schedules = parse_schedules(raw.get("schedule"), delivery, problems, tz, raw.get("sources"))
    by_selector = {t.selector: t for t in targets}
    alerts = parse_alerts(raw.get("alert"), delivery, by_selector, problems, tz)
    spark = parse_spark(raw.get("spark"), problems)
    sources = {s.name: s for s in parse_sources(raw.get("sources"), problems)}
    if problems:
        raise ConfigError(f"{source}: invalid config", problems)
    return Settings(
        tz,
        options,
        hours,
        tuple(policies),
        tuple(targets),
        delivery,
        tuple(schedules),
        tuple(alerts),
        spark=spark,
        sources=sources,
    )


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate ``path``; no path gives the defaults."""
    if path is None:
        return Settings()
    file = Path(path)
    if not file.exists():
        raise InputError(f"config file {file} does not exist")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    return parse_settings(raw, str(file))
