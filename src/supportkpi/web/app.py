"""The FastAPI app factory: the state, the error handlers, the routes and the dashboard.

>>> app = create_app("demo.duckdb")          # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import atexit
import logging
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from supportkpi import __version__
from supportkpi.config import load_settings
from supportkpi.errors import InputError, SupportKpiError
from supportkpi.store import Store
from supportkpi.web import routes_data, routes_forecast, routes_kpi, routes_meta, routes_ops
from supportkpi.web.backoff import TokenBackoff
from supportkpi.web.dashboard import mount_dashboard
from supportkpi.web.errors import UnexpectedErrors, install_error_handlers
from supportkpi.web.limits import BodyTimeout, UploadLimit
from supportkpi.web.openapi import install_openapi
from supportkpi.web.security import RequestGuard, allowed_hosts
from supportkpi.web.state import (
    REQUEST_BUDGET_SECONDS,
    SPARK_REQUEST_BUDGET_SECONDS,
    ApiState,
    tokens_required,
)

LOG = logging.getLogger("supportkpi.web")


def create_app(
    db_path: str | Path,
    host: str = "127.0.0.1",
    config: str | Path | None = None,
    max_upload_mb: float = 50,
    allowed_host_names: Sequence[str] = (),
    budget_s: float | None = None,
    require_tokens: bool = False,
    engine: str = "duckdb",
    state_db: str | Path | None = None,
) -> FastAPI:
    """The HTTP API and the dashboard over the store at ``db_path``.

    With ``engine="pyspark"``, ``db_path`` is a Spark source (a folder, a lake URI or
    ``spark:catalog.schema``) that the server reads and never writes; the server's own state
    (tokens, report runs) is kept in the store ``state_db``, a temporary one when None.

    Tokens are required unless ``host`` and ``allowed_host_names`` are all loopback (and
    ``require_tokens`` is not set). The server answers the Host
    names of ``host`` and ``allowed_host_names`` (web/security.py); a request reads the
    store for at most ``budget_s`` seconds (30, or 900 on Spark, when None).
    """
    source: str | None = None
    if engine != "duckdb":
        source, db_path = str(db_path), state_db or scratch_store()
    if not Path(db_path).is_file():
        raise InputError(
            f"database {db_path} does not exist; create it with `supportkpi demo` "
            "or `supportkpi ingest`"
        )
    if max_upload_mb <= 0:
        raise InputError(f"the upload limit must be positive, got {max_upload_mb} MB")
    if budget_s is None:
        budget_s = REQUEST_BUDGET_SECONDS if engine == "duckdb" else SPARK_REQUEST_BUDGET_SECONDS
    if budget_s <= 0:
        raise InputError(f"the request time budget must be positive, got {budget_s} s")
    open_access = not tokens_required(host, allowed_host_names, require_tokens)
    state = ApiState(
        db_path, load_settings(config), open_access, budget_s, source=source, engine=engine
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_watching = state.watch_for_loads()
        threading.Thread(target=_store_missing_facts, args=(state,), daemon=True).start()
        yield
        stop_watching()
        state.interrupt_all()
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
    app.state.token_backoff = TokenBackoff()
    install_error_handlers(app)
    install_openapi(app)
    # Added innermost first: a request meets the guard, then the error net, then the limits.
    app.add_middleware(UploadLimit, max_mb=max_upload_mb)
    app.add_middleware(BodyTimeout)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestGuard, hosts=allowed_hosts(host, allowed_host_names))
    for module in (routes_meta, routes_kpi, routes_data, routes_ops, routes_forecast):
        app.include_router(module.router)
    mount_dashboard(app)
    return app


def scratch_store() -> Path:
    """An empty store in a temporary folder (removed at exit): the state of a server whose
    KPIs come from elsewhere and that was given no store of its own."""
    folder = Path(tempfile.mkdtemp(prefix="supportkpi-serve-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "server.duckdb"
    Store(path).close()
    return path


def _store_missing_facts(state: ApiState) -> None:
    """In the background at start: a failure only means the queries compute the facts."""
    try:
        stored = state.store_missing_facts()
    except SupportKpiError as exc:
        LOG.warning("could not store the facts of this server's options: %s", exc)
    else:
        if stored:
            LOG.info("stored the facts of %d configuration(s) this server's options need", stored)
