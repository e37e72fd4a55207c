"""Bearer-token access control: open on loopback, a token of the right role anywhere else.

Routes declare the role they need with ``Depends(requires("viewer"))`` or
``Depends(requires("admin"))``; 401 means no, an unknown or an expired token, 403 a token whose
role is too weak, and 429 an address that sent too many bad tokens (web/backoff.py).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from supportkpi.web.backoff import checked_token, refuse_if_blocked
from supportkpi.web.state import api_state
from supportkpi.web.tokens import ROLES, role_allows

_bearer = HTTPBearer(auto_error=False, description="A token from `supportkpi token create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def requires(role: str) -> Callable[..., None]:
    """A dependency that lets a request through when it may use a route needing ``role``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def check(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    ) -> None:
        state = api_state(request)
        if state.open_access:
            return
        refuse_if_blocked(request)
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401, "this server needs `Authorization: Bearer <token>`", _CHALLENGE
            )
        verdict = checked_token(request, state, credentials.credentials)
        if verdict.role is None:
            reason = "has expired" if verdict.expired else "is not valid"
            raise HTTPException(401, f"the bearer token {reason}", _CHALLENGE)
        if not role_allows(verdict.role, role):
            raise HTTPException(
                403, f"this route needs an {role} token; yours is a {verdict.role} token"
            )

    return check
