"""`supportkpi report --period/--format/--out`: the report document in every format."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path

import pytest
from cli_support import run_cli
from report_stores import report_store, write_config

import supportkpi
from supportkpi.config import load_settings
from supportkpi.config.reporting import WebhookSettings
from supportkpi.delivery.compose import report_message
from supportkpi.delivery.formats import render_document
from supportkpi.delivery.webhooks import webhook_body
from supportkpi.report.document import ReportDocument, build_document, report_period


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return report_store(tmp_path_factory.mktemp("report-formats"))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_config(tmp_path_factory.mktemp("report-config")))


@pytest.fixture(scope="module")
def doc(db: str, config: str) -> ReportDocument:
    """The week of 4 Mar 2024 by channel, built once for the format tests."""
    with supportkpi.connect(db, config=load_settings(config)) as con:
        return build_document(con, report_period("last-week", date(2024, 3, 13)), by="channel")


@pytest.mark.parametrize(
    ("name", "today", "expected"),
    [
        # 13 Mar 2024 is a Wednesday: the last full week is Mon 4 – Sun 10 Mar.
        ("last-day", date(2024, 3, 13), ("2024-03-12", "2024-03-13", "2024-03-11")),
        ("last-week", date(2024, 3, 13), ("2024-03-04", "2024-03-11", "2024-02-26")),
        ("last-month", date(2024, 3, 13), ("2024-02-01", "2024-03-01", "2024-01-01")),
        ("last-quarter", date(2024, 3, 13), ("2023-10-01", "2024-01-01", "2023-07-01")),
        ("last-month", date(2024, 1, 1), ("2023-12-01", "2024-01-01", "2023-11-01")),
    ],
)
def test_named_periods_and_the_previous_equal_period(
    name: str, today: date, expected: tuple[str, str, str]
) -> None:
    p = report_period(name, today)
    assert (str(p.start), str(p.end), str(p.previous_start)) == expected
    assert p.previous_end == p.start


def test_custom_period_is_compared_with_the_same_length_before() -> None:
    p = report_period(None, date(2024, 3, 13), "2024-03-01", "2024-03-11")
    assert (str(p.previous_start), str(p.previous_end)) == ("2024-02-20", "2024-03-01")


def test_json_report_holds_targets_deltas_and_the_significance_test(
    capsys: pytest.CaptureFixture[str], db: str, config: str, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = run_cli(capsys, "report", "--db", db, "--config", config, "--period", "last-week",
                     "--as-of", "2024-03-13", "--format", "json", "--out", str(out))  # fmt: skip
    assert result.code == 0, result.err
    assert result.out == "" and f"Wrote {out}" in result.err
    doc = json.loads(out.read_text(encoding="utf-8"))
    kpis = {k["metric"]: k for k in doc["kpis"]}
    assert doc["period"]["start"] == "2024-03-04" and doc["period"]["end"] == "2024-03-11"
    volume = kpis["ticket_volume"]
    assert (volume["previous"], volume["current"], volume["shown_delta"]) == (2, 3, "+1")
    frt = kpis["first_response_time:median"]  # 2 h and 4 h before, 10 min, 30 min, 1 h now
    assert (frt["previous"], frt["current"]) == (3 * 3600, 1800)
    csat = kpis["csat"]
    assert (csat["previous"], csat["current"]) == (0.75, 0.25)
    assert csat["significant"] is True and csat["test"] == "proportion"
    assert (csat["target"], csat["target_status"]) == (">= 50%", "miss")
    assert doc["what_changed"] == [csat["sentence"]]
    assert "fell 50.0 points, significant at 95%" in csat["sentence"]


def test_markdown_and_breakdown(doc: ReportDocument) -> None:
    text = render_document(doc, "markdown").decode()
    assert "| Ticket volume | 2 | 3 | +1 | no test |  |" in text
    assert "| Customer satisfaction (CSAT) | 75.0% | 25.0% | −50.0 pts |" in text
    assert ">= 50% (MISSED)" in text
    assert "## By channel" in text and "| email | 3 |" in text


def test_html_file_is_self_contained(doc: ReportDocument) -> None:
    html = render_document(doc, "html").decode()
    assert "<style" not in html and 'style="' in html  # inline CSS only, for mail clients
    # The two trends (volume, first response) and the bars by channel.
    assert html.count('src="data:image/png;base64,') == 3
    assert "http" not in html.replace("https://vega", "")  # nothing fetched


def test_pdf_opens_and_holds_the_kpis(doc: ReportDocument) -> None:
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:
        pytest.skip(f"WeasyPrint's system libraries (Pango) are missing: {exc}")
    from pypdf import PdfReader

    data = render_document(doc, "pdf")
    assert data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Customer satisfaction (CSAT)" in text and "25.0%" in text and "75.0%" in text
    assert "Ticket volume" in text


def test_bad_options_fail_in_one_line(
    capsys: pytest.CaptureFixture[str], db: str, config: str
) -> None:
    pdf = run_cli(capsys, "report", "--db", db, "--format", "pdf", "--period", "last-week")
    assert pdf.code == 2 and "add --out report.pdf" in pdf.err
    period = run_cli(capsys, "report", "--db", db, "--period", "last-year")
    assert period.code == 2 and "unknown period 'last-year'" in period.err
    assert "Traceback" not in pdf.err + period.err


def test_the_chat_message_lists_kpis_with_values_and_what_changed(doc: ReportDocument) -> None:
    message = report_message(doc, "markdown", link="http://kpi.example/?range=custom")
    body = webhook_body(WebhookSettings("chat", "http://x", "slack"), message)
    assert body["text"].splitlines() == [
        "*Support report, 04 Mar 2024 – 10 Mar 2024*",
        "• Ticket volume: 3 (+1)",
        "• First response time (median): 30m (−2h 30m)",
        "• Customer satisfaction (CSAT): 25.0% (−50.0 pts)",
        "• Backlog: 5 (+3)",
        "• Customer satisfaction (CSAT) fell 50.0 points, significant at 95% (40 responses now, "
        "40 before)",
        "<http://kpi.example/?range=custom|Open in the dashboard>",
    ]
    data = webhook_body(WebhookSettings("ops", "http://x", "json"), message)
    assert (data["kind"], data["subject"]) == ("report", doc.title)
    assert data["report"]["period"]["start"] == "2024-03-04"
