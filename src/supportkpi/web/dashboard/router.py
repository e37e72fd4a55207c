"""The dashboard's routes: one view per page (HTML, or one of its tables as CSV with
``download=<table id>``), the drill-down, the static files and the login form.

Mount it on the API app with ``app.include_router(dashboard_router)``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import replace
from html import escape
from typing import Annotated, cast

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from supportkpi.errors import SupportKpiError
from supportkpi.web.backoff import refuse_if_blocked
from supportkpi.web.dashboard import access, assets
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.facts import DataFacts, read_facts
from supportkpi.web.dashboard.filters import (
    ALL_DIMENSIONS,
    DashboardFilters,
    parse_filters,
)
from supportkpi.web.dashboard.model import PageView
from supportkpi.web.dashboard.pages import drilldown
from supportkpi.web.dashboard.registry import NAVIGATION, PAGES, Page
from supportkpi.web.dashboard.render import render
from supportkpi.web.dashboard.reports_preview import preview_page
from supportkpi.web.dashboard.source_facts import read_source_facts
from supportkpi.web.errors import internal_error
from supportkpi.web.state import ApiState, Reader, api_state

log = logging.getLogger("supportkpi.web.dashboard")


@asynccontextmanager
async def _warm_up(app: FastAPI) -> AsyncIterator[None]:
    """When the server starts, and again after each load, build the pages' default views in
    the background (and the Vega bundle once), so the first visitors do not wait for them."""
    assets.warm_bundle()
    state = getattr(app.state, "api", None)
    stop = threading.Event()
    worker, warmer = None, None
    if state is not None:
        warmer = Warmer(state, stop)
        worker = threading.Thread(target=warmer, name="warm-dashboard", daemon=True)
        worker.start()
        state.after_load.append(("warm-dashboard", warmer))
    yield
    # Stop between pages and wait: a thread still inside DuckDB when the interpreter exits
    # aborts the process.
    stop.set()
    if state is not None and worker is not None and warmer is not None:
        state.interrupt_all()  # a page half-built is dropped: stopping waits for no query
        worker.join(timeout=30)
        warmer.finished.wait(timeout=30)


class Warmer:
    """Prepares the default views; asked again while it runs, it runs once more after."""

    def __init__(self, state: ApiState, stop: threading.Event) -> None:
        self.state, self.stop = state, stop
        self._guard = threading.Lock()
        self._running = self._again = False
        self.finished = threading.Event()  # set while no warm-up runs
        self.finished.set()

    def __call__(self) -> None:
        with self._guard:
            if self._running:
                self._again = True
                return
            self._running = True
            self.finished.clear()
        try:
            while not self.stop.is_set():
                warm_pages(self.state, self.stop)
                with self._guard:
                    if not self._again:
                        break
                    self._again = False
        finally:
            with self._guard:
                self._running = self._again = False
                self.finished.set()


router = APIRouter(include_in_schema=False, lifespan=_warm_up)
FILTER_KEYS = ("range", "from", "to", "grain", "bh", *ALL_DIMENSIONS)
SECURITY_HEADERS = {
    # Vega compiles its expressions with Function(); every source stays this server.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

Builder = Callable[[PageContext], PageView]


def _page_route(page: Page) -> Callable[[Request], Response]:
    def view(request: Request) -> Response:
        return serve_page(request, page.slug, page.title, page.build)

    view.__name__ = f"dashboard_{page.slug.replace('-', '_')}"
    return view


for _page in NAVIGATION:
    router.add_api_route(_page.path, _page_route(_page), methods=["GET"], response_model=None)


@router.get("/reports/preview/{name}", response_model=None)
def report_preview(request: Request, name: str) -> Response:
    """One schedule's report as its mail shows it, built from this store (sends nothing)."""
    state = api_state(request)
    refused = access.denied(request, state)
    if refused is not None:
        return refused
    body, status = preview_page(request, state, name)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


@router.get("/tickets", response_model=None)
def tickets_page(request: Request) -> Response:
    """The rows behind one KPI value, by page."""
    download = "download" in request.query_params
    return serve_page(
        request,
        "tickets",
        "Rows behind a number",
        lambda ctx: drilldown.build(ctx, download=download),
    )


def warm_pages(state: ApiState, stop: threading.Event | None = None) -> None:
    """Compute every page's default view once, overview first (the answers land in the app's
    cache, so the first visitor of each page does not wait for them); then the overview with
    one value of each filter. A statement is compiled once per shape, and a shape is which
    filters are set, not their values: any value of that filter then finds it compiled."""
    for page in PAGES:
        if stop is not None and stop.is_set():
            return
        _warm(state, page, {})
    if state.reads_elsewhere:
        return  # statements are compiled per query on Spark: nothing to prepare per filter
    try:
        with state.reading() as reader:
            choices = _facts(state, reader).options
    except Exception:  # the pages above said what is wrong, if anything
        return
    overview = PAGES[0]
    for dim, values in choices.items():
        if stop is not None and stop.is_set():
            return
        if values and dim in ALL_DIMENSIONS:
            _warm(state, overview, {dim: values[0][0]})


def _warm(state: ApiState, page: Page, params: Mapping[str, str]) -> None:
    try:
        with state.reading() as reader:
            facts = _facts(state, reader)
            filters = parse_filters(params, facts.last_day, facts.first_day)
            page.build(PageContext(state, reader, filters, facts, page.path))
    except SupportKpiError as exc:  # e.g. no SLA policies: the page says so to its visitor
        log.info("the %s page was not prepared in advance: %s", page.slug, exc)
    except Exception:  # a warm-up never stops the server; the page will say what is wrong
        log.warning("could not prepare the %s page in advance", page.slug, exc_info=True)


def _facts(state: ApiState, reader: Reader) -> DataFacts:
    tz = state.settings.timezone

    def read() -> DataFacts:
        if state.reads_elsewhere:
            return read_source_facts(reader.con.backend, tz)
        return read_facts(reader.store, tz)

    return cast(DataFacts, state.cached(("dashboard-facts", tz), reader, read))


def serve_page(request: Request, slug: str, title: str, build: Builder) -> Response:
    """Parse the filters, build the page, and render it; every failure stays in the page."""
    state = api_state(request)
    refused = access.denied(request, state)
    if refused is not None:
        return refused
    params = {key: value for key, value in request.query_params.items()}
    download = params.pop("download", None)
    extra = {k: v for k, v in params.items() if k not in FILTER_KEYS}
    error, status, view = None, 200, PageView(slug, title)
    filters: DashboardFilters | None = None
    facts: DataFacts | None = None
    try:
        with state.reading() as reader:
            facts = _facts(state, reader)
            filters = parse_filters(params, facts.last_day, facts.first_day)
            warnings = _filter_warnings(state, facts, filters)
            if filters.business_hours and state.settings.business_hours is None:
                filters = _without_business_hours(filters)
            ctx = PageContext(state, reader, filters, facts, request.url.path, extra)
            view = build(ctx)
            view.warnings = warnings + view.warnings
            for index, section in enumerate(view.sections, start=1):
                section.id = section.id or f"section-{index}"
    except SupportKpiError as exc:
        error, status = str(exc), exc.status
    except Exception as exc:  # never a blank page: say what failed, log the rest
        error, status = internal_error(exc, f"dashboard page {request.url.path}"), 500
    if download is not None and error is None:
        return _csv(view, download, slug, filters)
    try:
        body = render(
            "page.html",
            request=request,
            slug=slug,
            view=view,
            error=error,
            filters=filters,
            facts=facts,
            raw=params,
            extra=extra,
            pages=NAVIGATION,
            business_hours_available=state.settings.business_hours is not None,
        )
    except Exception as exc:  # a template bug still answers with a page that says so
        message = internal_error(exc, f"rendering dashboard page {request.url.path}")
        body, status = fallback_page(title, message), 500
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def fallback_page(title: str, message: str) -> str:
    """A bare page for when the templates themselves fail."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f'</title></head><body><h1>{escape(title)}</h1><p role="alert">This page could not '
        f"be shown: {escape(message)}.</p>"
        '<p><a href="/">Back to the overview</a></p></body></html>'
    )


def _csv(view: PageView, table_id: str, slug: str, filters: DashboardFilters | None) -> Response:
    table = view.tables().get(table_id)
    if table is None:
        known = ", ".join(view.tables()) or "none"
        return PlainTextResponse(
            f"this page has no table {table_id!r}; its tables: {known}", status_code=404
        )
    span = f"-{filters.start}-{filters.last_day}" if filters else ""
    name = f"supportkpi-{slug}-{table_id}{span}.csv".replace(":", "-")
    return Response(
        table.to_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _filter_warnings(state: ApiState, facts: DataFacts, filters: DashboardFilters) -> list[str]:
    out = []
    for dim, value in filters.where:
        known = [v for v, _ in facts.options.get(dim, [])]
        if known and value not in known:
            out.append(f"No {dim} {value!r} in the loaded data, so its numbers are empty.")
    if filters.business_hours and state.settings.business_hours is None:
        out.append(
            "Business hours need a [business_hours] schedule in the config (serve --config "
            "FILE); durations are shown in calendar time."
        )
    if facts.has_dates and filters.start > facts.last_day:
        out.append(f"The range starts after the latest data ({facts.last_day.isoformat()}).")
    return out


def _without_business_hours(filters: DashboardFilters) -> DashboardFilters:
    return replace(filters, business_hours=False)


# -- static files --------------------------------------------------------------------------
def _asset_response(request: Request, asset: assets.Asset, max_age: int) -> Response:
    gzip_ok = "gzip" in request.headers.get("accept-encoding", "")
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": f'"{asset.version}"'}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    body = asset.gzipped if gzip_ok else asset.body
    return Response(body, media_type=asset.media_type, headers=headers)


@router.get("/static/vega-bundle.js", response_model=None)
def vega_bundle(request: Request) -> Response:
    """Vega, Vega-Lite and vega-embed from the installed vl-convert-python package."""
    try:
        bundle = assets.vega_bundle()
    except SupportKpiError as exc:
        return PlainTextResponse(str(exc), status_code=exc.status)
    return _asset_response(request, bundle, 86400)


@router.get("/static/{name}", response_model=None)
def own_static(request: Request, name: str) -> Response:
    """The dashboard's own CSS and JavaScript."""
    try:
        asset = assets.own_asset(name)
    except KeyError:
        return PlainTextResponse(f"no static file {name!r}", status_code=404)
    return _asset_response(request, asset, 31536000 if request.query_params.get("v") else 300)


# -- login (only needed off loopback) --------------------------------------------------------
@router.get("/login", response_model=None)
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, access.safe_next(next), None, 200)


@router.post("/login", response_model=None)
def login(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
    form: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    state = api_state(request)
    target = access.safe_next(next)
    if not access.form_token_matches(request, form):
        return _login_page(request, target, "The sign-in form expired; please sign in again.", 403)
    try:
        refuse_if_blocked(request)
    except HTTPException as exc:
        return _login_page(request, target, f"{exc.detail}.", 429, exc.headers)
    if not access.token_role(request, state, token):
        return _login_page(request, target, "That token is not valid.", 401)
    response = RedirectResponse(target, status_code=303)
    access.remember(response, request, token.strip())
    return response


def _login_page(
    request: Request,
    target: str,
    error: str | None,
    status: int,
    headers: Mapping[str, str] | None = None,
) -> Response:
    form = access.form_token(request)
    body = render("login.html", request=request, next=target, error=error, form=form)
    all_headers = {**SECURITY_HEADERS, **(headers or {})}
    response = HTMLResponse(body, status_code=status, headers=all_headers)
    access.remember_form(response, request, form)
    return response


@router.get("/logout", response_model=None)
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(access.COOKIE, path="/")
    return response
