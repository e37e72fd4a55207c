"""Bounds on what one request may send: its body's size and how long the body takes."""

from __future__ import annotations

import asyncio
import os

from fastapi import HTTPException as FastApiHTTPException
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportkpi.web.errors import error_response

#: Seconds between two parts of a request body before the request is given up (408): a
#: client that stops sending would otherwise hold a connection and a worker for ever.
#: ``SUPPORTKPI_BODY_TIMEOUT`` changes it (a slow link uploading large files).
BODY_TIMEOUT_SECONDS = 15.0


def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``, or ``default``."""
    try:
        seconds = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return seconds if seconds > 0 else default


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


class BodyTimeout:
    """Answer 408 when a request body stalls for ``seconds`` between two parts."""

    def __init__(self, app: ASGIApp, seconds: float | None = None) -> None:
        self.app = app
        if seconds is None:
            seconds = seconds_from_env("SUPPORTKPI_BODY_TIMEOUT", BODY_TIMEOUT_SECONDS)
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        body_done = False

        async def timed() -> Message:
            nonlocal body_done
            if body_done:  # afterwards receive() only waits for the disconnect: no limit
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.seconds)
            except TimeoutError:
                raise FastApiHTTPException(
                    408, f"the request body stalled for {self.seconds:g} s; send it again"
                ) from None
            body_done = message["type"] != "http.request" or not message.get("more_body")
            return message

        await self.app(scope, timed, send)
