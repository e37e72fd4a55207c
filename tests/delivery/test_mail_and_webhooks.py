"""Delivery: a real SMTP server receives the report; a local HTTP server gets the webhooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli
from report_stores import free_port, http_receiver, report_store, smtp_server, write_config

from supportkpi.config import load_settings
from supportkpi.config.reporting import EmailSettings, WebhookSettings
from supportkpi.delivery.charts import RenderedChart
from supportkpi.delivery.mail import build_email, send_email
from supportkpi.delivery.message import Attachment, Message
from supportkpi.delivery.webhooks import send_webhook
from supportkpi.errors import ConfigError, DeliveryError
from supportkpi.schedule.state import RunLog

WEEKLY = """
[[schedule]]
name = "weekly"
cron = "0 8 * * MON"
timezone = "UTC"
report = {period = "last-week", format = "FORMAT"}
to = ["email:lead@example.com"]
"""
MESSAGE = Message("Subject", "plain text", ["line one"], {"kind": "test", "value": 1})


@pytest.fixture
def db(tmp_path: Path) -> str:
    return report_store(tmp_path / "store")


def _weekly(fmt: str) -> str:
    return WEEKLY.replace("FORMAT", fmt)


def test_the_mail_has_html_inline_charts_and_a_plain_part(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    port = free_port()
    config = write_config(tmp_path, smtp_port=port, extra=_weekly("html"))
    with smtp_server(port) as box:
        result = run_cli(capsys, "schedule", "once", "weekly", "--db", db, "--config", str(config),
                         "--as-of", "2024-03-13T09:00:00+00:00")  # fmt: skip
    assert result.code == 0, result.err
    assert "weekly: sent to email:lead@example.com" in result.err
    (mail,) = box.messages
    assert box.recipients == [["lead@example.com"]]
    assert mail["Subject"] == "Support report, 04 Mar 2024 – 10 Mar 2024"
    assert mail["From"] == "supportkpi@example.com"
    plain = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    text = plain.get_content().replace("\r\n", "\n")
    csat = next(line for line in text.splitlines() if line.startswith("Customer satisfaction"))
    assert csat.split()[3:] == ["75.0%", "25.0%", "−50.0", "pts", "yes", "(p=0.000)", ">=", "50%",
                                "(MISSED)"]  # fmt: skip
    assert "What changed:\n- Customer satisfaction (CSAT) fell 50.0 points" in text
    page = html.get_content()
    assert "<td" in page and "25.0%" in page and "MISSED" in page
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2, "the two trend charts travel as inline images"
    for image in images:
        cid = image["Content-ID"].strip("<>")
        assert f'src="cid:{cid}"' in page
        assert image.get_content().startswith(b"\x89PNG")
        assert image.get_content_disposition() == "inline"
    # Sent, and recorded as sent.
    (row,) = RunLog(db).deliveries("weekly")
    assert (row["target"], row["status"], row["detail"]) == ("email:lead@example.com", "sent", None)


def test_smtp_down_fails_clearly_records_nothing_as_sent_and_the_next_run_sends(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    config = write_config(tmp_path, smtp_port=port, extra=_weekly("markdown"))
    args = ("schedule", "once", "weekly", "--db", db, "--config", str(config))
    down = run_cli(capsys, *args)
    assert down.code == 2
    errors = [line for line in down.err.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: e-mail to lead@example.com via 127.0.0.1:{port} failed after 2 attempts: "
        "[Errno 111] Connection refused"
    ]
    assert "Traceback" not in down.err
    assert [r["status"] for r in RunLog(db).deliveries("weekly")] == ["failed"]
    with smtp_server(port) as box:
        up = run_cli(capsys, *args)
    assert up.code == 0, up.err
    assert len(box.messages) == 1
    assert "| Ticket volume |" in box.messages[0].get_content()  # the Markdown mail
    assert [r["status"] for r in RunLog(db).deliveries("weekly")] == ["failed", "sent"]


def test_the_password_comes_from_the_environment_never_the_file(tmp_path: Path) -> None:
    settings = EmailSettings("127.0.0.1", 1, "a@example.com", "none", "reports", "SKPI_TEST_PW")
    with pytest.raises(ConfigError, match="environment variable SKPI_TEST_PW is not set"):
        send_email(settings, "b@example.com", MESSAGE, env={})
    config = tmp_path / "bad.toml"
    config.write_text('[delivery.email]\nhost = "h"\nfrom = "a@b.c"\npassword = "secret"\n')
    with pytest.raises(ConfigError, match="never put the password in the file"):
        load_settings(config)


def test_a_500_is_retried_with_backoff_then_succeeds() -> None:
    waits: list[float] = []
    with http_receiver() as receiver:
        receiver.script = [500]
        hook = WebhookSettings("ops", receiver.url, "json", timeout_s=2)
        send_webhook(hook, MESSAGE, attempts=3, backoff_s=0.25, sleep=waits.append)
    assert len(receiver.bodies) == 2 and waits == [0.25]
    assert json.loads(receiver.bodies[-1]) == {
        "subject": "Subject",
        "link": None,
        "kind": "test",
        "value": 1,
    }


def test_slack_payload_and_a_final_4xx_is_not_retried() -> None:
    with http_receiver() as receiver:
        receiver.script = [404]
        hook = WebhookSettings("chat", receiver.url, "slack", timeout_s=2)
        with pytest.raises(DeliveryError, match=r"^webhook chat failed: HTTP 404"):
            send_webhook(hook, MESSAGE, attempts=3, backoff_s=0, sleep=lambda s: None)
        assert len(receiver.bodies) == 1
        send_webhook(hook, MESSAGE, attempts=1)
    assert json.loads(receiver.bodies[-1]) == {"text": "*Subject*\n• line one"}


def test_a_webhook_timeout_is_bounded_and_never_recorded_as_sent(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    with http_receiver() as receiver:
        receiver.script = ["hang", "hang"]
        receiver.hang_s = 1.0
        extra = _weekly("json").replace('["email:lead@example.com"]', '["webhook:ops"]')
        config = write_config(tmp_path, hook_url=receiver.url, extra=extra)
        result = run_cli(capsys, "schedule", "once", "weekly", "--db", db, "--config", str(config))
    assert result.code == 2
    assert "Error: webhook ops failed after 2 attempts: no answer within 0.5s" in result.err
    assert len(receiver.bodies) == 2  # two attempts, no more
    (row,) = RunLog(db).deliveries("weekly")
    assert row["status"] == "failed" and "no answer within 0.5s" in row["detail"]


def test_a_pdf_report_mail_nests_the_parts_as_clients_expect() -> None:
    chart = RenderedChart("trend-1", "Ticket volume", "Line chart", b"\x89PNG fake")
    pdf = Attachment("report.pdf", "application/pdf", b"%PDF-1.7 fake")
    message = Message("S", "plain", [], {}, '<img src="cid:trend-1">', [chart], [pdf])
    settings = EmailSettings("127.0.0.1", 25, "a@example.com", "none")
    mail = build_email(settings, "b@example.com", message)
    tree = [(part.get_content_type(), part.get_filename()) for part in mail.walk()]
    assert tree == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("multipart/related", None),
        ("text/html", None),
        ("image/png", "trend-1.png"),
        ("application/pdf", "report.pdf"),
    ]
