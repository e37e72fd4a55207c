"""Metric selectors: ``NAME`` or ``NAME:STAT`` (``first_response_time:p90``), parsed once.

A selector names one requested number: a metric and, for distributions, the statistic of it.
Config targets, queries and the dashboard all parse selectors here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ibis.expr.types as ir

from supportkpi.errors import InputError, UnsupportedError
from supportkpi.metrics.registry import Metric, get_metric

_STAT = re.compile(r"^(mean|median|count|sum|p(\d{1,2}(?:\.\d+)?))$")


@dataclass(frozen=True)
class Selector:
    """One requested number: a metric and, for distributions, a statistic."""

    metric: Metric
    stat: str | None

    @property
    def label(self) -> str:
        return f"{self.metric.id}:{self.stat}" if self.stat else self.metric.id

    @property
    def quantile(self) -> float | None:
        if self.stat == "median":
            return 0.5
        if self.stat and self.stat.startswith("p"):
            return float(self.stat[1:]) / 100.0
        return None

    def stat_value(self, x: ir.NumericColumn) -> ir.NumericScalar:
        """The selected statistic of the column ``x``."""
        q = self.quantile
        if q is not None:
            return x.quantile(q)
        if self.stat == "mean":
            return x.mean()
        if self.stat == "sum":
            return x.sum()
        if self.stat == "count":
            return x.count()
        raise UnsupportedError(f"statistic {self.stat!r} is not defined for {self.metric.id}")


def parse_selector(text: str) -> Selector:
    """Parse ``NAME[:STAT]`` (``first_response_time:p90``) against the registry."""
    name, _, stat = text.strip().partition(":")
    metric = get_metric(name)
    if not stat:
        return Selector(metric, metric.default_stat)
    if not metric.stats:
        raise InputError(f"metric {name!r} takes no statistic (got {text!r})")
    match = _STAT.match(stat)
    if not match or (match.group(2) and not 0 < float(match.group(2)) < 100):
        raise InputError(
            f"unknown statistic {stat!r} in {text!r}; use mean, median, count, sum or pNN (p90)"
        )
    return Selector(metric, stat)
