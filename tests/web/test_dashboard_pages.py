"""Dashboard pages rendered on the server (TestClient) over a small demo store.

Numbers are checked against independent answers: ticket counts straight from DuckDB with the
local-time bounds worked out here, and the API's own `/api/kpi` rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from fastapi.testclient import TestClient

from supportkpi import demo
from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.store import Store
from supportkpi.web import create_app
from supportkpi.web.dashboard import mount_dashboard
from supportkpi.web.dashboard.registry import PAGES

CONFIG = Path(__file__).parents[2] / "examples" / "config" / "supportkpi.toml"
BERLIN = ZoneInfo("Europe/Berlin")  # the example config's timezone
OCTOBER = "range=custom&from=2026-10-01&to=2026-10-31"  # inclusive dates on the dashboard
OCTOBER_API = "from=2026-10-01&to=2026-11-01"  # the API's `to` is exclusive
DIMENSION_PARAMETER = r"[?&](channel|team|agent|priority|segment|sla_policy|sla_target|queue)="


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("dashboard") / "demo.duckdb"
    with Store(path) as store:
        demo.generate(store, tickets=2_000, seed=11)
    return str(path)


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    app = create_app(db, config=CONFIG)
    mount_dashboard(app)
    yield TestClient(app, base_url="http://127.0.0.1")


def tile_text(html: str, selector: str) -> str:
    """The shown value of the tile of ``selector``."""
    found = re.search(
        rf'data-kpi="{re.escape(selector)}".*?data-value[^>]*>([^<]+)<', html, re.DOTALL
    )
    assert found, f"no tile {selector}"
    return found.group(1).strip()


def alerts(html: str) -> list[str]:
    """The text of the page's error boxes."""
    found = re.findall(r'role="alert">(.*?)</div>', html, re.DOTALL)
    return [unescape(re.sub(r"<[^>]+>", "", a)).strip() for a in found]


def api_value(client: TestClient, metric: str, query: str) -> dict[str, Any]:
    answer = client.get(f"/api/kpi?metric={metric}&{query}")
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


def tickets_created(db: str, start: str, end: str, channel: str | None = None) -> int:
    """Tickets created in the local (Berlin) days [start, end), counted straight in DuckDB."""
    lo = datetime.fromisoformat(start).replace(tzinfo=BERLIN)
    hi = datetime.fromisoformat(end).replace(tzinfo=BERLIN)
    sql = "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?"
    params: list[Any] = [lo, hi]
    if channel:
        sql += " AND channel = ?"
        params.append(channel)
    with duckdb.connect(db, read_only=True) as con:
        row = con.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("page", PAGES, ids=[p.slug for p in PAGES])
def test_every_page_renders_with_charts_and_tables(client: TestClient, page: Any) -> None:
    answer = client.get(page.path)
    assert answer.status_code == 200
    html = answer.text
    assert f"<h1>{page.title}</h1>" in html
    assert alerts(html) == []
    assert 'class="vega"' in html and 'type="application/json"' in html
    assert 'class="table-block"' in html and "Download CSV" in html
    assert 'aria-current="page"' in html
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids must be unique (labels and links use them)"
    # Everything the page loads comes from this server.
    assert re.findall(r'(?:src|href|action)="(?!/|#|data:)[^"]*"', html) == []


def test_the_volume_tile_counts_the_tickets_and_follows_the_channel_filter(
    client: TestClient, db: str
) -> None:
    everything = client.get(f"/?{OCTOBER}").text
    email = client.get(f"/?{OCTOBER}&channel=email").text
    all_count = tickets_created(db, "2026-10-01", "2026-11-01")
    email_count = tickets_created(db, "2026-10-01", "2026-11-01", "email")
    assert 0 < email_count < all_count
    assert tile_text(everything, "ticket_volume") == f"{all_count:,}"
    assert tile_text(email, "ticket_volume") == f"{email_count:,}"


@pytest.mark.parametrize("metric", ["csat", "first_response_time:median", "fcr_rate", "backlog"])
def test_tiles_show_the_apis_numbers(client: TestClient, metric: str) -> None:
    html = client.get(f"/?{OCTOBER}&channel=chat").text
    row = api_value(client, metric, f"{OCTOBER_API}&where=channel=chat")
    sel = parse_selector(metric)
    assert tile_text(html, sel.label) == format_value(row["value"], sel.metric.unit, sel.stat)


def test_a_metric_that_cannot_take_a_filter_says_so(client: TestClient) -> None:
    html = client.get(f"/contact-centre?{OCTOBER}&channel=email").text
    assert "Not available by channel" in html
    assert alerts(html) == []


def test_an_invalid_filter_is_an_error_in_the_page(client: TestClient) -> None:
    answer = client.get("/speed?from=2026-02-30")
    assert answer.status_code == 400
    assert alerts(answer.text) == [
        "Cannot show this view: invalid 'from' date '2026-02-30'; use YYYY-MM-DD"
    ]
    assert 'aria-current="page"' in answer.text and 'class="filters"' in answer.text
    bad_grain = client.get("/?grain=fortnight")
    assert bad_grain.status_code == 400 and "unknown grain 'fortnight'" in unescape(bad_grain.text)
    no_metric = client.get("/tickets")
    assert no_metric.status_code == 400
    assert "name the KPI whose rows to list" in unescape(no_metric.text)
    unknown = client.get("/tickets?metric=happiness")
    assert unknown.status_code == 404 and "unknown metric 'happiness'" in unescape(unknown.text)


def test_an_unknown_filter_value_warns(client: TestClient) -> None:
    html = client.get(f"/volume?{OCTOBER}&channel=pigeon").text
    assert "No channel 'pigeon' in the loaded data" in unescape(html)
    assert tile_text(html, "ticket_volume") == "–"  # n = 0: no value (SPEC §6)
    assert "n = 0" in html


def test_a_table_downloads_as_csv_with_the_apis_numbers(client: TestClient) -> None:
    answer = client.get(f"/speed?{OCTOBER}&grain=week&download=first_response_time-trend")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    api = client.get(f"/api/kpi?metric=first_response_time:median&{OCTOBER_API}&grain=week").json()[
        "rows"
    ]
    expected = {r["period"]: r["value"] for r in api if r["n"]}
    assert {r["period"]: float(r["first_response_time:median"]) for r in rows} == expected
    assert client.get("/speed?download=nothing").status_code == 404


def test_a_number_opens_the_rows_behind_it(client: TestClient, db: str) -> None:
    html = client.get(f"/?{OCTOBER}&channel=email").text
    link = re.search(r'data-kpi="ticket_volume".*?<a href="([^"]+)" data-value', html, re.DOTALL)
    assert link
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/tickets?") and "metric=ticket_volume" in url
    rows_page = client.get(url)
    assert rows_page.status_code == 200
    count = tickets_created(db, "2026-10-01", "2026-11-01", "email")
    assert f"{count:,} rows behind Ticket volume" in rows_page.text
    body = rows_page.text.split("<tbody>")[1].split("</tbody>")[0]
    assert body.count("<tr>") == min(50, count)
    assert body.count(">email<") == min(50, count)
    download = client.get(url + "&download=rows")
    assert len(list(csv.DictReader(io.StringIO(download.text)))) == count


def test_a_chart_bar_drills_to_its_period_and_channel(client: TestClient, db: str) -> None:
    html = client.get(f"/volume?{OCTOBER}&grain=month").text
    spec = re.search(r'id="spec-volume-chart">(.*?)</script>', html, re.DOTALL)
    assert spec
    data = json.loads(spec.group(1))["data"]["values"]
    chat = next(d for d in data if d["series"] == "chat" and d["period"] == "2026-10-01")
    assert chat["y"] == tickets_created(db, "2026-10-01", "2026-11-01", "chat")
    page = client.get(chat["drill"])
    assert (
        f"{int(chat['y']):,} rows behind Ticket volume in the month starting 2026-10-01"
        in page.text
    )


def test_every_kind_of_drill_link_opens(client: TestClient) -> None:
    """One link per metric, period or not, and set of dimensions, from every page."""
    links: dict[tuple[str, bool, tuple[str, ...]], str] = {}
    for page in PAGES:
        for href in re.findall(r'href="(/tickets\?[^"]+)"', client.get(page.path).text):
            url = unescape(href)
            metric = re.search(r"metric=([^&]+)", url)
            assert metric
            dims = tuple(sorted(re.findall(DIMENSION_PARAMETER, url)))
            links.setdefault((metric.group(1), "period=" in url, dims), url)
    assert len(links) > 40
    for url in links.values():
        answer = client.get(url)
        assert answer.status_code == 200, (url, alerts(answer.text))
        assert "rows behind" in answer.text


def test_specs_never_hold_nan(client: TestClient) -> None:
    for spec in re.findall(
        r'type="application/json"[^>]*>(.*?)</script>', client.get("/quality").text, re.DOTALL
    ):
        json.loads(spec)  # strict JSON: NaN would not parse
        assert "NaN" not in spec


def test_the_erlang_calculator_answers_in_the_page(client: TestClient) -> None:
    """1 Erlang (10 calls × 360 s in 60 min), 80% in 20 s. By hand: 2 agents give
    P(wait) = 1/3 and SL = 1 − e^(−20/360)/3 = 68.5% (too few); 3 agents give
    P(wait) = 0.25 / 2.75 = 9.1%, SL = 1 − 0.0909·e^(−40/360) = 91.9%, ASA = 0.0909·360/2
    = 16 s, occupancy 1/3; with 25% shrinkage, ceil(3 / 0.75) = 4 to schedule."""
    form = "erlang=1&calls=10&interval_min=60&aht_s=360&target_sl=80&target_s=20&shrinkage=25"
    html = unescape(client.get(f"/contact-centre?{OCTOBER}&{form}").text)
    results = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert results["Agents on the phones"] == "3"
    assert results["Agents to schedule"] == "4"
    assert results["Probability of waiting"] == "9.1%"
    assert results["Service level"] == "91.9%"
    assert results["Average speed of answer"] == "16s"
    assert results["Occupancy"] == "33.3%"
    wrong = unescape(client.get(f"/contact-centre?{OCTOBER}&erlang=1&calls=ten").text)
    assert "'Calls in the interval' must be a number, got 'ten'" in wrong
    assert "Calls offered" in wrong  # the rest of the page is still there
