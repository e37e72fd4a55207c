"""KPI targets (SPEC §5): evaluate each configured bound for a period; pass, miss or no data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from supportkpi.errors import ConfigError
from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value

if TYPE_CHECKING:
    from supportkpi.query.session import Session


@dataclass(frozen=True)
class TargetResult:
    """One target against its value: ``status`` is ``pass``, ``miss`` or ``no_data``."""

    metric: str
    target: str
    value: float | None
    n: int
    status: str
    shown: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_targets(
    con: Session, start: date | str | None = None, end: date | str | None = None
) -> list[TargetResult]:
    """Every ``[targets]`` bound of the connection's config, on ``[start, end)``."""
    targets = con.settings.targets
    if not targets:
        raise ConfigError("the config has no [targets] to check")
    frame = con.kpi([t.selector for t in targets], start=start, end=end)
    results = []
    for target, row in zip(targets, frame.to_dict("records"), strict=True):
        value = None if row["value"] is None or row["value"] != row["value"] else row["value"]
        verdict = target.passes(value)
        status = "no_data" if verdict is None else ("pass" if verdict else "miss")
        sel = parse_selector(target.selector)
        shown = format_value(value, sel.metric.unit, sel.stat)
        results.append(
            TargetResult(row["metric"], target.text, value, int(row["n"]), status, shown)
        )
    return results
