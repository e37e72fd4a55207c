"""Confidence intervals for rates, NPS and means (SPEC §4, "Surveys").

Every interval is ``(low, high)``, or ``(None, None)`` when there is too little data to say
anything. Rates are fractions in 0…1, NPS is on its −100…100 scale, means are in the data's unit.

The Student t distribution comes from scipy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache
from statistics import NormalDist
from typing import TypeAlias

from supportkpi.errors import InputError

#: ``(low, high)``, or ``(None, None)`` when there is no data to estimate from.
Interval: TypeAlias = tuple[float, float] | tuple[None, None]

_NO_INTERVAL: tuple[None, None] = (None, None)


def check_confidence(confidence: float) -> None:
    """Raise ``InputError`` unless ``confidence`` is strictly between 0 and 1."""
    if not 0.0 < confidence < 1.0:
        raise InputError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}.")


def normal_quantile(confidence: float) -> float:
    """Two-sided critical value z with P(|Z| <= z) = ``confidence`` (1.96 for 0.95).

    >>> round(normal_quantile(0.95), 4)
    1.96
    """
    check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z; ``erfc`` keeps tiny p-values accurate.

    >>> round(normal_two_sided_p(1.959964), 4)
    0.05
    """
    return math.erfc(abs(z) / math.sqrt(2.0))


def student_t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (possibly fractional) degrees of freedom.

    >>> round(student_t_two_sided_p(2.262, 9), 3)
    0.05
    """
    if df <= 0:
        raise InputError(f"degrees of freedom must be positive, got {df!r}.")
    # scipy.stats takes about a second to import; only t-based figures pay for it.
    from scipy.stats import t as student_t

    return float(2.0 * student_t.sf(abs(t), df))


@lru_cache(maxsize=256)
def student_t_quantile(confidence: float, df: float) -> float:
    """Two-sided critical value t with P(|T| <= t) = ``confidence``.

    >>> round(student_t_quantile(0.95, 9), 3)
    2.262
    """
    check_confidence(confidence)
    if df <= 0:
        raise InputError(f"degrees of freedom must be positive, got {df!r}.")
    from scipy.stats import t as student_t

    return float(student_t.ppf(0.5 + confidence / 2.0, df))


def check_counts(**counts: int) -> int:
    """Raise ``InputError`` for a negative count; return the total."""
    for name, value in counts.items():
        if value < 0:
            raise InputError(f"{name} must be a count of 0 or more, got {value!r}.")
    return sum(counts.values())


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for the proportion ``successes / n``, as fractions in 0…1.

    Unlike the textbook ``p ± z·se`` it never leaves 0…1 and stays sensible at 0 % or 100 %.

    >>> low, high = wilson_interval(72, 100)
    >>> round(low, 4), round(high, 4)
    (0.6251, 0.7986)
    >>> wilson_interval(0, 0)
    (None, None)
    """
    check_confidence(confidence)
    check_counts(successes=successes, n=n)
    if successes > n:
        raise InputError(f"successes ({successes}) cannot exceed the number of trials n ({n}).")
    if n == 0:
        return _NO_INTERVAL
    z = normal_quantile(confidence)
    p = successes / n
    shrink = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / shrink
    half_width = z / shrink * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    # At 0 % and 100 % the bound is exactly 0 or 1; the formula leaves rounding dust there.
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def nps_estimate(promoters: int, passives: int, detractors: int) -> tuple[float, float] | None:
    """NPS on −100…100 and the variance of that estimate (multinomial); ``None`` if no responses.

    var(NPS) = 100² · (p_pro + p_det − (p_pro − p_det)²) / n.

    >>> nps_estimate(70, 20, 10)
    (60.0, 44.0)
    """
    n = check_counts(promoters=promoters, passives=passives, detractors=detractors)
    if n == 0:
        return None
    # Integer arithmetic keeps whole-number results exact (60.0, not 59.99999999999999).
    score = 100.0 * (promoters - detractors) / n
    variance = 10_000.0 * ((promoters + detractors) * n - (promoters - detractors) ** 2) / n**3
    return score, variance


def nps_interval(
    promoters: int, passives: int, detractors: int, confidence: float = 0.95
) -> Interval:
    """Normal-approximation interval for NPS on −100…100, clamped to that range.

    >>> low, high = nps_interval(70, 20, 10)  # 60 ± 1.96 · sqrt(44)
    >>> round(low, 2), round(high, 2)
    (47.0, 73.0)
    """
    check_confidence(confidence)
    estimate = nps_estimate(promoters, passives, detractors)
    if estimate is None:
        return _NO_INTERVAL
    score, variance = estimate
    half_width = normal_quantile(confidence) * math.sqrt(variance)
    return max(-100.0, score - half_width), min(100.0, score + half_width)


def mean_interval(
    n: int, mean: float | None, std: float | None, confidence: float = 0.95
) -> Interval:
    """Student t interval for a mean from its sample size, mean and sample std (ddof = 1).

    ``(None, None)`` when n < 2 or the mean or std is missing (None or NaN).

    >>> low, high = mean_interval(10, 5.5, 3.0277)
    >>> round(low, 2), round(high, 2)
    (3.33, 7.67)
    """
    check_confidence(confidence)
    check_counts(n=n)
    if n < 2 or mean is None or std is None or math.isnan(mean) or math.isnan(std):
        return _NO_INTERVAL
    if std < 0:
        raise InputError(f"a standard deviation cannot be negative, got {std!r}.")
    half_width = student_t_quantile(confidence, n - 1) * std / math.sqrt(n)
    return mean - half_width, mean + half_width


def sample_summary(values: Iterable[float | None]) -> tuple[int, float | None, float | None]:
    """``(n, mean, sample std)`` of ``values``, leaving out None and NaN (missing values).

    >>> sample_summary([2.0, 4.0, None, 6.0])
    (3, 4.0, 2.0)
    """
    present = [float(v) for v in values if v is not None and not math.isnan(v)]
    n = len(present)
    if n == 0:
        return 0, None, None
    mean = math.fsum(present) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in present) / (n - 1)) if n > 1 else None
    return n, mean, std


def mean_interval_of(values: Iterable[float | None], confidence: float = 0.95) -> Interval:
    """Student t interval for the mean of ``values`` (None and NaN left out).

    >>> low, high = mean_interval_of(range(1, 11))
    >>> round(low, 3), round(high, 3)
    (3.334, 7.666)
    """
    return mean_interval(*sample_summary(values), confidence=confidence)
