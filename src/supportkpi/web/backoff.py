"""A backoff after repeated bad tokens from one address (the API's bearer check and the
dashboard's login share it), so that tokens cannot be guessed at the server's speed."""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException

from supportkpi.web.state import ApiState
from supportkpi.web.tokens import TokenCheck, check_token


@dataclass
class _Failures:
    """The bad tokens of one address: the current window, and the blocks so far."""

    window_start: float
    count: int = 0
    blocks: int = 0
    blocked_until: float = 0.0
    last_seen: float = 0.0


class TokenBackoff:
    """Bad tokens counted per client address; past a threshold, that address must wait.

    ``threshold`` failures within ``window_s`` block the address for ``first_wait_s``; each
    failure after a block has ended blocks it again for twice as long, up to ``max_wait_s``.
    A valid token resets the address, and one quiet for ``max_wait_s`` after its last block
    or failure starts afresh. At most ``max_addresses`` are tracked, the least recently seen
    dropped first, so a flood of addresses costs bounded memory. Thread-safe; ``clock``
    (seconds, monotonic) is there for tests.
    """

    def __init__(
        self,
        threshold: int = 10,
        window_s: float = 60.0,
        first_wait_s: float = 60.0,
        max_wait_s: float = 900.0,
        max_addresses: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.window_s = window_s
        self.first_wait_s = first_wait_s
        self.max_wait_s = max_wait_s
        self.max_addresses = max_addresses
        self.clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Whole seconds ``address`` must still wait, or None when it may try a token."""
        now = self.clock()
        with self._lock:
            entry = self._failures.get(address)
            if entry is None or entry.blocked_until <= now:
                return None
            return max(1, math.ceil(entry.blocked_until - now))

    def failed(self, address: str) -> None:
        """Count a bad token from ``address``, blocking it when that is one too many."""
        now = self.clock()
        with self._lock:
            entry = self._failures.pop(address, None)
            if entry is None or now - max(entry.last_seen, entry.blocked_until) >= self.max_wait_s:
                entry = _Failures(window_start=now)
            if not entry.blocks and now - entry.window_start > self.window_s:
                entry.window_start, entry.count = now, 0
            entry.count += 1
            entry.last_seen = now
            if entry.blocks or entry.count >= self.threshold:
                # Capped exponent: a long attack must not overflow the float.
                wait = self.first_wait_s * 2 ** min(entry.blocks, 32)
                entry.blocked_until = now + min(wait, self.max_wait_s)
                entry.blocks += 1
            self._failures[address] = entry  # the most recently seen last
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        """Forget the failures of ``address``: it holds a valid token."""
        with self._lock:
            self._failures.pop(address, None)

    def tracked(self) -> int:
        """How many addresses have failures on record."""
        with self._lock:
            return len(self._failures)


def token_backoff(request: Request) -> TokenBackoff:
    """The backoff of the app serving ``request`` (one per app, made by ``create_app``)."""
    backoff: TokenBackoff = request.app.state.token_backoff
    return backoff


def refuse_if_blocked(request: Request) -> None:
    """429 with ``Retry-After`` while the client's address must wait. Called before the
    token is looked at: a blocked address learns nothing about its guesses."""
    wait = token_backoff(request).retry_after(client_address(request))
    if wait is not None:
        raise HTTPException(
            429,
            f"too many invalid tokens from this address; try again in {wait} s",
            {"Retry-After": str(wait)},
        )


def checked_token(request: Request, state: ApiState, token: str) -> TokenCheck:
    """What the store says of ``token``, counted for or against the client's address."""
    with state.reading() as reader:
        verdict = check_token(reader.store.con, token)
    backoff, address = token_backoff(request), client_address(request)
    if verdict.role is None:
        backoff.failed(address)
    else:
        backoff.succeeded(address)
    return verdict


def client_address(request: Request) -> str:
    """Whom to count a bad token against: the client's IP, or its /64 network for IPv6
    (one host commonly holds a whole /64, so single addresses would be free to rotate)."""
    host = request.client.host if request.client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
