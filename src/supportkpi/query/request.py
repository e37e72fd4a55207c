"""The KPI request (SPEC §4 "Breakdowns, grains and filters", §6 `kpi`): one model, parsed once.

A request names metric selectors (``NAME`` or ``NAME:STAT``), a half-open local date range, a
grain, dimensions and filters, the report timezone, whether durations count business hours,
and the metric options. :meth:`KpiRequest.validate` checks it against the registry and returns
the selectors; :meth:`KpiRequest.context` is what the metric builders of one run receive.
"""

from __future__ import annotations

import re
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from supportkpi.calendar.schedule import BusinessHours
from supportkpi.engine import periods
from supportkpi.engine.backends import Backend
from supportkpi.errors import InputError
from supportkpi.metrics.context import MetricContext, Options
from supportkpi.metrics.registry import TICKET_DIMENSIONS
from supportkpi.metrics.selector import Selector, parse_selector
from supportkpi.sla.policy import SlaPolicy

#: Every dimension a request may name; each metric says which of them it has.
KNOWN_DIMENSIONS = (*TICKET_DIMENSIONS, "queue", "sla_target", "sla_policy", "age_band")

# Bounds on one request, the same for the library, the CLI and the HTTP API: each keeps the
# work of a request proportionate to an answer a person reads (a hostile or mistaken request
# would otherwise run for minutes and answer hundreds of megabytes).
#: Distinct metric selectors in one request (the catalogue has ~55 metrics; with statistics
#: a full report stays below this).
MAX_METRICS = 100
#: Periods one answer may have: 20,000 days is 54 years of daily rows.
MAX_BUCKETS = 20_000
#: Values one filter may list, and the length of one value.
MAX_FILTER_VALUES = 100
MAX_FILTER_VALUE_LENGTH = 200
#: Control characters (NUL included) are never part of a team, channel or agent name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class KpiRequest:
    """Everything `supportkpi kpi` and ``Connection.kpi`` accept."""

    metrics: Sequence[str]
    start: date | None = None
    end: date | None = None
    grain: str | None = None
    by: Sequence[str] = ()
    where: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tz: str = "UTC"
    cohort: str = "event"
    business_hours: bool = False
    calendar: BusinessHours | None = None
    sla_policies: tuple[SlaPolicy, ...] = ()
    options: Options = field(default_factory=Options)

    def __post_init__(self) -> None:
        # A metric named twice is computed once (and keyed once in the cache).
        self.metrics = list(dict.fromkeys(self.metrics))

    def validate(self) -> list[Selector]:
        if not self.metrics:
            raise InputError("name at least one metric; run `supportkpi metrics` for the list")
        if len(self.metrics) > MAX_METRICS:
            raise InputError(
                f"{len(self.metrics)} metrics in one request; at most {MAX_METRICS} are allowed"
            )
        if self.grain is not None and self.grain not in periods.GRAINS:
            raise InputError(
                f"unknown grain {self.grain!r}; use one of {', '.join(periods.GRAINS)}"
            )
        if self.cohort not in ("event", "created"):
            raise InputError(f"unknown cohort {self.cohort!r}; use 'event' or 'created'")
        periods.zone(self.tz)
        self._check_range()
        for dim in (*self.by, *self.where):
            if dim not in KNOWN_DIMENSIONS:
                raise InputError(
                    f"unknown dimension {dim!r}; use one of {', '.join(KNOWN_DIMENSIONS[:-1])}"
                )
        if len(set(self.by)) != len(self.by):
            raise InputError("a dimension is repeated in 'by'")
        for dim, values in self.where.items():
            check_filter_values(dim, values)
        if self.business_hours and self.calendar is None:
            raise InputError(
                "business-hours durations need a [business_hours] schedule in the config "
                "(--config FILE)"
            )
        selectors = [parse_selector(m) for m in self.metrics]
        if self.business_hours and not any(sel.metric.business_hours for sel in selectors):
            raise InputError(
                "business hours change only durations (first response, response, resolution "
                f"times); {', '.join(sel.label for sel in selectors)} would ignore them"
            )
        for sel in selectors:
            for dim in (*self.by, *self.where):
                if dim not in sel.metric.dimensions:
                    raise InputError(
                        f"metric {sel.metric.id!r} cannot be broken down by {dim!r}; "
                        f"its dimensions are {', '.join(sel.metric.dimensions)}"
                    )
        return selectors

    def _check_range(self) -> None:
        # (An empty range is refused where it becomes instants: periods.range_bounds.)
        if self.start is None or self.end is None or self.grain is None:
            return
        buckets = periods.bucket_count(self.start, self.end, self.grain)
        if buckets > MAX_BUCKETS:
            raise InputError(
                f"{self.start} … {self.end} by {self.grain} is {buckets:,} periods; at most "
                f"{MAX_BUCKETS:,} are allowed: narrow the range or use a coarser grain"
            )

    def key(self) -> Hashable:
        """What decides the answer, as one hashable value: two front ends asking the same
        question (the API and a dashboard tile) share one cache entry. The calendar and the
        SLA policies come from the session's settings, which a cache is kept per."""
        return (
            tuple(self.metrics),
            self.start,
            self.end,
            self.grain,
            tuple(self.by),
            tuple(sorted((dim, tuple(values)) for dim, values in self.where.items())),
            self.tz,
            self.cohort,
            self.business_hours,
            self.options,
        )

    def context(
        self, backend: Backend, lo: int | None, hi: int | None, as_of: int | None = None
    ) -> MetricContext:
        """What the builders of one run over ``[lo, hi)`` (epoch seconds) receive; "now"
        for clocks still running is ``as_of``, else the range end, else the time now."""
        return MetricContext(
            backend=backend,
            options=self.options,
            cohort=self.cohort,
            range_end=hi,
            range_start=lo,
            grain=self.grain,
            tz=self.tz,
            business=self.calendar if self.business_hours else None,
            calendar=self.calendar,
            sla_policies=self.sla_policies,
            as_of=as_of if as_of is not None else hi if hi is not None else int(time.time()),
        )


def parse_where(items: Iterable[str]) -> dict[str, list[str]]:
    """``["channel=email,chat", "team=billing"]`` → ``{"channel": ["email", "chat"], ...}``."""
    where: dict[str, list[str]] = {}
    for item in items:
        dim, sep, values = item.partition("=")
        if not sep or not dim.strip() or not values:
            raise InputError(f"invalid filter {item!r}; use DIM=VALUE or DIM=V1,V2")
        where.setdefault(dim.strip(), []).extend(v.strip() for v in values.split(","))
    return where


def check_filter_values(dim: str, values: Sequence[str]) -> None:
    """One filter's values: a bounded list of printable text (they are data, never SQL)."""
    if not values:
        raise InputError(f"the filter on {dim!r} names no value")
    if len(values) > MAX_FILTER_VALUES:
        raise InputError(
            f"the filter on {dim!r} lists {len(values)} values; at most {MAX_FILTER_VALUES}"
        )
    for value in values:
        if not isinstance(value, str):
            continue  # a library caller's number or date: no SQL text either way
        if len(value) > MAX_FILTER_VALUE_LENGTH:
            raise InputError(
                f"a value of the filter on {dim!r} is {len(value)} characters long; at most "
                f"{MAX_FILTER_VALUE_LENGTH}"
            )
        if _CONTROL.search(value):
            raise InputError(
                f"the filter value {value!r} on {dim!r} holds a control character; names never do"
            )


def business_hours_apply(metrics: Iterable[str]) -> bool:
    """Whether ``business_hours`` would change any of ``metrics`` (a preset maps onto this)."""
    return any(parse_selector(m).metric.business_hours for m in metrics)
