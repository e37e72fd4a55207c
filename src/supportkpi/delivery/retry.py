"""Bounded retries with exponential backoff, ending in one :class:`DeliveryError` line."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from supportkpi.errors import DeliveryError, SupportKpiError

T = TypeVar("T")


class Permanent(Exception):
    """A failure that retrying cannot fix (a refused login, a 404): stop at once."""


class RetryLater(ConnectionError):
    """A transient failure whose server said how long to wait (a 429's ``Retry-After``)."""

    def __init__(self, message: str, wait_s: float) -> None:
        super().__init__(message)
        self.wait_s = wait_s


def with_retries(
    action: Callable[[], T],
    what: str,
    attempts: int = 3,
    backoff_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    error: type[SupportKpiError] = DeliveryError,
) -> T:
    """Run ``action`` up to ``attempts`` times, waiting ``backoff_s``, 2×, 4× … in between.

    ``action`` raises :class:`Permanent` for failures not worth retrying and ``OSError``
    (connections, timeouts, ``smtplib`` errors) for the others; anything else is a bug and
    propagates. The last failure becomes ``error("WHAT failed: ...")`` (a
    :class:`DeliveryError` unless told). A :class:`RetryLater` waits what the server asked
    instead of the backoff.
    """
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Permanent as exc:
            raise error(f"{what} failed: {exc}") from None
        except OSError as exc:
            if attempt == attempts:
                tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
                raise error(f"{what} failed after {tries}: {_reason(exc)}") from None
            asked = exc.wait_s if isinstance(exc, RetryLater) else None
            sleep(asked if asked is not None else backoff_s * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # the loop returns or raises


def _reason(exc: OSError) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
