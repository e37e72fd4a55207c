"""Who may see the dashboard: anyone on loopback; elsewhere, the holder of an API token.

A browser cannot send ``Authorization: Bearer`` by itself, so off loopback the dashboard also
accepts the token from a cookie set by its ``/login`` form (HttpOnly, SameSite=Strict, and
Secure when the request came over HTTPS). Any role will do: the dashboard only reads.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from supportkpi.web.state import ApiState
from supportkpi.web.tokens import verify_token

COOKIE = "supportkpi_token"
COOKIE_DAYS = 30


def token_of(request: Request) -> str | None:
    """The token a request carries, in its Authorization header or the login cookie."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE) or None


def token_role(state: ApiState, token: str) -> str | None:
    """The role of ``token`` in the store, or ``None``."""
    with state.reading() as reader:
        return verify_token(reader.store.con, token)


def denied(request: Request, state: ApiState) -> Response | None:
    """``None`` when the request may see the dashboard, else a redirect to the login form."""
    if state.open_access:
        return None
    token = token_of(request)
    if token and token_role(state, token):
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
