"""The metric registry: every KPI declared once.

A :class:`Metric` holds what a reader needs (id, title, unit, kind, good direction, definition,
seed references) and one builder that returns Ibis expressions. The registry feeds the CLI
(`supportkpi metrics`), the API, the dashboard and ``docs/metrics.md``.

How a builder's output is aggregated is declared by its :class:`Aggregation`; what each
aggregation means (the rows it takes, its statistics, interval and test) is the table of
:mod:`supportkpi.metrics.kinds`.

A metric also declares what it ``needs`` (:mod:`supportkpi.metrics.basis`): the kind of input
without which its number would have no basis (message events for reply KPIs, surveys of its
kind, calls). When the whole source has no such row, the runner reports the value as null
with a ``note`` instead of a count of nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from supportkpi.errors import NotFoundError
from supportkpi.metrics.kinds import KINDS, Aggregation, AggregationKind

if TYPE_CHECKING:
    from supportkpi.metrics.basis import Basis
    from supportkpi.metrics.context import MetricContext


class Kind(StrEnum):
    """Metric kinds, after metricflow: how the number is put together."""

    SIMPLE = "simple"
    RATIO = "ratio"
    CUMULATIVE = "cumulative"
    DERIVED = "derived"


class Unit(StrEnum):
    SECONDS = "seconds"
    RATIO = "ratio"
    COUNT = "count"
    PER_HOUR = "per_hour"
    SCORE = "score"
    MONEY = "money"
    NPS = "nps"


TICKET_DIMENSIONS = ("channel", "team", "agent", "priority", "segment")


@dataclass(frozen=True)
class Metric:
    """One KPI: what it means, and one builder returning Ibis expressions."""

    id: str
    title: str
    unit: Unit
    kind: Kind
    aggregation: Aggregation
    definition: str
    build: Callable[[MetricContext], Any] = field(repr=False)
    good: str | None = None  # "higher", "lower" or None
    seeds: tuple[str, ...] = ()
    family: str = ""
    dimensions: tuple[str, ...] = TICKET_DIMENSIONS
    default_stat: str | None = None
    #: Options of the config's [options] section that change this metric.
    options: tuple[str, ...] = ()
    #: For quotients: which side's rows ``n`` counts ("numerator" or "denominator").
    n_counts: str = "numerator"
    #: The inputs without which the value has no basis (null with a note when absent).
    needs: tuple[Basis, ...] = ()
    #: The note of a row whose value is null although the inputs exist (e.g. an empty base).
    null_note: str | None = None
    #: Whether ``business_hours`` changes the value (durations counted in open hours only).
    business_hours: bool = False
    #: What ``n`` counts in words ("40 agents now"), when not the rows' id column.
    n_noun: str | None = None
    #: For point-in-time levels: the items behind a level, as ``open_at, close_at, since,
    #: <dims>, <id>`` (the backlog's open tickets), listed by the drill-down.
    open_items: Callable[[MetricContext], Any] | None = field(default=None, repr=False)

    @property
    def aggregation_kind(self) -> AggregationKind:
        """What the aggregation means: measures, interval, test, row list."""
        return KINDS[self.aggregation]

    @property
    def stats(self) -> tuple[str, ...]:
        return self.aggregation_kind.stats

    @property
    def has_interval(self) -> bool:
        """Rates and scores carry a 95% interval (``ci_low``, ``ci_high``)."""
        return self.aggregation_kind.has_interval

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "unit": str(self.unit),
            "kind": str(self.kind),
            "good": self.good,
            "definition": self.definition,
            "seeds": list(self.seeds),
            "family": self.family,
            "dimensions": list(self.dimensions),
            "default_stat": self.default_stat,
            "stats": list(self.stats),
            "options": list(self.options),
            "needs": [basis.what for basis in self.needs],
        }


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    if metric.id in REGISTRY:
        raise ValueError(f"metric {metric.id} registered twice")
    REGISTRY[metric.id] = metric
    return metric


def register_rate(
    id_: str,
    title: str,
    build: Callable[[MetricContext], Any],
    definition: str,
    good: str | None,
    seeds: tuple[str, ...] = (),
    *,
    family: str,
    dimensions: tuple[str, ...] = TICKET_DIMENSIONS,
    options: tuple[str, ...] = (),
    needs: tuple[Basis, ...] = (),
) -> Metric:
    """Register a proportion: rows ``num``/``den``, a Wilson interval, unit ratio."""
    return register(
        Metric(
            id=id_,
            title=title,
            unit=Unit.RATIO,
            kind=Kind.RATIO,
            aggregation=Aggregation.RATIO,
            definition=definition,
            build=build,
            good=good,
            seeds=seeds,
            family=family,
            dimensions=dimensions,
            options=options,
            needs=needs,
        )
    )


def get_metric(metric_id: str) -> Metric:
    _load_families()
    try:
        return REGISTRY[metric_id]
    except KeyError:
        raise NotFoundError(
            f"unknown metric {metric_id!r}; run `supportkpi metrics` for the catalogue"
        ) from None


def all_metrics() -> list[Metric]:
    _load_families()
    return list(REGISTRY.values())


#: Modules that register metrics (one module per family).
FAMILY_MODULES = (
    "supportkpi.metrics.tickets_speed",
    "supportkpi.metrics.tickets_outcomes",
    "supportkpi.metrics.sla",
    "supportkpi.metrics.surveys",
    "supportkpi.metrics.customers",
    "supportkpi.metrics.costs",
    "supportkpi.metrics.self_service",
    "supportkpi.metrics.calls",
    "supportkpi.metrics.agents",
)


def _load_families() -> None:
    import importlib

    for module in FAMILY_MODULES:
        importlib.import_module(module)
