"""Checks on staffing inputs: each failure is one `InputError` sentence naming the argument.

The CLI, the HTTP API and the library all validate here, so a bad value reads the same
wherever it comes from.
"""

from __future__ import annotations

import math

import numpy as np

from supportkpi.errors import InputError

#: Relative tolerance for "is this quotient an integer?" Inputs such as a shrinkage of 0.3
#: are not exact binary fractions, so 14 / (1 - 0.3) evaluates to 20.000000000000004; a
#: quotient within this relative distance of an integer is taken to be that integer.
INTEGER_TOLERANCE = 1e-12
#: The largest load one interval may carry, in Erlangs: above the biggest contact centres
#: (100,000 agents busy at once), and where Erlang C and A still answer in well under a second.
#: Past it the recursions run for minutes, so a request (an HTTP one too) is refused instead.
MAX_TRAFFIC_ERLANGS = 100_000.0
#: Times (handle time, answer-within threshold, patience) and interval lengths are at most a
#: day: longer is no telephone queue, and patience of days makes the Erlang A chain enormous.
MAX_SECONDS = 86_400.0
#: The most agents one interval may need (the largest load at a low occupancy cap): past it
#: the Erlang recursions take seconds per request.
MAX_AGENTS = 250_000


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}.") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {value!r}.")
    return number


def positive(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number above 0."""
    number = _finite(name, value)
    if number <= 0:
        raise InputError(f"{name} must be greater than 0, got {value!r}.")
    return number


def at_most(name: str, value: float, limit: float, unit: str = "") -> float:
    """``value`` when it is no more than ``limit``, else one sentence saying the bound."""
    if value > limit:
        raise InputError(f"{name} must be at most {limit:,g}{unit}, got {value!r}.")
    return value


def at_least(name: str, value: float, limit: float, unit: str = "") -> float:
    """``value`` as a number no less than ``limit``, else one sentence saying the bound."""
    number = _finite(name, value)
    if number < limit:
        raise InputError(f"{name} must be at least {limit:,g}{unit}, got {value!r}.")
    return number


def seconds(name: str, value: float, allow_zero: bool = False) -> float:
    """A time in seconds, above 0 (or 0 or more), and at most a day."""
    number = non_negative(name, value) if allow_zero else positive(name, value)
    return at_most(name, number, MAX_SECONDS, " seconds (a day)")


def traffic_load(value: float) -> float:
    """One interval's load in Erlangs: above 0 and at most `MAX_TRAFFIC_ERLANGS`."""
    return at_most("traffic", positive("traffic", value), MAX_TRAFFIC_ERLANGS, " Erlangs")


def non_negative(name: str, value: float) -> float:
    """Return ``value`` as a float, or raise if it is negative or not finite."""
    number = _finite(name, value)
    if number < 0:
        raise InputError(f"{name} must be 0 or more, got {value!r}.")
    return number


def fraction_up_to_one(name: str, value: float) -> float:
    """A share in (0, 1], such as a service-level target or a maximum occupancy."""
    number = _finite(name, value)
    if not 0 < number <= 1:
        raise InputError(
            f"{name} must be a fraction above 0 and at most 1 (e.g. 0.8 for 80%), got {value!r}."
        )
    return number


def shrinkage_fraction(value: float) -> float:
    """Shrinkage in [0, 1): the share of paid time agents are not available for calls."""
    number = _finite("shrinkage", value)
    if not 0 <= number < 1:
        raise InputError(
            f"shrinkage must be a fraction from 0 up to (not including) 1, got {value!r}."
        )
    return number


def agent_count(value: int) -> int:
    """A whole number of agents, 1 or more."""
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise InputError(f"agents must be a whole number of 1 or more, got {value!r}.")
    return int(value)


def ceil_tolerant(value: float) -> int:
    """Round up, but treat a value within `INTEGER_TOLERANCE` of an integer as that integer."""
    nearest = round(value)
    if abs(value - nearest) <= INTEGER_TOLERANCE * max(1.0, abs(value)):
        return int(nearest)
    return math.ceil(value)


def ceil_tolerant_array(values: np.ndarray) -> np.ndarray:
    """Vectorised `ceil_tolerant` (returns int64)."""
    nearest = np.round(values)
    close = np.abs(values - nearest) <= INTEGER_TOLERANCE * np.maximum(1.0, np.abs(values))
    return np.where(close, nearest, np.ceil(values)).astype(np.int64)


def agents_after_shrinkage(agents: int, shrinkage: float) -> int:
    """Agents to schedule so that ``agents`` remain after shrinkage: ceil(agents / (1 − s)).

    >>> agents_after_shrinkage(14, 0.3)  # 14 / 0.7 is exactly 20, not 21
    20
    """
    return ceil_tolerant(agents / (1.0 - shrinkage))
