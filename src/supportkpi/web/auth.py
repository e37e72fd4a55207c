"""Bearer-token access control: open on loopback, a token of the right role anywhere else.

Routes declare the role they need with ``Depends(requires("viewer"))`` or
``Depends(requires("admin"))``; 401 means no or an unknown token, 403 a token whose role is
too weak.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from supportkpi.web.state import api_state
from supportkpi.web.tokens import ROLES, role_allows, verify_token

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
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(
                401, "this server needs `Authorization: Bearer <token>`", _CHALLENGE
            )
        with state.reading() as reader:
            granted = verify_token(reader.store.con, credentials.credentials)
        if granted is None:
            raise HTTPException(401, "the bearer token is not valid", _CHALLENGE)
        if not role_allows(granted, role):
            raise HTTPException(
                403, f"this route needs an {role} token; yours is a {granted} token"
            )

    return check
