"""The dashboard's Reports page: schedules, alert rules, the run history, and the preview.

The store is the small one of tests/support/report_stores.py: in the week of 4 Mar 2024 CSAT
is 10 of 40 (25.0%) against 30 of 40 (75.0%) the week before, and 3 tickets against 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from report_stores import at, report_store, write_config

from supportkpi.delivery.dispatch import Outcome
from supportkpi.schedule.state import RunLog
from supportkpi.store import Store
from supportkpi.web import create_app, create_token
from supportkpi.web.dashboard import mount_dashboard

BERLIN = ZoneInfo("Europe/Berlin")
SECRET_URL = "https://hooks.example.com/T000/B000/sEcReTkEy"
SCHEDULES = """
[[schedule]]
name = "weekly-team"
cron = "0 8 * * MON"
timezone = "Europe/Berlin"
report = {period = "last-week", format = "html"}
to = ["email:lead@example.com", "webhook:ops"]

[[alert]]
name = "csat-drop"
rule = "significant_change"
kpi = "csat"
period = "last-week"
cron = "0 * * * *"
timezone = "UTC"
to = ["webhook:ops"]
"""


def _client(db: str, config: Path | None = None, host: str = "127.0.0.1") -> TestClient:
    app = create_app(db, host=host, config=config)
    mount_dashboard(app)
    return TestClient(app, follow_redirects=False, base_url="http://127.0.0.1")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _table(html: str, table_id: str) -> str:
    found = re.search(rf'id="table-{table_id}".*?</table>', html, re.S)
    assert found, f"no table {table_id}"
    return _text(found.group(0))


def _alerts(html: str) -> list[str]:
    return [_text(a).strip() for a in re.findall(r'role="alert">(.*?)</div>', html, re.S)]


def _next_monday_8_berlin(now: datetime) -> str:
    """Worked out by hand: the first Monday 08:00 Berlin wall time after ``now``."""
    local = now.astimezone(BERLIN)
    for ahead in range(8):
        day = local.date() + timedelta(days=ahead)
        run = datetime(day.year, day.month, day.day, 8, tzinfo=BERLIN)
        if day.weekday() == 0 and run > local:
            return f"{run:%a %Y-%m-%d %H:%M %Z}"
    raise AssertionError("a Monday comes within 8 days")


def _next_hour_utc(now: datetime) -> str:
    run = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return f"{run:%a %Y-%m-%d %H:%M %Z}"


def _around(get: Callable[[], str], expected: Callable[[datetime], str]) -> tuple[str, set[str]]:
    """The page, and the expected text as of just before and just after it was made."""
    before = datetime.now(UTC)
    html = get()
    return html, {expected(before), expected(datetime.now(UTC))}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The store with one recorded run of each outcome and the alert firing."""
    folder = tmp_path_factory.mktemp("reports")
    path = report_store(folder / "store")
    log = RunLog(path)
    log.record_skip("weekly-team", at("2024-03-04 07:00"), "missed while the scheduler was down")
    failed = f"webhook ops failed after 2 attempts: HTTP 500 from {SECRET_URL}"
    outcomes = [Outcome("email:lead@example.com"), Outcome("webhook:ops", failed)]
    log.record("weekly-team", "schedule", at("2024-03-11 07:00"), outcomes)
    summary = "CSAT fell 50 pts <script>x()</script>"  # stored text stays text
    log.set_alert_state("csat-drop", "firing", at("2024-03-11 08:00"), summary)
    return path


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reports-config")
    return write_config(folder, smtp_port=2525, hook_url=SECRET_URL, extra=SCHEDULES)


@pytest.fixture(scope="module")
def client(db: str, config: Path) -> TestClient:
    return _client(db, config)


def test_the_page_lists_the_schedule_and_the_alert_with_their_next_runs(
    client: TestClient,
) -> None:
    html, mondays = _around(lambda: client.get("/reports").text, _next_monday_8_berlin)
    assert "<h1>Reports</h1>" in html and _alerts(html) == []
    schedules = _table(html, "schedules")
    assert "weekly-team" in schedules and "0 8 * * MON" in schedules
    assert "Europe/Berlin" in schedules and "last-week, html" in schedules
    assert any(monday in schedules for monday in mondays), (mondays, schedules)
    assert "email:lead@example.com, webhook:ops" in schedules
    assert 'href="/reports/preview/weekly-team"' in html
    # The data ends with S3, created 12 Mar 2024 20:00 UTC: a second link previews as of 13 Mar.
    assert 'href="/reports/preview/weekly-team?as_of=2024-03-13"' in html
    alerts = _table(html, "alerts")
    assert "csat-drop" in alerts and "significant_change" in alerts and "csat" in alerts
    assert "firing" in alerts and "2024-03-11 08:00 UTC" in alerts and "CSAT fell 50 pts" in alerts
    _, hours = _around(lambda: "", _next_hour_utc)
    assert any(hour in alerts for hour in hours), (hours, alerts)
    # The webhook is named, never shown: its URL's path is its key.
    assert "sEcReTkEy" not in html and "hooks.example.com" not in html
    assert "<script>x()" not in html and "&lt;script&gt;x()" in html
    nav = re.search(r'<nav aria-label="Pages">.*?</nav>', html, re.S)
    assert nav and 'href="/reports' in nav.group(0) and 'aria-current="page"' in nav.group(0)


def test_recorded_deliveries_show_with_their_outcome(client: TestClient) -> None:
    html = client.get("/reports").text
    runs = _table(html, "runs")
    # Newest first: the run due 11 Mar (one address each way), then the skipped one.
    assert re.search(r"weekly-team schedule 2024-03-11 07:00 UTC email:lead@example.com sent", runs)
    assert re.search(r"webhook:ops failed webhook ops failed after 2 attempts: HTTP 500", runs)
    assert "skipped missed while the scheduler was down" in runs
    assert runs.index("2024-03-11 07:00") < runs.index("2024-03-04 07:00")
    assert "sEcReTkEy" not in html  # the error line named the URL; the page names the hook
    # The schedule's last run: one of its two addresses took it.
    assert re.search(r"weekly-team .* UTC: 1 of 2 sent", _table(html, "schedules"))
    csv = client.get("/reports?download=runs")
    assert csv.status_code == 200 and "failed" in csv.text and "sEcReTkEy" not in csv.text


def test_the_preview_is_the_reports_html_with_its_kpis_and_charts(client: TestClient) -> None:
    # As of Monday 11 Mar, "last week" is 4–10 Mar, against 26 Feb – 3 Mar.
    answer = client.get("/reports/preview/weekly-team?as_of=2024-03-11")
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    text = _text(answer.text)
    assert "Support report, 04 Mar 2024 – 10 Mar 2024" in text
    assert "Preview of the schedule 'weekly-team'" in text and "Nothing was sent" in text
    # before, now, change, test, target
    assert "(CSAT) 75.0% 25.0% −50.0 pts yes (p=0.000) >= 50% (MISSED)" in text, text[:3000]
    assert "Ticket volume 2 3 +1 no test" in text
    assert "First response time (median) 3h 30m −2h 30m" in text
    assert re.search(r'<img src="data:image/png;base64,[A-Za-z0-9+/]', answer.text)
    assert "cid:" not in answer.text and "<script" not in answer.text
    # Everything the page loads is inside it (the policy allows no other source).
    assert re.findall(r'(?:src|href)="(?!data:)[^"]*"', answer.text) == []


def test_an_unknown_schedule_or_a_bad_date_is_a_page_not_a_traceback(client: TestClient) -> None:
    missing = client.get("/reports/preview/nope")
    assert missing.status_code == 404
    assert _alerts(missing.text) == [
        "Cannot show this view: no [[schedule]] named 'nope' (the config has: weekly-team)"
    ]
    assert "Traceback" not in missing.text
    bad = client.get("/reports/preview/weekly-team?as_of=last-tuesday")
    assert bad.status_code == 400 and "use YYYY-MM-DD" in _alerts(bad.text)[0]


def test_without_schedules_the_page_says_how_to_add_them(db: str) -> None:
    client = _client(db)  # no config
    answer = client.get("/reports")
    assert answer.status_code == 200 and _alerts(answer.text) == []
    empty = re.search(r'<div class="empty" role="status">(.*?)</div>', answer.text, re.S)
    assert empty, "an empty state"
    text = _text(empty.group(1))
    assert "[[schedule]]" in text and "[[alert]]" in text and "docs/reports.md" in text
    assert f"supportkpi serve --db {db} --config kpi.toml" in text
    # The history of an earlier config is still there to read.
    assert "missed while the scheduler was down" in _table(answer.text, "runs")
    assert client.get("/reports/preview/weekly-team").status_code == 404


def test_a_store_that_never_ran_a_schedule_says_how_to_run_one(
    tmp_path: Path, config: Path
) -> None:
    db = report_store(tmp_path / "fresh")
    text = _text(_client(db, config).get("/reports").text)
    assert "Nothing has run on this store yet" in text
    assert "not checked yet" in text


def test_off_loopback_the_page_and_the_preview_need_a_token(tmp_path: Path, config: Path) -> None:
    db = report_store(tmp_path / "guarded")
    with Store(db) as store:
        token = create_token(store, "viewer")
    client = _client(db, config, host="0.0.0.0")
    for path in ("/reports", "/reports/preview/weekly-team"):
        refused = client.get(path)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/login?next=%2Freports")
    signed = {"Authorization": f"Bearer {token}"}
    assert client.get("/reports", headers=signed).status_code == 200
    assert client.get("/reports/preview/nope", headers=signed).status_code == 404
