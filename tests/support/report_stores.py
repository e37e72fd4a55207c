"""A small store with hand-computed weekly KPIs, and local SMTP and HTTP receivers.

Weeks (Mondays): W1 = 26 Feb 2024, W2 = 4 Mar, W3 = 11 Mar.

- Tickets: W1 has P1, P2 answered after 2 h and 4 h (median first response 3 h); W2 has T1,
  T2, T3 answered after 30 min, 1 h and 10 min (median 30 min). Volume 2 → 3.
- CSAT: W1 30 of 40 satisfied (75%), W2 10 of 40 (25%), W3 12 of 40 (30%). W2 against W1:
  pooled p = 0.5, se = sqrt(0.25 · 2/40) = 0.1118, z = −4.47: significant. W3 against W2:
  z = 0.05 / sqrt(0.275 · 0.725 · 2/40) = 0.50: not significant (noise).
- SLA (policy ``resolution = "2d"``): S1 and S2 created 12 Mar 09:00, unsolved, fall due
  14 Mar 09:00; S3 created 12 Mar 20:00 falls due 14 Mar 20:00.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
from kpi_support import make_source, ticket, tickets_frame

from supportkpi.store import Store

TICKETS = [
    ticket("P1", "2024-02-27 09:00", first_response_at="2024-02-27 11:00"),
    ticket("P2", "2024-02-28 09:00", first_response_at="2024-02-28 13:00"),
    ticket("T1", "2024-03-05 09:00", first_response_at="2024-03-05 09:30"),
    ticket("T2", "2024-03-06 10:00", first_response_at="2024-03-06 11:00"),
    ticket("T3", "2024-03-07 08:00", first_response_at="2024-03-07 08:10"),
    ticket("S1", "2024-03-12 09:00"),
    ticket("S2", "2024-03-12 09:00"),
    ticket("S3", "2024-03-12 20:00"),
]


def _csat(day: str, satisfied: int, total: int) -> list[dict[str, Any]]:
    start = pd.Timestamp(f"{day} 08:00", tz="UTC")
    return [
        {"response_id": f"csat-{day}-{i:02d}", "kind": "csat",
         "score": 5.0 if i < satisfied else 2.0, "responded_at": start + pd.Timedelta(minutes=i)}
        for i in range(total)
    ]  # fmt: skip


def report_store(folder: Path) -> str:
    surveys = _csat("2024-02-27", 30, 40) + _csat("2024-03-05", 10, 40)
    surveys += _csat("2024-03-12", 12, 40)
    tables = {"tickets": tickets_frame(TICKETS), "surveys": pd.DataFrame(surveys)}
    return make_source(folder, tables, "duckdb")


def log_load_at(db: str, when: datetime) -> None:
    """A load-log row as if a load had finished at ``when``."""
    with Store(db) as store:
        store.con.execute(
            "INSERT INTO _load_log (load_id, table_name, loaded_at) VALUES (?, 'tickets', ?)",
            [store.next_load_id(), when],
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- SMTP ----------------------------------------------------------------------------------------
@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextmanager
def smtp_server(port: int) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1:``port`` for the block."""
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
        asyncio.set_event_loop(None)


# -- HTTP ----------------------------------------------------------------------------------------
@dataclass
class Receiver:
    """Answers each POST with the next of ``script`` (a status, or ``"hang"``), then 200."""

    port: int
    script: list[Any] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    hang_s: float = 1.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@contextmanager
def http_receiver() -> Iterator[Receiver]:
    receiver = Receiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.bodies.append(body)
            step = receiver.script.pop(0) if receiver.script else 200
            if step == "hang":
                time.sleep(receiver.hang_s)
                step = 200
            self.send_response(int(step))
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def write_config(
    folder: Path, smtp_port: int | None = None, hook_url: str | None = None, extra: str = ""
) -> Path:
    """A config with ``[targets] csat >= 50%``, the local mail server and webhook, no retry
    waits (``backoff = 0``), and ``extra`` (schedules, alerts) appended."""
    text = '[targets]\ncsat = ">= 50%"\n\n[[sla]]\nname = "all"\nresolution = "2d"\n\n'
    text += '[delivery]\nattempts = 2\nbackoff = 0\ndashboard_url = "http://kpi.example"\n'
    if smtp_port is not None:
        text += (
            f'[delivery.email]\nhost = "127.0.0.1"\nport = {smtp_port}\n'
            'from = "supportkpi@example.com"\nsecurity = "none"\ntimeout = 5\n'
        )
    if hook_url is not None:
        text += f'[delivery.webhooks.ops]\nurl = "{hook_url}"\nkind = "json"\ntimeout = 0.5\n'
        text += f'[delivery.webhooks.chat]\nurl = "{hook_url}"\nkind = "slack"\ntimeout = 0.5\n'
    path = folder / "reports.toml"
    path.write_text(text + "\n" + extra, encoding="utf-8")
    return path
