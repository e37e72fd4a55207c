"""``/api/health``, ``/api/metrics`` and the API's own description (``/openapi.json``, ``/docs``).

``/docs`` is rendered here from the OpenAPI document instead of FastAPI's Swagger UI, which
loads its JavaScript from a CDN: the server must work with no internet.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse

from supportkpi import __version__
from supportkpi.metrics.registry import all_metrics
from supportkpi.web.auth import requires

router = APIRouter()
viewer = [Depends(requires("viewer"))]


@router.get("/api/health", tags=["meta"])
async def health() -> dict[str, Any]:
    """Liveness: always open, and says nothing about the data."""
    # async: answered on the event loop itself, not queued behind the KPI requests that fill
    # the thread pool under load.
    return {"ok": True, "version": __version__}


@router.get("/api/metrics", tags=["meta"], dependencies=viewer)
def metrics() -> dict[str, Any]:
    """The KPI catalogue with exact definitions (as `supportkpi metrics --json`)."""
    return {"metrics": [m.describe() for m in all_metrics()]}


@router.get("/openapi.json", include_in_schema=False, dependencies=viewer)
def openapi(request: Request) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False, dependencies=viewer)
def docs(request: Request) -> HTMLResponse:
    """Every route with its parameters, as plain HTML."""
    spec = request.app.openapi()
    sections = [
        _operation_html(path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
    ]
    page = _PAGE.format(version=escape(__version__), body="\n".join(sections))
    # Its one inline stylesheet is all it loads (the default policy would drop it).
    policy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def _operation_html(path: str, method: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'yes' if p.get('required') else ''}</td>"
        f"<td>{escape(p.get('description', ''))}</td></tr>"
        for p in op.get("parameters", [])
    )
    table = (
        "<table><tr><th>parameter</th><th>in</th><th>required</th><th>meaning</th></tr>"
        f"{rows}</table>"
        if rows
        else ""
    )
    body = "<p>Multipart upload.</p>" if "requestBody" in op else ""
    text = escape(op.get("description") or op.get("summary", ""))
    return (
        f"<section><h2><code>{method.upper()} {escape(path)}</code></h2>"
        f"<p>{text}</p>{body}{table}</section>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>supportkpi API</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1a1a1a; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: .25rem .5rem;
       text-align: left; vertical-align: top; }}
h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
</style></head>
<body><h1>supportkpi API {version}</h1>
<p>Every error is <code>{{"ok": false, "error": "…", "status": N}}</code>. Off loopback,
send <code>Authorization: Bearer &lt;token&gt;</code>. The machine-readable description is at
<a href="/openapi.json">/openapi.json</a>.</p>
{body}
</body></html>
"""
