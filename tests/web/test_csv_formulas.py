"""Every CSV download of the dashboard neutralises formulas that arrive in the data (issue 19).

The store is the demo data set with a hostile text in front of each text value (team,
channel, queue, segment, country, agent names, subjects, tags, comments, articles, cost
categories), in the load log's file names and in a quarantined row: the spreadsheet formulas
here, and the markup that ``test_stored_xss`` looks for. The pages, drill-downs and
downloads are found the way a visitor finds them, by following links from every page, so a
table added later is covered without editing a list.

The site is built and crawled once per test session and shared with ``test_stored_xss``:
the crawl is the slow part (each page computes its KPIs), and both read the same answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from supportkpi import demo
from supportkpi.ingest import ingest_file
from supportkpi.store import Store
from supportkpi.store.store import LoadSummary
from supportkpi.web import create_app
from supportkpi.web.dashboard import mount_dashboard
from supportkpi.web.dashboard.model import Column, Table
from supportkpi.web.dashboard.registry import PAGES

CONFIG = Path(__file__).parents[2] / "examples" / "config" / "supportkpi.toml"
FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tX", "\rX")
MARKUP = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
)
PAYLOADS = FORMULAS + MARKUP
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Text columns of the canonical tables that the pages and their CSVs show.
POISONED = (
    "team", "channel", "queue", "segment", "country", "category", "name", "subject", "tags",
    "comment", "article_id",
)  # fmt: skip
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
#: Fewer would mean the crawl lost its way (today: 25 on the pages, about 40 drill-downs).
MIN_DOWNLOADS = 50


def hostile_values(tables: dict[str, pa.Table]) -> dict[str, dict[str, str]]:
    """For each :data:`POISONED` column, every value → that value behind a payload.

    A value maps the same way in every table (a team of the agents is the team of their
    tickets). The payloads take turns over the sorted values, from a different start in
    each column, so a column with three values (teams) still carries markup and formulas.
    """
    values: dict[str, set[str]] = {}
    for table in tables.values():
        for name in set(POISONED) & set(table.column_names):
            column = table[name].to_pylist()
            flat = [v for items in column if items for v in items] if name == "tags" else column
            values.setdefault(name, set()).update(v for v in flat if v is not None)
    return {
        name: {
            v: f"{PAYLOADS[(i + 3 * POISONED.index(name)) % len(PAYLOADS)]} {v}"
            for i, v in enumerate(sorted(found))
        }
        for name, found in values.items()
    }


def poisoned(table: pa.Table, mapping: dict[str, dict[str, str]]) -> pa.Table:
    """``table`` with the values of ``mapping``'s columns replaced (tags item by item)."""
    for name in set(mapping) & set(table.column_names):
        to = mapping[name]
        column = table[name].to_pylist()
        new: list[Any]
        if name == "tags":
            new = [None if items is None else [to[v] for v in items] for items in column]
        else:
            new = [None if v is None else to[v] for v in column]
        spec = table.schema.field(name)
        table = table.set_column(table.column_names.index(name), spec, pa.array(new, spec.type))
    return table


def hostile_store(path: Path) -> dict[str, dict[str, str]]:
    """A demo store whose text carries :data:`PAYLOADS`; returns the values it changed."""
    tables = demo.build_tables(tickets=200, seed=3)
    mapping = hostile_values(tables)
    with Store(path) as store:
        with store.transaction():
            for index, (name, table) in enumerate(tables.items()):
                rows = poisoned(table, mapping)
                inserted, updated, unchanged = store.upsert(name, rows)
                file = f"{PAYLOADS[index % len(PAYLOADS)]}.parquet"
                summary = LoadSummary(name, rows.num_rows, inserted, updated, unchanged, file=file)
                store.log_load(store.next_load_id(), summary, "hostile")
        # Customer rows with an unreadable date land in the quarantine, payloads and all.
        rejected = path.parent / "rejected.csv"
        with rejected.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows([["customer_id", "created_at"], FORMULAS[:2], MARKUP[:2]])
        ingest_file(store, "customers", rejected)
    return mapping


def links(html: str) -> list[str]:
    """Every same-site link of a page: its hrefs, and the drill-downs in its chart specs."""
    found = [unescape(href) for href in re.findall(r'href="(/[^"]*)"', html)]
    for text in spec_texts(html):
        try:
            found += drills_in(json.loads(text))
        except json.JSONDecodeError:  # test_stored_xss says which spec broke; crawl on
            continue
    return found


def spec_texts(html: str) -> list[str]:
    """The JSON texts of the Vega-Lite specs a page embeds."""
    return re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)


def drills_in(spec: Any) -> Iterator[str]:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "drill" and isinstance(value, str):
                yield value
            else:
                yield from drills_in(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from drills_in(item)


def is_download(url: str) -> bool:
    return "download" in parse_qs(urlsplit(url).query)


def one_drill_per_metric(urls: set[str]) -> list[str]:
    """The simplest drill-down link of each KPI (shortest first: fewest filters)."""
    chosen: dict[str, str] = {}
    for url in sorted(urls, key=lambda u: (len(u), u)):
        chosen.setdefault(parse_qs(urlsplit(url).query).get("metric", [""])[0], url)
    return list(chosen.values())


@dataclass(frozen=True)
class Answer:
    """What the server answered to one GET."""

    status: int
    content_type: str
    text: str


@dataclass
class HostileSite:
    """The dashboard over the hostile store, and what a crawl of it answered, by URL."""

    client: TestClient
    values: dict[str, dict[str, str]]
    pages: dict[str, Answer] = field(default_factory=dict)
    #: Every drill-down link the pages offer; ``drills`` holds one answer per KPI.
    drill_links: set[str] = field(default_factory=set)
    drills: dict[str, Answer] = field(default_factory=dict)
    downloads: dict[str, Answer] = field(default_factory=dict)

    def get(self, url: str) -> Answer:
        answer = self.client.get(url)
        return Answer(answer.status_code, answer.headers.get("content-type", ""), answer.text)


_SITE: list[HostileSite] = []  # built by the first module that asks, once per session


def hostile_site(factory: pytest.TempPathFactory) -> HostileSite:
    """The crawled site: every page, a drill-down per KPI they link, every CSV offered."""
    if _SITE:
        return _SITE[0]
    path = factory.mktemp("hostile") / "hostile.duckdb"
    values = hostile_store(path)
    app = create_app(path, config=CONFIG)
    mount_dashboard(app)
    # A loopback name: the server refuses Host names it is not bound to (DNS rebinding).
    site = HostileSite(TestClient(app, base_url="http://127.0.0.1"), values)
    offered: set[str] = set()
    for page in PAGES:
        site.pages[page.path] = answer = site.get(page.path)
        for url in links(answer.text):
            if is_download(url):
                offered.add(url)
            elif urlsplit(url).path == "/tickets":
                site.drill_links.add(url)
    for url in one_drill_per_metric(site.drill_links):
        site.drills[url] = answer = site.get(url)
        offered.update(u for u in links(answer.text) if is_download(u))
    for url in sorted(offered):
        site.downloads[url] = site.get(url)
    _SITE.append(site)
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    return hostile_site(tmp_path_factory)


@pytest.fixture(scope="module")
def downloads(site: HostileSite) -> dict[str, str]:
    """Every CSV the pages and their drill-downs offer, by URL."""
    return {url: answer.text for url, answer in site.downloads.items()}


def cells(text: str) -> Iterator[str]:
    yield from (cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row)


def test_the_crawl_finds_the_downloads_of_every_page_and_the_drill_downs(
    site: HostileSite,
) -> None:
    assert len(site.downloads) >= MIN_DOWNLOADS
    for url, answer in site.downloads.items():
        assert answer.status == 200, url
        assert answer.content_type.startswith("text/csv"), url
    paths = {urlsplit(url).path for url in site.downloads}
    assert {page.path for page in PAGES} | {"/tickets"} <= paths


def test_no_cell_of_any_download_starts_a_formula(downloads: dict[str, str]) -> None:
    live = [
        (url, cell)
        for url, text in downloads.items()
        for cell in cells(text)
        if cell.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(cell)
    ]
    assert live == []


@pytest.mark.parametrize("payload", FORMULAS, ids=repr)
def test_each_formula_arrives_behind_a_quote(downloads: dict[str, str], payload: str) -> None:
    shown = {
        urlsplit(url).path
        for url, text in downloads.items()
        if any(cell.startswith(f"'{payload}") for cell in cells(text))
    }
    assert len(shown) >= 2, f"{payload!r} reached the CSVs of {sorted(shown)} only"


def test_the_quarantine_and_the_load_log_are_neutralised(downloads: dict[str, str]) -> None:
    data = {
        parse_qs(urlsplit(url).query)["download"][0]: set(cells(text))
        for url, text in downloads.items()
        if urlsplit(url).path == "/data"
    }
    assert f"'{FORMULAS[1]}" in data["rejects"]  # the unreadable date, as it was read
    assert f"'{FORMULAS[0]}.parquet" in data["loads"]


def test_numbers_stay_numbers(downloads: dict[str, str]) -> None:
    everything = [cell for text in downloads.values() for cell in cells(text)]
    assert any(cell.startswith("-") and PLAIN_NUMBER.fullmatch(cell) for cell in everything)
    assert [c for c in everything if c.startswith("'") and PLAIN_NUMBER.fullmatch(c[1:])] == []


def test_a_table_quotes_line_breaks_and_neutralises_its_header_and_lists() -> None:
    table = Table(
        "t",
        "by channel",
        [Column("period", "period"), Column("=chan", "=chan", "int"), Column("tags", "tags")],
        [{"period": "2026-10-01", "=chan": -5, "tags": ["@a", "b"]}, {"period": "x\r=1+2"}],
    )
    assert table.to_csv() == "period,'=chan,tags\n2026-10-01,-5,'@a; b\n\"x\r=1+2\",,\n"
    assert list(csv.reader(io.StringIO(table.to_csv(), newline="")))[2] == ["x\r=1+2", "", ""]
