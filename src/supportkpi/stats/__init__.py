"""Confidence intervals and change detection for KPIs (SPEC §4, "Surveys").

Every rate and survey score carries a 95 % interval (Wilson for proportions, the multinomial
variance for NPS, Student t for means), and a change between periods is flagged only when a
two-sided test finds it significant.

>>> from supportkpi.stats import compare, wilson_interval
>>> low, high = wilson_interval(81, 263)
>>> round(low, 4), round(high, 4)
(0.2553, 0.3662)
>>> compare("nps", (70, 20, 10), (50, 30, 20)).describe("NPS")
'NPS fell 30.0 points, significant at 95% (100 responses now, 100 before)'
"""

from __future__ import annotations

from supportkpi.stats.intervals import (
    Interval,
    mean_interval,
    mean_interval_of,
    nps_estimate,
    nps_interval,
    sample_summary,
    wilson_interval,
)
from supportkpi.stats.significance import Change, compare

__all__ = [
    "Change",
    "Interval",
    "compare",
    "mean_interval",
    "mean_interval_of",
    "nps_estimate",
    "nps_interval",
    "sample_summary",
    "wilson_interval",
]
