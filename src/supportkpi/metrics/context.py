"""What a metric builder receives: the source tables, the options and the query's dating rule."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from supportkpi.errors import ConfigError

if TYPE_CHECKING:
    from supportkpi.engine.backends import Backend

FCR_VARIANTS = ("one_touch", "zendesk", "no_customer_followup")


@dataclass(frozen=True)
class Options:
    """The ``[options]`` section of the config (SPEC §7); every field has a default."""

    fcr: str = "one_touch"
    repeat_contact_days: int = 7
    include_bots: bool = False
    short_abandon_s: float = 5.0
    service_level_s: float = 20.0
    csat_satisfied_min: float = 4.0

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Options:
        """Build options from a dict, listing every problem at once."""
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        problems = [f"options.{k}: unknown option" for k in values if k not in known]
        if "fcr" in values and values["fcr"] not in FCR_VARIANTS:
            problems.append(
                f"options.fcr: {values['fcr']!r} is not one of {', '.join(FCR_VARIANTS)}"
            )
        for name in ("repeat_contact_days", "short_abandon_s", "service_level_s"):
            if name in values and not (isinstance(values[name], int | float) and values[name] >= 0):
                problems.append(f"options.{name}: must be a non-negative number")
        if problems:
            raise ConfigError("invalid options", problems)
        return cls(**{k: v for k, v in values.items() if k in known})


@dataclass
class MetricContext:
    """The inputs of one KPI query, shared by the builders of every metric in it."""

    backend: Backend
    options: Options = field(default_factory=Options)
    cohort: str = "event"  # or "created"
    range_end: int | None = None  # epoch seconds of the report end, when given
    business_hours: bool = False
    _cache: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def epoch(self, column: ir.TimestampValue) -> ir.IntegerValue:
        """Epoch seconds of an instant: the same integer on every engine."""
        return self.backend.epoch_seconds(column)

    def cached(self, key: str, build: Any, materialize: bool = False) -> Any:
        """Build an expression once per query; ``materialize`` computes it once, too."""
        if key not in self._cache:
            expr = build()
            self._cache[key] = self.backend.materialize(expr) if materialize else expr
        return self._cache[key]

    def dated(self, event_at: ir.IntegerValue, created_at: ir.IntegerValue) -> ir.IntegerValue:
        """The dating rule: the outcome's own time, or creation with ``cohort=created``."""
        return created_at if self.cohort == "created" else event_at


NULL_STRING = ibis.null().cast("string")
