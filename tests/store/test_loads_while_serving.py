"""Loads while the dashboard serves: real processes on one store file.

`supportkpi serve` keeps read-only handles on the store; `supportkpi ingest` from another
process announces its load (engine/store_lock.py), the server steps aside, and the new rows
show in the API right after the load's commit. A store held for longer than the lock timeout
gets one sentence naming the holder, never a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from supportkpi.engine.store_lock import _started as process_start
from supportkpi.engine.store_lock import waiting_writers, write_intent
from supportkpi.ingest import ingest_file
from supportkpi.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")

ROOT = Path(__file__).parents[2]
CLI = str(Path(sys.executable).with_name("supportkpi"))
LOADS = 6
PER_LOAD = 40


def tickets_csv(path: Path, first: int, rows: int) -> Path:
    lines = ["ticket_id,created_at,channel"]
    lines += [f"T{i},2024-03-{1 + i % 28:02d}T10:00:00Z,email" for i in range(first, first + rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def volume(base: str) -> int:
    with urllib.request.urlopen(f"{base}/api/kpi?metric=ticket_volume", timeout=30) as answer:
        assert answer.status == 200
        return int(json.load(answer)["rows"][0]["n"])


def start_serve(db: Path, port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [CLI, "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            volume(base)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError("the server did not start within 60 s")


def test_cli_loads_while_the_server_serves(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with Store(db) as store:
        ingest_file(store, "tickets", tickets_csv(tmp_path / "t0.csv", 0, PER_LOAD))
    port = free_port()
    server = start_serve(db, port)
    base = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    answered: list[float] = []
    stop = threading.Event()

    def traffic() -> None:  # about 10 requests a second while the loads run
        while not stop.is_set():
            started = time.monotonic()
            try:
                volume(base)
                answered.append(time.monotonic() - started)
            except Exception as exc:
                failures.append(repr(exc))
            time.sleep(0.1)

    client = threading.Thread(target=traffic)
    client.start()
    try:
        for load in range(1, LOADS + 1):
            csv = tickets_csv(tmp_path / f"t{load}.csv", load * PER_LOAD, PER_LOAD)
            done = subprocess.run(
                [CLI, "ingest", "tickets", str(csv), "--db", str(db)],
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
            committed = time.monotonic()
            expected = (load + 1) * PER_LOAD
            while volume(base) != expected:
                assert time.monotonic() - committed < 5, f"load {load} not visible within 5 s"
                time.sleep(0.1)
    finally:
        stop.set()
        client.join()
        server.terminate()
        server.wait(timeout=20)
    assert failures == []
    assert len(answered) >= LOADS, "the client should have been answered during the loads"


HOLD = """
import sys, time
from supportkpi.store import Store
with Store(sys.argv[1]):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_store(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the store for writing for ``seconds``."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


@pytest.mark.parametrize(
    ("command", "verb"),
    [(["ingest", "tickets", "{csv}"], "load into"), (["kpi", "ticket_volume"], "read")],
)
def test_a_store_held_too_long_gets_one_sentence(
    tmp_path: Path, command: list[str], verb: str
) -> None:
    db = tmp_path / "store.duckdb"
    csv = tickets_csv(tmp_path / "t.csv", 0, 3)
    with Store(db) as store:
        ingest_file(store, "tickets", csv)
    holder = hold_store(db, 30)
    try:
        args = [a.replace("{csv}", str(csv)) for a in command]
        done = subprocess.run(
            [CLI, *args, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "SUPPORTKPI_LOCK_TIMEOUT": "1"},
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode != 0
    message = done.stderr.strip()
    assert f"cannot {verb} {db}" in message
    assert f"PID {holder.pid}" in message and "for more than 1 s" in message
    assert "Traceback" not in message and "http" not in message
    assert len(message.splitlines()) == 1


def test_a_reader_waits_for_an_announced_load_and_sees_it_whole(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with Store(db) as store:
        ingest_file(store, "tickets", tickets_csv(tmp_path / "t0.csv", 0, 5))
    loader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from supportkpi.ingest import ingest_file\n"
            "from supportkpi.store import Store\n"
            "with Store(sys.argv[1]) as store:\n"
            "    print('open', flush=True)\n"
            "    time.sleep(1.5)\n"
            "    ingest_file(store, 'tickets', sys.argv[2])\n",
            str(db),
            str(tickets_csv(tmp_path / "t1.csv", 5, 7)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert loader.stdout is not None and loader.stdout.readline().strip() == "open"
    assert waiting_writers(db) == [loader.pid]
    with Store(db, read_only=True) as store:  # waits for the load instead of failing
        assert store.count("tickets") == 12
    assert loader.wait(timeout=30) == 0
    assert waiting_writers(db) == []


def test_an_intent_of_a_dead_process_is_ignored_and_cleaned(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    Store(db).close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    stale = Path(f"{db}.loading-{int(dead.stdout)}")
    stale.touch()
    with write_intent(db):  # this process's own intent never counts for itself
        assert waiting_writers(db) == []
    assert not stale.exists()


def test_an_intent_whose_pid_was_reused_is_ignored(tmp_path: Path) -> None:
    """After a crash and a reboot, another process may carry the writer's pid."""
    db = tmp_path / "store.duckdb"
    Store(db).close()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        intent = Path(f"{db}.loading-{other.pid}")
        intent.write_text("1")  # started at another time than the live process
        assert waiting_writers(db) == []
        assert not intent.exists()
        with write_intent(tmp_path / "x.duckdb"):  # a real intent records its start
            assert Path(f"{tmp_path / 'x.duckdb'}.loading-{os.getpid()}").read_text().strip()
    finally:
        other.kill()
        other.wait()


def test_a_server_reader_opens_at_once_while_a_load_is_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server opens new readers under its read lock. Had that open waited for the announced
    load, the watcher could not take the write lock to close the server's other handles, and
    the load, waiting for those, failed after the lock timeout (seen with a load one second
    after `supportkpi serve` started, while its warm-up held a reader)."""
    from supportkpi.config import load_settings
    from supportkpi.web.state import ApiState

    db = tmp_path / "s.duckdb"
    Store(db).close()
    monkeypatch.setenv("SUPPORTKPI_LOCK_TIMEOUT", "1.5")
    state = ApiState(db, load_settings(None), open_access=True)
    loader = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    # Announced by another live process, as by `supportkpi ingest` waiting for the lock.
    intent = tmp_path / f"s.duckdb.loading-{loader.pid}"
    intent.write_text(process_start(loader.pid))
    try:
        assert waiting_writers(db) == [loader.pid]
        started = time.monotonic()
        with state.reading() as reader:
            assert reader.store.count("tickets") == 0
        assert time.monotonic() - started < 1.0
        # Any other reader still lets the load go first.
        started = time.monotonic()
        Store(db, read_only=True).close()
        assert time.monotonic() - started >= 1.5
    finally:
        loader.kill()
        state.close()
