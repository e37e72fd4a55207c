"""The API's one error shape, ``{"ok": false, "error": "…", "status": N}``, whoever raises."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi import HTTPException as FastApiHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
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


class UploadLimit:
    """Refuse request bodies over ``max_mb`` with 413, declared or streamed, in the error shape.

    (FastAPI's own ``max_body_size`` answers a declared oversize body in plain text.)
    """

    def __init__(self, app: ASGIApp, max_mb: float) -> None:
        self.app = app
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.message = f"the upload is larger than the limit of {max_mb:g} MB"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, self.message)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                # Raised inside body parsing; FastAPI passes its own HTTPException through.
                raise FastApiHTTPException(413, self.message)
            return message

        await self.app(scope, counted, send)


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

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Any:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); see the server log")
