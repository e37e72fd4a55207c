"""The dashboard in a real browser (Debian's chromium through Playwright).

Each test fails on a console error or a request that leaves 127.0.0.1 (see conftest.py).
Screenshots of every page land in artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from browser_support import Watched, screenshot

from supportkpi.metrics.selector import parse_selector
from supportkpi.report.format import format_value
from supportkpi.web.dashboard.registry import PAGES

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("page", PAGES, ids=[p.slug for p in PAGES])
def test_every_page_loads_cleanly_and_draws_its_charts(web: Watched, page: object) -> None:
    path, slug, title = page.path, page.slug, page.title  # type: ignore[attr-defined]
    web.goto(path)
    assert web.page.locator("h1").inner_text() == title
    assert web.page.locator(".alert.error").count() == 0
    charts = web.page.locator(".vega[data-spec]")
    assert charts.count() > 0
    assert web.page.locator(".vega svg").count() == charts.count()
    assert web.page.locator(".chart-error").count() == 0
    screenshot(web.page, slug)


@pytest.mark.parametrize("path", ["/", "/sla"])
def test_without_a_config_the_pages_load_cleanly_and_name_what_to_add(
    bare_web: Watched, path: str
) -> None:
    # Issue 11: the overview was a 400 with no charts when SLA compliance could not be computed.
    bare_web.goto(path)
    assert bare_web.page.locator(".alert.error").count() == 0
    if path == "/":
        charts = bare_web.page.locator(".vega[data-spec]")
        assert charts.count() > 0
        assert bare_web.page.locator(".vega svg").count() == charts.count()
        text = bare_web.page.locator('[data-kpi="sla_compliance"]').inner_text()
    else:
        text = bare_web.page.locator(".empty").inner_text()
    assert "[[sla]]" in text and "--config FILE" in text


def test_the_overview_fits_a_phone(phone: Watched) -> None:
    phone.goto("/")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # nothing wider than the screen
    screenshot(phone.page, "overview-phone")


def _api_range(web: Watched) -> str:
    start = web.page.input_value("#f-from")
    last = date.fromisoformat(web.page.input_value("#f-to"))
    return f"from={start}&to={(last + timedelta(days=1)).isoformat()}"


@pytest.mark.parametrize("metric", ["ticket_volume", "csat"])
def test_a_filter_changes_a_tile_to_the_apis_number(web: Watched, metric: str) -> None:
    web.goto("/?range=last90")
    tile = web.page.locator(f'[data-kpi="{metric}"] [data-value]')
    before = tile.inner_text()
    web.page.select_option("#f-channel", "email")
    with web.page.expect_navigation():
        web.page.click("button:has-text('Apply')")
    assert "channel=email" in web.page.url and "range=last90" in web.page.url
    after = tile.inner_text()
    answer = web.page.request.get(
        f"{web.base}/api/kpi?metric={metric}&{_api_range(web)}&where=channel=email"
    )
    row = answer.json()["rows"][0]
    sel = parse_selector(metric)
    assert after == format_value(row["value"], sel.metric.unit, sel.stat)
    assert after != before


def test_a_tile_number_opens_the_tickets_behind_it(web: Watched) -> None:
    web.goto("/?range=last30&channel=chat")
    tile = web.page.locator('[data-kpi="ticket_volume"]')
    count = tile.locator("[data-value]").inner_text()
    with web.page.expect_navigation():
        tile.locator("a[data-value]").click()
    assert "/tickets?" in web.page.url and "metric=ticket_volume" in web.page.url
    heading = web.page.locator("#h-rows").inner_text()
    assert heading.startswith(f"{count} rows behind Ticket volume")
    first_page = web.page.locator("#table-rows tbody tr").count()
    assert first_page == min(50, int(count.replace(",", "")))
    assert set(web.page.locator("#table-rows tbody td:nth-child(2)").all_inner_texts()) == {"chat"}
    screenshot(web.page, "tickets")


def test_clicking_a_chart_bar_opens_its_rows(web: Watched) -> None:
    web.goto("/volume?range=last90&grain=month")
    bars = web.page.locator("#volume-chart svg .mark-rect path")
    boxes = [bars.nth(i).bounding_box() for i in range(bars.count())]
    areas = [b["width"] * b["height"] if b else 0.0 for b in boxes]
    bar = bars.nth(areas.index(max(areas)))
    bar.scroll_into_view_if_needed()  # the chart may start below the first screen
    biggest = bar.bounding_box()
    assert biggest is not None
    with web.page.expect_navigation():
        web.page.mouse.click(
            biggest["x"] + biggest["width"] / 2, biggest["y"] + biggest["height"] / 2
        )
    assert "/tickets?" in web.page.url
    assert re.search(r"period=\d{4}-\d{2}-01", web.page.url)
    assert "channel=" in web.page.url
    assert (
        "rows behind Ticket volume in the month starting"
        in web.page.locator("#h-rows").inner_text()
    )


def test_a_table_downloads_as_csv(web: Watched, tmp_path: Path) -> None:
    web.goto("/speed?range=last30&grain=week")
    block = web.page.locator("#table-first_response_time-trend")
    shown = block.locator("tbody tr").count()
    with web.page.expect_download() as download:
        block.locator("a.csv").click()
    saved = tmp_path / "trend.csv"
    download.value.save_as(saved)
    assert download.value.suggested_filename.startswith(
        "supportkpi-speed-first_response_time-trend"
    )
    with saved.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == shown > 0
    first_cell = block.locator("tbody tr").first.locator("td").first.inner_text()
    assert rows[0]["period"] == first_cell
    assert float(rows[0]["first_response_time:median"]) > 0


def test_the_page_can_be_used_from_the_keyboard(web: Watched) -> None:
    web.goto("/")
    web.page.keyboard.press("Tab")
    assert web.page.evaluate("document.activeElement.textContent") == "Skip to content"
    web.page.keyboard.press("Enter")
    assert web.page.evaluate("document.activeElement.id") == "content"
    info = web.page.locator('[data-kpi="csat"] .info-btn')
    info.focus()
    tip = web.page.locator('[data-kpi="csat"] .tip')
    assert tip.is_visible() and "satisfied" in tip.inner_text()
