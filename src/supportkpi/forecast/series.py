"""The history a forecast learns from: counts per local slot of a count metric, per series.

Counts come from the metric's own builder through the query layer (the same rows, filters and
dimensions as `supportkpi kpi`), aggregated in Ibis per UTC quarter hour: every timezone's
offset is a whole number of quarter hours, so each quarter hour lies inside exactly one local
15-minute, 30-minute, hourly or daily slot. Only those few counts per quarter hour leave the
engine; they are laid on the local slot grid here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from supportkpi.errors import DataError, InputError
from supportkpi.forecast.intervals import Interval, day_after, floor_slot, floor_slots
from supportkpi.metrics.kinds import Aggregation
from supportkpi.metrics.registry import Metric, all_metrics, get_metric
from supportkpi.query.filters import keep_filtered
from supportkpi.query.runner import missing_basis
from supportkpi.query.session import Session

#: Seconds per UTC cell of the aggregation (see the module docstring).
CELL_S = 900
#: Stands for "no value" of the breakdown dimension in a series key.
NO_VALUE = "(none)"


@dataclass(frozen=True)
class History:
    """Counts per series and local slot, on one grid ``[start, end)`` shared by all series."""

    metric: str
    interval: Interval
    tz: str
    by: str | None
    start: pd.Timestamp  # first local slot (naive local wall-clock time)
    end: pd.Timestamp  # the as-of slot: the first one not in the history
    #: Columns ``key`` (the dimension value, or the metric id), ``ds`` (slot start), ``y``.
    frame: pd.DataFrame
    #: The slot of the latest item counted.
    last_item: pd.Timestamp | None = None

    @property
    def slots(self) -> int:
        return int(len(self.frame) // max(1, self.frame["key"].nunique()))

    @property
    def keys(self) -> list[str]:
        return list(dict.fromkeys(self.frame["key"]))


def count_metric(metric_id: str) -> Metric:
    """The registered metric ``metric_id``, which must count items (tickets, calls)."""
    metric = get_metric(metric_id)
    if metric.aggregation != Aggregation.COUNT:
        counts = ", ".join(m.id for m in all_metrics() if m.aggregation == Aggregation.COUNT)
        raise InputError(
            f"metric {metric_id!r} is not a count of arrivals, so it cannot be forecast; "
            f"use one of {counts}"
        )
    return metric


def to_epoch(local: pd.Timestamp, tz: str) -> int:
    """Epoch seconds of a naive local wall-clock time (the first of a repeated DST hour)."""
    aware = local.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return int(aware.timestamp())


def count_history(
    session: Session,
    metric_id: str,
    interval: Interval,
    by: str | None = None,
    as_of: pd.Timestamp | None = None,
    tz: str | None = None,
    where: dict[str, list[str]] | None = None,
) -> History:
    """Counts of ``metric_id`` per local slot before ``as_of`` (default: the midnight after
    the last item's day), from the local midnight of the first item's day."""
    metric = count_metric(metric_id)
    request = session.query([metric.id], by=[by] if by else [], where=where, tz=tz)
    tz = request.tz
    missing = missing_basis(session.backend, metric)
    if missing is not None:
        raise DataError(f"{metric.id} cannot be forecast: {missing.note}")
    hi = None if as_of is None else to_epoch(floor_slot(as_of, interval), tz)
    ctx = request.context(session.backend, None, hi)
    rows = keep_filtered(metric.build(ctx), request.where)
    if hi is not None:
        rows = rows.filter(rows.at < hi)
    keys = [by] if by else []
    cells = rows.mutate(cell=(rows.at / CELL_S).floor().cast("int64"))
    counted = session.backend.execute(cells.group_by(["cell", *keys]).aggregate(y=cells.count()))
    if counted.empty:
        raise DataError(f"there is no {metric.id} to forecast from before the as-of instant")
    local = pd.to_datetime(counted["cell"] * CELL_S, unit="s", utc=True).dt.tz_convert(tz)
    counted["ds"] = floor_slots(local.dt.tz_localize(None), interval)
    counted["key"] = (
        counted[by].astype("object").where(counted[by].notna(), NO_VALUE).astype(str)
        if by
        else metric.id
    )
    start = counted["ds"].min().normalize()
    end = floor_slot(as_of, interval) if as_of is not None else day_after(counted["ds"].max())
    summed = counted.groupby(["key", "ds"], as_index=False)["y"].sum()
    grid = pd.date_range(start, end, freq=interval.freq, inclusive="left")
    full = pd.MultiIndex.from_product([sorted(summed["key"].unique()), grid], names=["key", "ds"])
    frame = (
        summed.set_index(["key", "ds"])["y"].reindex(full, fill_value=0).astype(float).reset_index()
    )
    return History(metric.id, interval, tz, by, start, end, frame, counted["ds"].max())
