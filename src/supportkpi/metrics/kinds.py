"""Aggregation kinds: how a metric's rows become its value, in one table (:data:`KINDS`).

Each metric declares an :class:`Aggregation`; its :class:`AggregationKind` holds everything
that follows from it, so that the runner, change detection, the drill-down and the catalogue
ask the kind instead of branching on the name:

- the rows a builder returns (``row_columns``, beside ``at`` and the dimensions);
- the statistics a selector may ask for (``stats``: ``first_response_time:p90``);
- the Ibis measures per period and dimension (``value``, ``n`` and hidden ``_`` columns);
- the 95% interval of each value (Wilson for rates, multinomial for NPS, t for mean scores);
- the significance test of a change between two periods and its sufficient statistics;
- how the rows behind a value are listed (``row_list``);
- which frame the query layer builds (``frame``): grouped rows, a quotient of two tables, a
  point-in-time level, or the open intervals at each bucket end.

=================  ==============================================  ===========================
kind               builder rows                                    value
=================  ==============================================  ===========================
distribution       ``at, <dims>, x``                               a statistic of ``x``
count              ``at, <dims>``                                  the number of rows
sum                ``at, <dims>, x``                               ``sum(x)``
count_where        ``at, <dims>, num, den``                        ``sum(num)``, n ``sum(den)``
mean               ``at, <dims>, x``                               ``mean(x)`` with a t-interval
nps                ``at, <dims>, promoter, detractor`` (0/1)       ``100 (P - D) / n``
ratio              ``at, <dims>, num, den``                        ``sum(num) / sum(den)``
quotient           ``(numerator, denominator)`` of ``at, <dims>, x``  ``sum(num.x) / sum(den.x)``
cumulative         ``at, <dims>, delta, opened``                   ``sum(delta)`` before T
open_intervals     ``open_at, close_at, since, <dims>``            rows open at T, by age
=================  ==============================================  ===========================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from supportkpi.errors import UnsupportedError
from supportkpi.stats.intervals import mean_interval, nps_interval, wilson_interval

# The registry reads this table when the CLI starts: Ibis and pandas are imported by the
# methods that compute, so that `supportkpi --help` stays fast.
if TYPE_CHECKING:
    import ibis.expr.types as ir
    import pandas as pd

Bounds = tuple[float | None, float | None]
DISTRIBUTION_STATS = ("mean", "median", "pNN", "count", "sum")
#: The age bands of open items (``backlog_age`` without a statistic), lower bounds in days.
AGE_BANDS = (("0-1d", 0), ("1-3d", 1), ("3-7d", 3), ("7-14d", 7), (">14d", 14))


class Aggregation(StrEnum):
    DISTRIBUTION = "distribution"
    COUNT = "count"
    SUM = "sum"
    COUNT_WHERE = "count_where"
    MEAN = "mean"
    NPS = "nps"
    RATIO = "ratio"
    QUOTIENT = "quotient"
    CUMULATIVE = "cumulative"
    OPEN_INTERVALS = "open_intervals"


class StatSelector(Protocol):
    """What a kind needs of a selector (:class:`supportkpi.metrics.selector.Selector`)."""

    @property
    def stat(self) -> str | None: ...

    def stat_value(self, x: ir.NumericColumn) -> ir.NumericScalar: ...


class AggregationKind:
    """One kind of aggregation; the defaults fit a kind without interval or test."""

    name: ClassVar[Aggregation]
    row_columns: ClassVar[tuple[str, ...]] = ()
    stats: ClassVar[tuple[str, ...]] = ()
    has_interval: ClassVar[bool] = False
    #: The frame the query layer builds: "rows", "quotient", "level" or "open_intervals".
    frame: ClassVar[str] = "rows"
    #: How the rows behind a value are listed: "rows" (the builder's rows in the range),
    #: "open" (the items open at the range end) or None (no row list).
    row_list: ClassVar[str | None] = "rows"

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        """``value``, ``n`` and hidden ``_`` columns per group of ``rows``."""
        raise UnsupportedError(f"aggregation {self.name} is not computed from grouped rows")

    def intervals(self, result: pd.DataFrame) -> list[Bounds] | None:
        """The 95% interval of each result row, or None when the kind has none."""
        return None

    def test(self, sel: StatSelector) -> str | None:
        """The significance test of a change (see :func:`supportkpi.stats.compare`), if any."""
        return None

    def extra_keys(self, sel: StatSelector) -> tuple[str, ...]:
        """Key columns the result carries beyond the period and the ``by`` dimensions."""
        return ()

    def counted(self, rows: ir.Table) -> ir.Table:
        """The rows of a row list that count towards the value."""
        return rows


def _column(result: pd.DataFrame, name: str) -> pd.Series:
    import pandas as pd

    if name not in result.columns:
        return pd.Series(0.0, index=result.index)
    return pd.to_numeric(result[name], errors="coerce").astype("float64")


class Distribution(AggregationKind):
    name = Aggregation.DISTRIBUTION
    row_columns = ("x",)
    stats = DISTRIBUTION_STATS

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        return {"value": sel.stat_value(rows.x), "n": rows.x.count()}

    def test(self, sel: StatSelector) -> str | None:
        return "mean" if sel.stat == "mean" else None


class Count(AggregationKind):
    name = Aggregation.COUNT

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        return {"value": rows.count(), "n": rows.count()}


class Sum(AggregationKind):
    name = Aggregation.SUM
    row_columns = ("x",)

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        return {"value": rows.x.sum(), "n": rows.count()}


class CountWhere(AggregationKind):
    name = Aggregation.COUNT_WHERE
    row_columns = ("num", "den")

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        return {"value": rows.num.sum(), "n": rows.den.sum()}

    def counted(self, rows: ir.Table) -> ir.Table:
        return rows.filter(rows.num == 1)


class Mean(AggregationKind):
    name = Aggregation.MEAN
    row_columns = ("x",)
    has_interval = True

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        return {"value": rows.x.mean(), "n": rows.x.count(), "_std": rows.x.std()}

    def intervals(self, result: pd.DataFrame) -> list[Bounds] | None:
        import pandas as pd

        return [
            mean_interval(
                int(n), None if pd.isna(v) else float(v), None if pd.isna(s) else float(s)
            )
            for v, s, n in zip(result["value"], _column(result, "_std"), result["n"], strict=True)
        ]

    def test(self, sel: StatSelector) -> str | None:
        return "mean"


class Nps(AggregationKind):
    name = Aggregation.NPS
    row_columns = ("promoter", "detractor")
    has_interval = True

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        n = rows.count()
        return {
            "value": (rows.promoter.sum() - rows.detractor.sum()).cast("float64")
            * 100.0
            / n.nullif(0).cast("float64"),
            "n": n,
            "_promoters": rows.promoter.sum(),
            "_detractors": rows.detractor.sum(),
        }

    def intervals(self, result: pd.DataFrame) -> list[Bounds] | None:
        return [
            nps_interval(int(p), int(n - p - d), int(d)) if n else (None, None)
            for p, d, n in zip(
                _column(result, "_promoters").fillna(0),
                _column(result, "_detractors").fillna(0),
                result["n"],
                strict=True,
            )
        ]

    def test(self, sel: StatSelector) -> str | None:
        return "nps"


class Ratio(AggregationKind):
    name = Aggregation.RATIO
    row_columns = ("num", "den")
    has_interval = True

    def measures(self, rows: ir.Table, sel: StatSelector) -> dict[str, Any]:
        den = rows.den.sum()
        return {
            "value": rows.num.sum().cast("float64") / den.nullif(0).cast("float64"),
            "n": den,
            "_num": rows.num.sum(),
        }

    def intervals(self, result: pd.DataFrame) -> list[Bounds] | None:
        return [
            wilson_interval(round(num), int(n)) if n else (None, None)
            for num, n in zip(_column(result, "_num").fillna(0), result["n"], strict=True)
        ]

    def test(self, sel: StatSelector) -> str | None:
        return "proportion"


class Quotient(AggregationKind):
    name = Aggregation.QUOTIENT
    row_columns = ("x",)
    frame = "quotient"
    row_list = None  # two tables: no one list of rows makes up the value


class Cumulative(AggregationKind):
    name = Aggregation.CUMULATIVE
    row_columns = ("delta", "opened")
    frame = "level"
    row_list = "open"


class OpenIntervals(AggregationKind):
    name = Aggregation.OPEN_INTERVALS
    row_columns = ("open_at", "close_at", "since")
    stats = DISTRIBUTION_STATS
    frame = "open_intervals"
    row_list = "open"

    def extra_keys(self, sel: StatSelector) -> tuple[str, ...]:
        # Without a statistic the value is a count per age band.
        return ("age_band",) if sel.stat is None else ()

    @staticmethod
    def band(age_s: ir.NumericValue) -> ir.StringValue:
        """The age band of an age in seconds."""
        import ibis

        cases = [
            (age_s < AGE_BANDS[i + 1][1] * 86400, AGE_BANDS[i][0])
            for i in range(len(AGE_BANDS) - 1)
        ]
        return ibis.cases(*cases, else_=AGE_BANDS[-1][0])


KINDS: dict[Aggregation, AggregationKind] = {
    kind.name: kind
    for kind in (
        Distribution(),
        Count(),
        Sum(),
        CountWhere(),
        Mean(),
        Nps(),
        Ratio(),
        Quotient(),
        Cumulative(),
        OpenIntervals(),
    )
}


@dataclass(frozen=True)
class TestInputs:
    """What a significance test needs of one period's rows: one Ibis aggregate, then the
    value, n and the period's tuple for :func:`supportkpi.stats.compare`."""

    aggregate: Callable[[ir.Table], dict[str, Any]]
    summary: Callable[[pd.Series], tuple[float, int, tuple[float | None, ...]]]


def _std(value: Any) -> float | None:
    return None if value is None or value != value else float(value)  # NaN is not itself


#: Per test name of :meth:`AggregationKind.test`: the inputs of that test.
TEST_INPUTS: dict[str, TestInputs] = {
    "proportion": TestInputs(
        lambda rows: {"s": rows.num.sum(), "n": rows.den.sum()},
        lambda r: (int(r["s"]) / int(r["n"]), int(r["n"]), (int(r["s"]), int(r["n"]))),
    ),
    "nps": TestInputs(
        lambda rows: {"p": rows.promoter.sum(), "d": rows.detractor.sum(), "n": rows.count()},
        lambda r: (
            100.0 * (int(r["p"]) - int(r["d"])) / int(r["n"]),
            int(r["n"]),
            (int(r["p"]), int(r["n"]) - int(r["p"]) - int(r["d"]), int(r["d"])),
        ),
    ),
    "mean": TestInputs(
        lambda rows: {"n": rows.x.count(), "mean": rows.x.mean(), "std": rows.x.std()},
        lambda r: (
            float(r["mean"]),
            int(r["n"]),
            (int(r["n"]), float(r["mean"]), _std(r["std"])),
        ),
    ),
}
