"""GET a help desk's JSON like a careful client: timeouts, Retry-After, bounded backoff.

A 429 waits what its ``Retry-After`` header asks (Zendesk sends seconds); a 5xx, a timeout
or a refused connection is retried with exponential backoff, a bounded number of times
(:func:`supportkpi.delivery.retry.with_retries`). A 401 or 403 stops at once with one line
naming the URL and the environment variable the token came from, never the token.

Each system logs in its own documented way: Zendesk and Freshdesk with HTTP basic auth
(:func:`auth_of`), Zammad with its token header ``Authorization: Token token=...``
(:func:`headers_of`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx

from supportkpi.config.sources import SourceSettings
from supportkpi.delivery.retry import Permanent, RetryLater, with_retries
from supportkpi.errors import InputError

USER_AGENT = "supportkpi-sync"
#: A Retry-After longer than this is a server asking us to go away: stop rather than hang.
MAX_WAIT_S = 300.0
#: Systems whose API token travels in a header of this form rather than as basic auth.
TOKEN_HEADER = {"zammad": "Token token={token}"}


def token_of(source: SourceSettings) -> str:
    """The API token from the environment variable ``token_env`` names."""
    token = os.environ.get(source.token_env, "")
    if not token:
        raise InputError(
            f"sync {source.name}: the environment variable {source.token_env} holding the "
            f"{source.system} API token is not set"
        )
    return token


def auth_of(source: SourceSettings, token: str) -> tuple[str, str] | None:
    """Basic-auth user and password: Zendesk's API-token login is ``{email}/token:{token}``;
    Freshdesk's is the key as user with any password. None for a token-header login."""
    if source.system in TOKEN_HEADER:
        return None
    if source.system == "zendesk":
        return f"{source.email}/token", token
    return token, "X"


def headers_of(source: SourceSettings, token: str) -> dict[str, str]:
    """Login headers: Zammad's HTTP Token Authentication sends ``Authorization: Token
    token={token}`` (docs.zammad.org, "API / Intro"); basic-auth systems send none here."""
    if source.system in TOKEN_HEADER:
        return {"Authorization": TOKEN_HEADER[source.system].format(token=token)}
    return {}


def login_of(source: SourceSettings) -> str:
    """How the source logs in, for the refused-login line (never the token itself)."""
    if source.system == "zendesk":
        return f"{source.email}/token"
    if source.system in TOKEN_HEADER:
        return "the Authorization: Token header"
    return "the key"


@dataclass
class Fetcher:
    """One source's HTTP client; ``get`` returns a page's JSON object."""

    source: SourceSettings
    attempts: int = 5
    backoff_s: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0
    _client: Any = field(default=None, repr=False)

    def __enter__(self) -> Fetcher:
        token = token_of(self.source)
        self._client = httpx.Client(
            timeout=self.source.timeout_s,
            auth=auth_of(self.source, token),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                     **headers_of(self.source, token)},
        )  # fmt: skip
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def get(self, url: str, params: dict[str, Any] | None = None) -> Any:
        """The JSON at ``url`` (an object or an array); one :class:`InputError` line when
        it cannot be had."""
        shown = url.split("?")[0]

        def attempt() -> Any:
            self.requests += 1
            try:
                answer = self._client.get(url, params=params)
            except httpx.TimeoutException:
                raise TimeoutError(f"no answer within {self.source.timeout_s:g}s") from None
            except httpx.TransportError as exc:
                raise ConnectionError(str(exc) or type(exc).__name__) from None
            return self._checked(answer)

        return with_retries(
            attempt, f"sync {self.source.name}: GET {shown}", self.attempts, self.backoff_s,
            self.sleep, error=InputError,
        )  # fmt: skip

    def _checked(self, answer: Any) -> Any:
        status = answer.status_code
        if status in (401, 403):
            raise Permanent(
                f"HTTP {status}: {self.source.system} refused the login "
                f"({login_of(self.source)} with the token "
                f"in ${self.source.token_env}); check that variable and the source's url"
            )
        if status == 429:
            wait = _retry_after(answer.headers.get("Retry-After"))
            if wait > MAX_WAIT_S:
                raise Permanent(f"HTTP 429: rate limited for {wait:g}s (Retry-After)")
            raise RetryLater(f"HTTP 429, rate limited (Retry-After {wait:g}s)", wait)
        if status >= 500:
            raise ConnectionError(f"HTTP {status}")
        if status >= 400:
            raise Permanent(f"HTTP {status} {answer.text[:120]!r}")
        try:
            return answer.json()
        except ValueError:
            raise Permanent("the answer is not JSON") from None


def _retry_after(value: str | None) -> float:
    """Retry-After in seconds (Zendesk sends seconds; a date or nothing waits a minute,
    the window of the incremental exports' per-minute limit)."""
    try:
        return max(0.0, float(value)) if value else 60.0
    except ValueError:
        return 60.0
