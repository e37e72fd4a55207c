"""The server's answer cache: bounded in entries, in bytes and in age, with single flight.

An answer (a KPI result, a page's facts) is kept per question and store load. Requests that
ask the same question at once wait for the first one instead of computing it again (the
server's warm-up and the first visitor, two open tabs). Answers expire after ``ttl_s``
(running SLA targets and the open backlog's age move with the clock, not the data), and the
least recently used go first when there are more than ``max_entries`` or their estimated
size passes ``max_bytes``: a few huge answers (years by day by agent) cannot grow the server
without bound.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

MAX_ENTRIES = 512
MAX_BYTES = 256 * 1024 * 1024
TTL_SECONDS = 300.0


class AnswerCache:
    """``get(key, compute)``: the cached answer of ``key``, computed once when missing."""

    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        ttl_s: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, Any]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._flights: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        try:
            with flight:
                return self._get(key, compute)
        finally:
            with self._lock:
                if self._flights.get(key) is flight and not flight.locked():
                    del self._flights[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def size_bytes(self) -> int:
        """The estimated size of every answer held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > now:
                self._entries.move_to_end(key)
                return hit[2]
        value = compute()
        size = estimated_size(value)
        if size > self.max_bytes:
            return value  # larger than the whole cache: answered, not kept
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (now + self.ttl_s, size, value)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._bytes -= dropped
        return value


def estimated_size(value: Any, depth: int = 0) -> int:
    """Bytes an answer holds, roughly: its frames in full, everything else shallowly."""
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(
            value.memory_usage(deep=True).sum()
            if isinstance(value, pd.DataFrame)
            else value.memory_usage(deep=True)
        )
    size = sys.getsizeof(value)
    if depth > 4:
        return size
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts: Any = (getattr(value, f.name) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        parts = (*value.keys(), *value.values())
    elif isinstance(value, list | tuple | set | frozenset):
        parts = value
    else:
        return size
    return size + sum(estimated_size(part, depth + 1) for part in parts)
