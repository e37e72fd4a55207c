"""The metric registry: every KPI declared once.

A :class:`Metric` holds what a reader needs (id, title, unit, kind, good direction, definition,
seed references) and one builder that returns Ibis expressions. The registry feeds the CLI
(`supportkpi metrics`), the API, the dashboard and ``docs/metrics.md``.

How a builder's output is aggregated is declared by its :class:`Aggregation`; what each
aggregation means (the rows it takes, its statistics, interval and test) is the table of
:mod:`supportkpi.metrics.kinds`. Families register through one helper per aggregation
(:func:`register_rate`, :func:`register_distribution`, :func:`register_quotient`, ...), which
fixes the aggregation and its usual unit and kind; :func:`register` takes any :class:`Metric`.

A metric also declares what it ``needs`` (:mod:`supportkpi.metrics.basis`): the kind of input
without which its number would have no basis (message events for reply KPIs, surveys of its
kind, calls). When the whole source has no such row, the runner reports the value as null
with a ``note`` instead of a count of nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict, Unpack

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
#: A metric's builder: Ibis expressions for a context (rows, or a pair of tables for quotients).
Builder: TypeAlias = "Callable[[MetricContext], Any]"


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


class MetricFields(TypedDict):
    """The fields every registration helper takes beside its id, title, builder and definition.

    ``family`` and ``good`` are required, so that each registration says its family and which
    direction is better (``good=None`` when neither is); the rest default as on :class:`Metric`.
    """

    family: str
    good: str | None
    seeds: NotRequired[tuple[str, ...]]
    dimensions: NotRequired[tuple[str, ...]]
    options: NotRequired[tuple[str, ...]]
    needs: NotRequired[tuple[Basis, ...]]
    null_note: NotRequired[str | None]
    n_noun: NotRequired[str | None]


class _KindFields(MetricFields, total=False):
    """The fields only some aggregations have, set by their helper."""

    default_stat: str | None
    business_hours: bool
    n_counts: Literal["numerator", "denominator"]
    open_items: Builder | None


def _register_kind(
    aggregation: Aggregation,
    unit: Unit,
    kind: Kind,
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    /,
    **fields: Unpack[_KindFields],
) -> Metric:
    """Register a metric of ``aggregation``, ``unit`` and ``kind``: what the
    ``register_<aggregation>`` helpers share."""
    metric = Metric(
        id=id_,
        title=title,
        unit=unit,
        kind=kind,
        aggregation=aggregation,
        definition=definition,
        build=build,
        **fields,
    )
    return register(metric)


def register_distribution(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    *,
    default_stat: str,
    unit: Unit = Unit.SECONDS,
    business_hours: bool = False,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a distribution: rows ``x``, a statistic of them (``default_stat`` unless the
    selector names one). ``business_hours``: the builder counts durations in open hours."""
    return _register_kind(
        Aggregation.DISTRIBUTION,
        unit,
        Kind.SIMPLE,
        id_,
        title,
        build,
        definition,
        default_stat=default_stat,
        business_hours=business_hours,
        **fields,
    )


def register_count(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a count: the number of the builder's rows, unit count."""
    return _register_kind(
        Aggregation.COUNT, Unit.COUNT, Kind.SIMPLE, id_, title, build, definition, **fields
    )


def register_sum(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    *,
    unit: Unit = Unit.COUNT,
    kind: Kind = Kind.SIMPLE,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a sum: ``sum(x)`` over the builder's rows."""
    return _register_kind(Aggregation.SUM, unit, kind, id_, title, build, definition, **fields)


def register_count_where(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a conditional count: ``sum(num)`` of rows ``num``/``den``, n ``sum(den)``."""
    return _register_kind(
        Aggregation.COUNT_WHERE, Unit.COUNT, Kind.SIMPLE, id_, title, build, definition, **fields
    )


def register_mean(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    *,
    unit: Unit = Unit.SCORE,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a mean score: ``mean(x)`` with a Student t interval."""
    return _register_kind(
        Aggregation.MEAN, unit, Kind.SIMPLE, id_, title, build, definition, **fields
    )


def register_nps(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a net promoter score: rows ``promoter``/``detractor``, unit nps."""
    return _register_kind(
        Aggregation.NPS, Unit.NPS, Kind.DERIVED, id_, title, build, definition, **fields
    )


def register_rate(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a proportion: rows ``num``/``den``, a Wilson interval, unit ratio."""
    return _register_kind(
        Aggregation.RATIO, Unit.RATIO, Kind.RATIO, id_, title, build, definition, **fields
    )


def register_quotient(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    *,
    unit: Unit,
    kind: Kind = Kind.DERIVED,
    n_counts: Literal["numerator", "denominator"] = "numerator",
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a quotient of two tables: the builder returns ``(numerator, denominator)``
    rows ``x``; the value is ``sum(num.x) / sum(den.x)``, n counts the ``n_counts`` side."""
    return _register_kind(
        Aggregation.QUOTIENT, unit, kind, id_, title, build, definition, n_counts=n_counts, **fields
    )


def register_cumulative(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    *,
    open_items: Builder,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register a point-in-time level: ``sum(delta)`` before each bucket end, unit count.
    ``open_items`` lists the items behind a level for the drill-down."""
    return _register_kind(
        Aggregation.CUMULATIVE,
        Unit.COUNT,
        Kind.CUMULATIVE,
        id_,
        title,
        build,
        definition,
        open_items=open_items,
        **fields,
    )


def register_open_intervals(
    id_: str,
    title: str,
    build: Builder,
    definition: str,
    **fields: Unpack[MetricFields],
) -> Metric:
    """Register the ages of the items open at each bucket end (rows ``open_at``,
    ``close_at``, ``since``): a count per age band, or a statistic of the ages."""
    return _register_kind(
        Aggregation.OPEN_INTERVALS,
        Unit.SECONDS,
        Kind.CUMULATIVE,
        id_,
        title,
        build,
        definition,
        **fields,
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
