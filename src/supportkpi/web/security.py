"""What every request passes before a route: the Host it names, where a write comes from,
and the security headers every response carries.

- **Host names.** A server on loopback answers only ``localhost``, ``127.0.0.1`` and ``[::1]``
  (and the names given with ``--allowed-host``): a page whose DNS name an attacker points at
  127.0.0.1 (DNS rebinding) is refused, not served. A server bound to one address answers
  that address too; one bound to every address (``0.0.0.0``) answers every name unless names
  are given, since it needs tokens anyway.
- **Writes.** A browser lets any page send a form or a ``no-cors`` fetch to any address, the
  loopback server included. So a write (POST, PUT, PATCH, DELETE) must come from this
  server's own pages (``Sec-Fetch-Site: same-origin``, or an ``Origin`` naming this server),
  or carry ``Authorization: Bearer``, which no page can add to a cross-site request without a
  CORS grant this server never gives. Clients that are not browsers (curl, scripts) send
  neither header and are let through: they are no one's confused deputy.
- **Headers.** ``nosniff``, no framing, a same-origin referrer and a strict default
  Content-Security-Policy on every response, the JSON, CSV, static files and errors
  included; the dashboard's pages set their own, wider, policy for their charts.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportkpi.web.errors import error_response

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: The headers every response gets unless its route set them.
DEFAULT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def allowed_hosts(bind: str, extra: Iterable[str] = ()) -> frozenset[str] | None:
    """The Host names a server bound to ``bind`` answers; ``None`` means every name."""
    names = {host_name(name) for name in extra if name.strip()}
    if is_wildcard(bind):
        return frozenset(names | LOOPBACK_HOSTS) if names else None
    return frozenset(names | LOOPBACK_HOSTS | {host_name(bind)})


def is_wildcard(bind: str) -> bool:
    try:
        return ipaddress.ip_address(bind.strip("[]")).is_unspecified
    except ValueError:
        return False


def host_name(host: str) -> str:
    """``"Example.com:8000"`` → ``"example.com"``, ``"[::1]:8000"`` → ``"::1"``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:  # name:port; a bare IPv6 address has several colons
        return host.partition(":")[0]
    return host


def refusal(scope: Scope, hosts: frozenset[str] | None) -> tuple[int, str] | None:
    """Why this request is refused before any route sees it (status, message), or None."""
    headers = Headers(scope=scope)
    host = headers.get("host", "")
    if hosts is not None and host_name(host) not in hosts:
        shown = host[:100] or "(none)"
        return 400, (
            f"this server does not answer for the host name {shown!r}; start it with "
            f"`--allowed-host {host_name(host)[:100] or 'NAME'}` if that name is yours"
        )
    if scope["method"] not in SAFE_METHODS and is_cross_site(headers):
        return 403, (
            "cross-site write refused: a write must come from this server's own pages or "
            "carry `Authorization: Bearer <token>`"
        )
    return None


def is_cross_site(headers: Headers) -> bool:
    """Whether a write was sent by a page of another site (see the module docstring)."""
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return False
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


class RequestGuard:
    """ASGI middleware: refuses foreign Host names and cross-site writes, and adds the
    default security headers to every response."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in DEFAULT_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        refused = refusal(scope, self.hosts)
        if refused is not None:
            await error_response(*refused)(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)
