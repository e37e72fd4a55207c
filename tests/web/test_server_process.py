"""Issue 19's findings that only a real server shows: `supportkpi serve` in its own process,
spoken to over raw sockets (a spoofed Host, a body that never arrives, the first SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from ticket_stores import ticket_store

BODY_TIMEOUT_S = 1.0
HEAD_TIMEOUT_S = 2.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(db: Path, *options: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "SUPPORTKPI_BODY_TIMEOUT": str(BODY_TIMEOUT_S),
        "SUPPORTKPI_HEAD_TIMEOUT": str(HEAD_TIMEOUT_S),
    }
    command = [sys.executable, "-m", "supportkpi.cli.main", "serve", "--db", str(db)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("serve did not start within 60 s")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ticket_store(tmp_path_factory.mktemp("served") / "served.duckdb")


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[int]:
    process, port = _start(db)
    yield port
    process.terminate()
    process.wait(timeout=20)


def _raw(port: int, request: bytes, wait_s: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait_s) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b'"status"' in b"".join(chunks):
                break
    return b"".join(chunks)


def test_a_spoofed_host_is_refused(server: int) -> None:
    answer = _raw(
        server, b"GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"does not answer for the host name" in answer


def test_a_body_that_never_arrives_gets_a_408(server: int) -> None:
    head = (
        b"POST /api/ingest/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
        b"--x\r\n"
    )
    started = time.monotonic()
    answer = _raw(server, head)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert time.monotonic() - started < BODY_TIMEOUT_S + 5


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /api/health HTTP/1.1\r\nHost: 127", b"GET /api/health HTTP/1.1\r\n"],
    ids=["nothing", "half a header", "no blank line"],
)
def test_a_request_head_that_never_ends_is_dropped(server: int, sent: bytes) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server), timeout=30) as sock:
        sock.sendall(sent)
        assert sock.recv(100) == b""  # closed by the server
    assert time.monotonic() - started < HEAD_TIMEOUT_S + 3


def test_a_keep_alive_connection_still_serves_its_next_request(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        for _ in range(2):
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            answer = b""
            while b'"ok":true' not in answer:  # the head and the body may come apart
                chunk = sock.recv(65536)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
            time.sleep(HEAD_TIMEOUT_S / 2)


def test_the_first_sigterm_stops_the_server_with_requests_in_flight(db: Path) -> None:
    process, port = _start(db)
    stalled = socket.create_connection(("127.0.0.1", port))
    idle = socket.create_connection(("127.0.0.1", port))
    try:
        stalled.sendall(
            b"POST /api/ingest/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Length: 100000\r\n\r\nabc"
        )
        time.sleep(0.3)
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert time.monotonic() - started < 10
        assert process.returncode in (0, -signal.SIGTERM)
    finally:
        stalled.close()
        idle.close()
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    log = process.stderr.read().decode()
    assert "Traceback" not in log, log
