"""What a metric builder receives: the source tables, the options and the query's dating rule."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ibis
import ibis.expr.types as ir

from supportkpi.metrics.options import Options

if TYPE_CHECKING:
    from supportkpi.calendar.schedule import BusinessHours
    from supportkpi.engine.backends import Backend
    from supportkpi.engine.stored_facts import FactSpec
    from supportkpi.sla.policy import SlaPolicy


@dataclass
class MetricContext:
    """The inputs of one KPI query, shared by the builders of every metric in it."""

    backend: Backend
    options: Options = field(default_factory=Options)
    cohort: str = "event"  # or "created"
    range_end: int | None = None  # epoch seconds of the report end, when given
    #: The query's periods, for period metrics (retention, ASAT, ...): each grain bucket of
    #: the report timezone is a period, else the whole range [range_start, range_end).
    range_start: int | None = None
    grain: str | None = None
    tz: str = "UTC"
    #: The business calendar when durations are in business time, else None.
    business: BusinessHours | None = None
    #: The configured calendar and SLA policies (used by SLA targets whatever ``business``).
    calendar: BusinessHours | None = None
    sla_policies: tuple[SlaPolicy, ...] = ()
    #: "Now" for targets still running: the report end, else the time of the query.
    as_of: int | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> ir.Table:
        return self.backend.table(name)

    def epoch(self, column: ir.TimestampValue) -> ir.IntegerValue:
        """Epoch seconds of an instant: the same integer on every engine."""
        return self.backend.epoch_seconds(column)

    def cached(
        self, key: str, build: Any, materialize: bool = False, stored: FactSpec | None = None
    ) -> Any:
        """Build an expression once per query; ``materialize`` computes it once, too.

        ``stored`` names the fact a store keeps current (see :mod:`supportkpi.facts`): the
        backend then reads the stored table instead of computing it.
        """
        if key not in self._cache:
            if materialize:
                # Materialised results outlive the query: the backend keeps them per source,
                # keyed by the options they depend on (a read-only source cannot change).
                self._cache[key] = self.backend.materialized(
                    (key, self.options), lambda: build(), stored
                )
            else:
                self._cache[key] = build()
        return self._cache[key]

    def dated(self, event_at: ir.IntegerValue, created_at: ir.IntegerValue) -> ir.IntegerValue:
        """The dating rule: the outcome's own time, or creation with ``cohort=created``."""
        return created_at if self.cohort == "created" else event_at


NULL_STRING = ibis.null().cast("string")
