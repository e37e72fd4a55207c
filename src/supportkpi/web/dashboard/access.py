"""Who may see the dashboard: anyone on loopback; elsewhere, the holder of an API token.

A browser cannot send ``Authorization: Bearer`` by itself, so off loopback the dashboard also
accepts the token from a cookie set by its ``/login`` form (HttpOnly, SameSite=Strict, and
Secure when the request came over HTTPS). Any role will do: the dashboard only reads.

The login form is the dashboard's one write. Besides the server-wide same-origin check
(web/security.py) it carries a form token that must match a cookie set with the form (a
double-submit token): a page of another site can neither read the cookie nor the form. Bad
tokens count against the client's address as on the API (web/backoff.py).
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from supportkpi.web.backoff import checked_token
from supportkpi.web.state import ApiState

COOKIE = "supportkpi_token"
COOKIE_DAYS = 30
FORM_COOKIE = "supportkpi_form"


def token_of(request: Request) -> str | None:
    """The token a request carries, in its Authorization header or the login cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


def token_role(request: Request, state: ApiState, token: str) -> str | None:
    """The role of ``token`` in the store, or ``None`` (counted by the backoff)."""
    return checked_token(request, state, token).role


def denied(request: Request, state: ApiState) -> Response | None:
    """``None`` when the request may see the dashboard, else a redirect to the login form."""
    if state.open_access:
        return None
    token = token_of(request)
    if token and token_role(request, state, token):
        return None
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this server (never ``//host`` or ``https://host``) to go back to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def remember(response: Response, request: Request, token: str) -> None:
    """Set the login cookie on ``response``."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def form_token(request: Request) -> str:
    """The login form's token: the one its cookie holds, or a new one."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def remember_form(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        FORM_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )


def form_token_matches(request: Request, submitted: str) -> bool:
    """Whether the submitted form token is the one this browser's cookie holds."""
    expected = request.cookies.get(FORM_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, submitted)
