"""A load is atomic: SIGKILL a loading process and the store is exactly as it was before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from supportkpi.engine.store_lock import waiting_writers
from supportkpi.facts import differences, open_store
from supportkpi.ingest import ingest_file
from supportkpi.store import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

# Runs in a child process: loads the file and, once every write of the load is done but
# before the commit, says so and waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from supportkpi.facts import open_store
    from supportkpi.ingest import ingest_file

    def hold(stage):
        print(stage, flush=True)
        if stage == sys.argv[3]:
            time.sleep(120)

    store = open_store(sys.argv[1])
    # After the stored facts are refreshed, still inside the load's transaction.
    store.before_commit.append(lambda _store: hold("facts refreshed"))
    ingest_file(store, "tickets", sys.argv[2], progress=hold)
    """
)


def big_tickets_file(path: Path, rows: int, start: int = 0, channel: str = "web") -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("ticket_id,created_at,channel,subject\n")
        for i in range(start, start + rows):
            fh.write(f"T{i},2024-01-01 {i % 24:02d}:00:00,{channel},subject {i}\n")
        fh.write("bad,not a time,web,x\n")  # one reject, so the quarantine is written too


def snapshot(db: Path) -> tuple[object, ...]:
    with Store(db) as store:
        con = store.con
        tickets = con.execute(
            "SELECT count(*), count(DISTINCT channel), min(channel), sum(hash(ticket_id, channel))"
            " FROM tickets"
        ).fetchone()
        log = con.execute("SELECT load_id, file_name, rows_in FROM _load_log ORDER BY 1").fetchall()
        quarantine = con.execute("SELECT count(*) FROM _quarantine").fetchone()
        facts = con.execute("SELECT name, load_id, rows FROM _facts ORDER BY 1").fetchall()
        stored = con.execute(
            "SELECT count(*), sum(hash(ticket_id, channel, created)) FROM "
            + con.execute("SELECT table_name FROM _facts WHERE name = 'tickets'").fetchone()[0]
        ).fetchone()
        return tickets, tuple(log), quarantine, tuple(facts), stored


@pytest.mark.parametrize("stage", ["validated", "written", "facts refreshed"])
def test_sigkill_mid_load_leaves_store_unchanged(tmp_path: Path, stage: str) -> None:
    db = tmp_path / "store.duckdb"
    before_file = tmp_path / "before.csv"
    big_tickets_file(before_file, 1_000)
    with open_store(db) as store:
        ingest_file(store, "tickets", before_file)
    before = snapshot(db)
    assert before[0][0] == 1_000  # type: ignore[index]

    # 100k rows: 1k updates of existing tickets (another channel) and 99k new ones.
    big = tmp_path / "big.csv"
    big_tickets_file(big, 100_000, channel="email")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(big), stage],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        seen = []
        for line in child.stdout:
            seen.append(line.strip())
            if line.strip() == stage:
                break
        assert seen and seen[-1] == stage, (seen, child.stderr.read() if child.stderr else "")
        assert waiting_writers(db) == [child.pid]  # the load is announced to readers
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    assert snapshot(db) == before
    assert waiting_writers(db) == []  # the killed load's intent holds nobody back
    assert list(tmp_path.glob("*.loading-*")) == []
    # The store is usable afterwards, and the same load then goes through in full.
    with open_store(db) as store:
        summary = ingest_file(store, "tickets", big)
        assert (summary.inserted, summary.updated, summary.rejected) == (99_000, 1_000, 1)
        assert store.count("tickets") == 100_000
    with open_store(db) as store:  # and the facts it kept are those of a rebuild
        assert set(differences(store).values()) == {0}
