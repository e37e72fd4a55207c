"""Is a KPI's change between two periods real, or noise? (SPEC §4, "Surveys").

``compare`` runs a two-sided test suited to the KPI's kind and returns a ``Change`` the
dashboard can flag and describe in plain words:

- ``"proportion"`` (CSAT, FCR, any rate): each period is ``(successes, n)``; pooled
  two-proportion z-test.
- ``"nps"``: each period is ``(promoters, passives, detractors)``; z-test on the difference
  of the two scores with their multinomial variances.
- ``"mean"`` (CES, durations): each period is ``(n, mean, std)`` with the sample std
  (ddof = 1); Welch's t-test, which does not assume equal variances.

A period may be ``None`` (or have no responses): the ``Change`` then says "no data".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, get_args

from supportkpi.errors import InputError
from supportkpi.stats.intervals import (
    check_confidence,
    check_counts,
    normal_two_sided_p,
    nps_estimate,
    student_t_two_sided_p,
)

Kind: TypeAlias = Literal["proportion", "nps", "mean"]
Period: TypeAlias = Sequence[float | None] | None
_Raw: TypeAlias = tuple[float | None, ...] | None

#: What one period's tuple holds, per kind (used to check input and to word errors).
PERIOD_FIELDS: dict[str, tuple[str, ...]] = {
    "proportion": ("successes", "n"),
    "nps": ("promoters", "passives", "detractors"),
    "mean": ("n", "mean", "std"),
}


@dataclass(frozen=True)
class Change:
    """A KPI in two periods: values, difference, two-sided p-value and the verdict.

    Values are on the kind's natural scale: fractions 0…1 for proportions, −100…100 for NPS,
    the data's unit for means. ``delta`` is current − previous. ``p_value`` is ``None`` when
    there is no data or too little to test (one value, or no variation at all).
    """

    previous: float | None
    current: float | None
    delta: float | None
    p_value: float | None
    significant: bool
    kind: Kind
    n_previous: int
    n_current: int
    confidence: float = 0.95

    def describe(self, label: str, unit: str | None = None, noun: str = "responses") -> str:
        """The change in plain words; ``unit`` defaults to "points" for rates and NPS.

        Rates are worded in percentage points ("fell 3.1 points" = 75.0 % → 71.9 %).

        >>> compare("proportion", (30, 40), (28, 40)).describe("CSAT")
        'CSAT fell 5.0 points, not significant at 95% (40 responses now, 40 before)'
        """
        counts = f"({_count(self.n_current, noun)} now, {self.n_previous:,} before)"
        if self.previous is None or self.current is None or self.delta is None:
            missing = {
                (True, True): "either period",
                (True, False): "the previous period",
                (False, True): "the current period",
            }[(self.previous is None, self.current is None)]
            return f"{label}: no data for {missing}, so no comparison {counts}"
        if self.delta == 0:
            return f"{label} did not change {counts}"
        if unit is None:
            unit = "" if self.kind == "mean" else "points"
        amount = abs(self.delta) * (100.0 if self.kind == "proportion" else 1.0)
        direction = "rose" if self.delta > 0 else "fell"
        change = f"{label} {direction} {_format_amount(amount)}" + (f" {unit}" if unit else "")
        if self.p_value is None:
            verdict = "too little data to test"
        else:
            verdict = "significant" if self.significant else "not significant"
            verdict += f" at {self.confidence * 100:g}%"
        return f"{change}, {verdict} {counts}"


def compare(kind: Kind, previous: Period, current: Period, *, confidence: float = 0.95) -> Change:
    """Test whether a KPI changed between two periods (two-sided, at ``confidence``).

    >>> change = compare("proportion", (30, 100), (45, 100))
    >>> round(change.delta, 2), round(change.p_value, 4), change.significant
    (0.15, 0.0285, True)
    >>> compare("nps", (70, 20, 10), None).describe("NPS")
    'NPS: no data for the current period, so no comparison (0 responses now, 100 before)'
    """
    check_confidence(confidence)
    if kind not in _TESTS:
        expected = ", ".join(get_args(Kind))
        raise InputError(f"unknown comparison kind {kind!r}; expected one of {expected}.")
    old, new = _unpack(kind, previous, "previous"), _unpack(kind, current, "current")
    return _TESTS[kind](old, new, confidence)


def _unpack(kind: str, period: Period, which: str) -> _Raw:
    """Check a period's tuple against ``PERIOD_FIELDS``; ``None`` stays ``None``."""
    if period is None:
        return None
    fields = PERIOD_FIELDS[kind]
    if len(period) != len(fields):
        raise InputError(
            f"the {which} period of a {kind!r} comparison must be ({', '.join(fields)}), "
            f"got {len(period)} values."
        )
    return tuple(period)


def _counts(period: _Raw, fields: tuple[str, ...]) -> tuple[int, ...]:
    """Whole, non-negative counts named ``fields``; missing (None/NaN) counts as 0."""
    if period is None:
        return (0,) * len(fields)
    counts = {}
    for name, value in zip(fields, period, strict=True):
        if value is None or math.isnan(value):
            value = 0
        if value != int(value):
            raise InputError(f"{name} must be a whole number, got {value!r}.")
        counts[name] = int(value)
    check_counts(**counts)
    return tuple(counts.values())


def _two_sided_p(delta: float, se: float, df: float | None = None) -> float | None:
    """p-value of ``delta / se`` (normal, or Student t when ``df`` is given)."""
    if delta == 0:
        return 1.0
    if se == 0:
        # A difference with zero estimated variance (e.g. one answer each period) cannot be
        # tested; calling it "infinitely significant" would flag noise.
        return None
    statistic = delta / se
    return normal_two_sided_p(statistic) if df is None else student_t_two_sided_p(statistic, df)


def _change(
    kind: Kind,
    values: tuple[float | None, float | None],
    counts: tuple[int, int],
    p_value: float | None,
    confidence: float,
) -> Change:
    old, new = values
    delta = None if old is None or new is None else new - old
    significant = p_value is not None and p_value < 1.0 - confidence
    return Change(old, new, delta, p_value, significant, kind, counts[0], counts[1], confidence)


def _proportions(old: _Raw, new: _Raw, confidence: float) -> Change:
    """Pooled two-proportion z-test: under "no change" both periods share one rate."""
    fields = PERIOD_FIELDS["proportion"]
    (s0, n0), (s1, n1) = _counts(old, fields), _counts(new, fields)
    for successes, n in ((s0, n0), (s1, n1)):
        if successes > n:
            raise InputError(f"successes ({successes}) cannot exceed the number of trials n ({n}).")
    if n0 == 0 or n1 == 0:
        rates = (s0 / n0 if n0 else None, s1 / n1 if n1 else None)
        return _change("proportion", rates, (n0, n1), None, confidence)
    pooled = (s0 + s1) / (n0 + n1)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n0 + 1.0 / n1))
    p_value = _two_sided_p(s1 / n1 - s0 / n0, se)
    return _change("proportion", (s0 / n0, s1 / n1), (n0, n1), p_value, confidence)


def _nps(old: _Raw, new: _Raw, confidence: float) -> Change:
    """z-test on NPS₁ − NPS₀; var of the difference = sum of the two multinomial variances."""
    counts0, counts1 = _counts(old, PERIOD_FIELDS["nps"]), _counts(new, PERIOD_FIELDS["nps"])
    estimate0, estimate1 = nps_estimate(*counts0), nps_estimate(*counts1)
    sizes = (sum(counts0), sum(counts1))
    if estimate0 is None or estimate1 is None:
        scores = (
            None if estimate0 is None else estimate0[0],
            None if estimate1 is None else estimate1[0],
        )
        return _change("nps", scores, sizes, None, confidence)
    (score0, var0), (score1, var1) = estimate0, estimate1
    p_value = _two_sided_p(score1 - score0, math.sqrt(var0 + var1))
    return _change("nps", (score0, score1), sizes, p_value, confidence)


def _means(old: _Raw, new: _Raw, confidence: float) -> Change:
    """Welch's t-test, with Welch–Satterthwaite degrees of freedom."""
    (n0, mean0, std0), (n1, mean1, std1) = _summary(old), _summary(new)
    p_value = None
    if mean0 is not None and mean1 is not None and std0 is not None and std1 is not None:
        var0, var1 = std0 * std0 / n0, std1 * std1 / n1
        se = math.sqrt(var0 + var1)
        df = (var0 + var1) ** 2 / (var0**2 / (n0 - 1) + var1**2 / (n1 - 1)) if se > 0 else None
        p_value = _two_sided_p(mean1 - mean0, se, df)
    return _change("mean", (mean0, mean1), (n0, n1), p_value, confidence)


def _summary(period: _Raw) -> tuple[int, float | None, float | None]:
    """``(n, mean, std)``: no mean means n = 0; the std is None unless n >= 2 (testable)."""
    if period is None:
        return 0, None, None
    (n,) = _counts(period[:1], ("n",))
    mean, std = period[1], period[2]
    if n == 0 or mean is None or math.isnan(mean):
        return 0, None, None
    if std is not None and std < 0:
        raise InputError(f"a standard deviation cannot be negative, got {std!r}.")
    if n < 2 or std is None or math.isnan(std):
        return n, float(mean), None
    return n, float(mean), float(std)


_TESTS: dict[str, Callable[[_Raw, _Raw, float], Change]] = {
    "proportion": _proportions,
    "nps": _nps,
    "mean": _means,
}


def _count(n: int, noun: str) -> str:
    """``"1 response"`` / ``"40 responses"``: a plural noun loses its final s for one."""
    return f"{n:,} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _format_amount(amount: float) -> str:
    """One decimal place, but never "0.0" for a real (if tiny) change."""
    return f"{amount:,.1f}" if round(amount, 1) != 0 else f"{amount:.2g}"
