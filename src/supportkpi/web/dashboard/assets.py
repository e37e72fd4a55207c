"""The dashboard's static files: its own CSS and JavaScript (package files) and the Vega bundle,
built once per process from the installed ``vl-convert-python`` package and kept in memory —
nothing is fetched from the internet and no third-party JavaScript lives in the repository.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

from supportkpi.errors import UnsupportedError

OWN_FILES = {"dashboard.css": "text/css", "dashboard.js": "text/javascript"}
#: What the bundle exposes to ``dashboard.js`` (the names vl-convert gives the libraries).
BUNDLE_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@dataclass(frozen=True)
class Asset:
    """A file's bytes, their gzip form and a short content hash (for cache busting)."""

    body: bytes
    gzipped: bytes
    media_type: str
    version: str


def _asset(body: bytes, media_type: str) -> Asset:
    digest = hashlib.sha256(body).hexdigest()[:12]
    return Asset(body, gzip.compress(body, compresslevel=6, mtime=0), media_type, digest)


@cache
def own_asset(name: str) -> Asset:
    """One of the dashboard's own static files."""
    if name not in OWN_FILES:
        raise KeyError(name)
    body = resources.files("supportkpi.web.dashboard").joinpath("static", name).read_bytes()
    return _asset(body, OWN_FILES[name])


_bundle_lock = threading.Lock()
_bundle: Asset | None = None


def vega_bundle() -> Asset:
    """Vega, Vega-Lite and vega-embed as one script (built on first use, ~1 s, then cached)."""
    global _bundle
    with _bundle_lock:
        if _bundle is None:
            try:
                import vl_convert
            except ImportError:
                raise UnsupportedError(
                    "the dashboard's charts need the vl-convert-python package"
                ) from None
            script = vl_convert.javascript_bundle(BUNDLE_SNIPPET)
            _bundle = _asset(script.encode(), "text/javascript")
        return _bundle


def warm_bundle() -> None:
    """Build the bundle in the background so the first page view does not wait for it."""
    threading.Thread(target=_quiet_bundle, name="vega-bundle", daemon=True).start()


def _quiet_bundle() -> None:
    with contextlib.suppress(UnsupportedError):  # reported when a page asks for it
        vega_bundle()
