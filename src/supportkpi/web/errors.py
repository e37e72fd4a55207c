"""The API's one error shape, ``{"ok": false, "error": "…", "status": N}``, whoever raises."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportkpi.errors import SupportKpiError

log = logging.getLogger("supportkpi.web")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Any:
    """The one JSON error shape of the API: ``{"ok": false, "error": "…", "status": N}``."""
    body = {"ok": False, "error": message, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
    where = {"query": "query parameter", "path": "path parameter"}.get(
        str(first.get("loc", ("",))[0]), "field"
    )
    name = ".".join(loc) or "request"
    detail = str(first.get("msg", "invalid value")).rstrip(".")
    got = first.get("input")
    shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
    return f"{where} {name!r}: {detail.lower()}{shown}"


class UnexpectedErrors:
    """ASGI middleware: a bug answers 500 in the error shape with a short id to find in the
    log, and is logged once (an app-level ``Exception`` handler would also let Starlette
    re-raise it, and uvicorn log the traceback a second time)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            message = internal_error(exc, f"{scope['method']} {scope['path']}")
            if started:  # the answer is half sent: all that is left is to end it
                raise
            await error_response(500, message)(scope, receive, send)


def internal_error(exc: BaseException, where: str) -> str:
    """Log ``exc`` with a new id and return the sentence the client gets (no internals:
    an exception's text can hold paths, SQL or data)."""
    error_id = secrets.token_hex(4)
    log.error("unexpected error %s on %s", error_id, where, exc_info=exc)
    return f"internal error {error_id}; the server log has the details under this id"


def install_error_handlers(app: FastAPI) -> None:
    """Every error, whoever raises it, leaves as the one JSON shape."""

    @app.exception_handler(SupportKpiError)
    async def library_error(request: Request, exc: SupportKpiError) -> Any:
        return error_response(exc.status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Any:
        return error_response(400, _validation_message(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"no route {request.method} {request.url.path}; see /docs"
        elif exc.status_code == 405:
            headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
            allowed = headers.get("allow", "another method")
            message = f"{request.method} is not allowed on {request.url.path}; use {allowed}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, getattr(exc, "headers", None))
