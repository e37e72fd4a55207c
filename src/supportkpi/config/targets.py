"""KPI targets (SPEC §5): ``"first_response_time:median" = "<= 1h"``, ``csat = ">= 0.85"``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from supportkpi.calendar.durations import parse_duration
from supportkpi.errors import SupportKpiError
from supportkpi.metrics.registry import Unit
from supportkpi.metrics.selector import parse_selector

_TARGET = re.compile(r"^\s*(<=|>=|<|>|==)\s*(.+?)\s*$")


@dataclass(frozen=True)
class KpiTarget:
    """A bound on one metric selector."""

    selector: str
    op: str
    threshold: float
    text: str

    def passes(self, value: float | None) -> bool | None:
        """True/False against the bound; None when there is no value to judge."""
        if value is None:
            return None
        return {
            "<=": value <= self.threshold,
            ">=": value >= self.threshold,
            "<": value < self.threshold,
            ">": value > self.threshold,
            "==": value == self.threshold,
        }[self.op]


def parse_threshold(text: str, unit: Unit) -> float:
    """A threshold in the metric's unit: a duration for seconds, ``85%`` or ``0.85`` for rates."""
    if unit is Unit.SECONDS:
        return parse_duration(text)
    try:
        if text.endswith("%"):
            return float(text[:-1]) / (100.0 if unit is Unit.RATIO else 1.0)
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def parse_targets(section: Any, problems: list[str]) -> list[KpiTarget]:
    """Parse ``[targets]``; problems are appended, never raised."""
    if section is None:
        return []
    if not isinstance(section, dict):
        problems.append("targets: must be a table")
        return []
    targets = []
    for selector, bound in section.items():
        where = f"targets.{selector}"
        try:
            metric = parse_selector(selector).metric
        except SupportKpiError as exc:
            problems.append(f"{where}: {exc}")
            continue
        match = _TARGET.match(str(bound))
        if not match:
            problems.append(f"{where}: {bound!r} is not a bound like '<= 1h' or '>= 0.85'")
            continue
        try:
            threshold = parse_threshold(match.group(2), metric.unit)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        targets.append(KpiTarget(selector, match.group(1), threshold, str(bound)))
    return targets
