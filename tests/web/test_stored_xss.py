"""Text from the data never becomes markup, script or a template in the dashboard (issue 19).

The hostile store of ``test_csv_formulas`` puts ``<script>``, an attribute break-out, a
``javascript:`` URL and ``{{7*7}}`` in front of the text values the pages show. The site is
crawled as a visitor would (every page, a drill-down per KPI they link, and drill-downs
filtered by the hostile values in their links), and each answer, error pages included, is
checked: the payloads show as text, escaped, and the chart specs stay inert JSON.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from test_csv_formulas import MARKUP, Answer, HostileSite, hostile_site, spec_texts

from supportkpi.web.dashboard.filters import ALL_DIMENSIONS

SCRIPT, BREAKOUT, JAVASCRIPT_URL, TEMPLATE = MARKUP
#: Today: 10 pages, about 40 drill-downs and a few filtered ones.
MIN_ANSWERS = 50
URL_ATTRIBUTE = re.compile(r'\s(?:href|src|action|formaction|xlink:href)\s*=\s*"([^"]*)"', re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    return hostile_site(tmp_path_factory)


def hostile(site: HostileSite, column: str, payload: str) -> str:
    """A value of ``column`` in the store that carries ``payload``."""
    return next(v for v in site.values[column].values() if v.startswith(payload))


def filtered_drills(site: HostileSite) -> list[str]:
    """Drill-downs filtered by hostile values: one per dimension whose links carry markup,
    and one filtered by a channel and a segment more (the filter bar shows what it got)."""
    chosen: dict[str, str] = {}
    for url in sorted(site.drill_links, key=lambda u: (len(u), u)):
        query = parse_qs(urlsplit(url).query)
        for dim in ALL_DIMENSIONS:
            if any(p in value for value in query.get(dim, []) for p in MARKUP):
                chosen.setdefault(dim, url)
    more = {
        "channel": hostile(site, "channel", SCRIPT),
        "segment": hostile(site, "segment", TEMPLATE),
    }
    simplest = min(site.drills, key=len)
    return [*chosen.values(), f"{simplest}&{urlencode(more)}"]


@pytest.fixture(scope="module")
def answers(site: HostileSite) -> dict[str, Answer]:
    """The crawl's pages and drill-downs, and the drill-downs filtered by hostile values."""
    filtered = {url: site.get(url) for url in filtered_drills(site)}
    assert len(filtered) >= 3
    return {**site.pages, **site.drills, **filtered}


def test_the_crawl_reaches_every_page_and_the_drill_downs(
    site: HostileSite, answers: dict[str, Answer]
) -> None:
    assert len(answers) >= MIN_ANSWERS
    assert [url for url, a in site.pages.items() if a.status != 200] == []
    assert sum(a.status == 200 for a in site.drills.values()) >= 30
    assert all(a.content_type.startswith("text/html") for a in answers.values())


@pytest.mark.parametrize("payload", [SCRIPT, BREAKOUT])
def test_markup_from_the_data_is_escaped(answers: dict[str, Answer], payload: str) -> None:
    raw = [url for url, a in answers.items() if payload in a.text or "<img src=x" in a.text]
    assert raw == []
    shown = [url for url, a in answers.items() if payload in unescape(a.text)]
    assert len(shown) >= 10, "the payload should reach the pages, as text"


def test_no_link_or_source_is_a_javascript_url(answers: dict[str, Answer]) -> None:
    scripted = [
        (url, target)
        for url, a in answers.items()
        for target in URL_ATTRIBUTE.findall(a.text)
        if re.sub(r"\s", "", unescape(target)).lower().startswith("javascript:")
    ]
    assert scripted == []
    assert any(JAVASCRIPT_URL in unescape(a.text) for a in answers.values())


def test_a_template_in_the_data_is_not_evaluated(
    site: HostileSite, answers: dict[str, Answer]
) -> None:
    carriers = [v for column in site.values.values() for v in column.values() if TEMPLATE in v]
    evaluated = {v.replace(TEMPLATE, "49") for v in carriers}
    found = [(url, v) for url, a in answers.items() for v in evaluated if v in unescape(a.text)]
    assert found == []
    assert sum(TEMPLATE in unescape(a.text) for a in answers.values()) >= 10


def test_chart_specs_stay_json_that_cannot_end_their_script(answers: dict[str, Answer]) -> None:
    texts = [text for a in answers.values() for text in spec_texts(a.text)]
    assert len(texts) >= 50
    assert [t[:80] for t in texts if "<" in t or ">" in t] == []  # escaped as \u003c, \u003e
    specs = [json.loads(text) for text in texts]
    assert any(SCRIPT in value for spec in specs for value in strings_in(spec))


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []
