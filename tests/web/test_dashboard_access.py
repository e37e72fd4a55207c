"""The dashboard around its numbers: empty stores, static files, sign-in off loopback, and a
business-hours toggle without a schedule."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from supportkpi.store import Store
from supportkpi.web import create_app, create_token
from supportkpi.web.dashboard import mount_dashboard
from supportkpi.web.dashboard.registry import PAGES


def _client(db: str, host: str = "127.0.0.1") -> TestClient:
    app = create_app(db, host=host)
    mount_dashboard(app)
    return TestClient(app, follow_redirects=False, base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("empty") / "empty.duckdb"
    Store(path).close()  # the canonical tables, with no rows
    return str(path)


@pytest.mark.parametrize("page", PAGES, ids=[p.slug for p in PAGES])
def test_an_empty_store_says_what_to_load(empty_db: str, page: object) -> None:
    answer = _client(empty_db).get(page.path)  # type: ignore[attr-defined]
    assert answer.status_code == 200
    html = unescape(answer.text)
    assert 'role="alert"' not in html
    needed = {
        "contact-centre": ("No calls loaded", "calls"),
        "staffing": ("No calls loaded", "calls"),  # the plan starts from offered calls
        "quality": ("No survey responses loaded", "surveys"),
        "customers": ("No customers loaded", "customers"),
        "self-service": ("No knowledge-base sessions loaded", "kb_sessions"),
    }.get(page.slug, ("No tickets loaded", "tickets"))  # type: ignore[attr-defined]
    message, table = needed
    assert message in html
    assert f"supportkpi ingest {table} FILE --db {empty_db}" in html


def test_the_vega_bundle_is_served_from_the_installed_package(empty_db: str) -> None:
    client = _client(empty_db)
    plain = client.get("/static/vega-bundle.js", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/javascript")
    assert "window.vegaEmbed" in plain.text and len(plain.content) > 100_000
    zipped = client.get("/static/vega-bundle.js", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    etag = plain.headers["etag"]
    again = client.get("/static/vega-bundle.js", headers={"if-none-match": etag})
    assert again.status_code == 304
    page = client.get("/").text
    css = re.search(r'href="(/static/dashboard\.css\?v=[0-9a-f]+)"', page)
    assert css and client.get(css.group(1)).status_code == 200
    assert client.get("/static/secrets.txt").status_code == 404
    assert zipped.content == plain.content  # the client unzipped it


def test_off_loopback_the_dashboard_asks_for_a_token(tmp_path: Path) -> None:
    db = str(tmp_path / "guarded.duckdb")
    with Store(db) as store:
        token = create_token(store, "viewer")
    client = _client(db, host="0.0.0.0")
    first = client.get("/speed?range=last7")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fspeed%3Frange%3Dlast7"
    form = client.get("/login?next=/speed")
    assert form.status_code == 200 and 'name="token"' in form.text
    form_token = re.search(r'name="form" value="([^"]+)"', form.text)
    assert form_token
    fields = {"form": form_token.group(1)}
    wrong = client.post("/login", data={"token": "skpi_nope_nope", "next": "/speed", **fields})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    right = client.post("/login", data={"token": token, "next": "//evil.example/", **fields})
    assert right.status_code == 303 and right.headers["location"] == "/"
    cookie = right.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get("/speed").status_code == 200  # the cookie is kept by the client
    bearer = _client(db, host="0.0.0.0")
    assert bearer.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert bearer.get("/static/dashboard.css").status_code == 200  # styles need no token


def test_business_hours_without_a_schedule_fall_back_with_a_warning(empty_db: str) -> None:
    html = unescape(_client(empty_db).get("/speed?bh=1").text)
    assert "Business hours need a [business_hours] schedule" in html
    assert 'id="f-bh" type="checkbox" name="bh" value="1" disabled' in html
