"""The FastAPI app: one core object (:class:`ApiState`) over the store, thin route modules.

>>> app = create_app("demo.duckdb")          # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)

Reads share a pool of read-only connections; an ingest takes the store alone (DuckDB cannot
mix read-only and read-write connections to one file in a process), closes the pool, writes,
and lets the next reads reopen. KPI answers are cached per query and the store's last load id,
so repeated overview calls cost nothing until new data arrives.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, Request
from fastapi import HTTPException as FastApiHTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from supportkpi import __version__
from supportkpi.api import Connection
from supportkpi.config import Settings, load_settings
from supportkpi.errors import InputError, SupportKpiError
from supportkpi.store import Store

log = logging.getLogger("supportkpi.web")
KPI_CACHE_SIZE = 512
#: Answers also expire: running SLA targets and open backlog age with the clock, not the data.
KPI_CACHE_SECONDS = 300.0
LOOPBACK_NAMES = ("localhost",)


@dataclass
class Reader:
    """One pooled pair of read-only handles on the store: the KPI connection and raw access."""

    con: Connection
    store: Store

    def close(self) -> None:
        self.con.close()
        self.store.close()


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers so it cannot starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class ApiState:
    """The one object behind every route: the store, its settings, access control, the cache."""

    def __init__(self, db_path: str | Path, host: str, settings: Settings) -> None:
        self.db_path = str(db_path)
        self.settings = settings
        self.open_access = is_loopback(host)
        self._lock = ReadWriteLock()
        self._pool: list[Reader] = []
        self._pool_lock = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._cache_lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read-only handle for one request; many may be out at once."""
        with self._lock.read():
            with self._pool_lock:
                reader = self._pool.pop() if self._pool else None
            if reader is None:
                reader = self._open_reader()
            try:
                yield reader
            finally:
                with self._pool_lock:
                    self._pool.append(reader)

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """The store opened for writing, with every reader closed; one writer at a time."""
        with self._lock.write():
            with self._pool_lock:
                readers, self._pool = self._pool, []
            for reader in readers:
                reader.close()
            with Store(self.db_path) as store:
                yield store
            with self._cache_lock:
                self._cache.clear()

    def cached(self, key: Hashable, reader: Reader, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` and load of the store (its last load id)."""
        full_key = (key, reader.store.next_load_id())
        now = time.monotonic()
        with self._cache_lock:
            hit = self._cache.get(full_key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(full_key)
                return hit[1]
        value = compute()
        with self._cache_lock:
            self._cache[full_key] = (now + KPI_CACHE_SECONDS, value)
            while len(self._cache) > KPI_CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def close(self) -> None:
        with self._pool_lock:
            readers, self._pool = self._pool, []
        for reader in readers:
            reader.close()

    def _open_reader(self) -> Reader:
        store = Store(self.db_path, read_only=True)
        try:
            con = Connection(self.db_path, config=self.settings)
        except BaseException:
            store.close()
            raise
        return Reader(con, store)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_state(request: Request) -> ApiState:
    """The core object of the app serving ``request`` (a FastAPI dependency)."""
    state: ApiState = request.app.state.api
    return state


# -- rendering ---------------------------------------------------------------------------------
def plain(value: Any) -> Any:
    """A JSON-ready copy of ``value``: no numpy types, NaN or infinity (null), ISO instants."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp | datetime | date):
        return None if pd.isna(value) else value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return plain(value.item())
    return str(value)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a frame as JSON-ready dicts."""
    return [plain(record) for record in frame.to_dict(orient="records")]


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


def create_app(
    db_path: str | Path,
    host: str = "127.0.0.1",
    config: str | Path | None = None,
    max_upload_mb: float = 50,
) -> FastAPI:
    """The HTTP API and the dashboard over the store at ``db_path``.

    Tokens are required unless ``host`` is a loopback address.
    """
    from supportkpi.web import routes_data, routes_kpi, routes_meta, routes_ops
    from supportkpi.web.dashboard import mount_dashboard

    if not Path(db_path).is_file():
        raise InputError(
            f"database {db_path} does not exist; create it with `supportkpi demo` "
            "or `supportkpi ingest`"
        )
    if max_upload_mb <= 0:
        raise InputError(f"the upload limit must be positive, got {max_upload_mb} MB")
    state = ApiState(db_path, host, load_settings(config))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()  # the pooled read-only handles, so the file is free for writers

    app = FastAPI(
        title="supportkpi",
        version=__version__,
        description="Customer-service KPIs with exact definitions (SPEC §6).",
        docs_url=None,  # served by routes_meta without a CDN
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.api = state
    install_error_handlers(app)
    app.add_middleware(UploadLimit, max_mb=max_upload_mb)
    for module in (routes_meta, routes_kpi, routes_data, routes_ops):
        app.include_router(module.router)
    mount_dashboard(app)
    return app
