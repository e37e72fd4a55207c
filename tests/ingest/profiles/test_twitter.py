"""``supportkpi import twitter`` on a hand-made file in the public ``twcs`` layout.

samples/twitter/twcs.csv has the columns of the "Customer Support on Twitter" data set
(tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id written as a float). By hand:

- thread 10: customer 22:00, AcmeSupport 22:10 (first reply 600 s), two more tweets.
- thread 20 branches: 20 is answered by another customer (22, 23:02) and by the brand
  (21, 23:05: first reply 300 s); the brand answers 22 at 23:30. One ticket, 4 tweets.
- agent-first: brand tweet 30 answers tweet 29, which is not in the file; customer 31
  (09:10) replies, brand 32 at 09:40 (1800 s). The ticket starts at 31; 30 is quarantined.
- 40: a brand tweet nobody answered (no customer tweet): quarantined.
- 50: inbound "yes": quarantined.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from cli_support import run_cli

import supportkpi
from supportkpi.ingest.profiles import run_import
from supportkpi.ingest.profiles._reply_threads import parent_positions, thread_roots
from supportkpi.ingest.profiles.twitter import NOTES, threads
from supportkpi.store import Store

SAMPLE = Path(__file__).parent / "samples" / "twitter" / "twcs.csv"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("twitter") / "tw.duckdb"
    with Store(path) as store:
        tickets, events = run_import(store, "twitter", [SAMPLE])
    assert (tickets.rows_in, tickets.inserted, tickets.rejected) == (3, 3, 0)
    assert (events.rows_in, events.inserted, events.rejected) == (13, 10, 3)
    assert events.file == "twcs.csv"
    return path


def test_one_ticket_per_thread(db: Path) -> None:
    with Store(db, read_only=True) as store:
        tickets = store.con.execute(
            "SELECT ticket_id, channel, customer_id, team FROM tickets ORDER BY 1"
        ).fetchall()
        events = store.con.execute(
            "SELECT ticket_id, list(event_id || ':' || actor_type ORDER BY \"at\") "
            "FROM ticket_events GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert tickets == [("10", "social", "111", "AcmeSupport"), ("20", "social", "222",
                       "AcmeSupport"), ("31", "social", "444", "AcmeSupport")]  # fmt: skip
    assert events == [
        ("10", ["10:customer", "11:agent", "12:customer", "13:agent"]),
        ("20", ["20:customer", "22:customer", "21:agent", "23:agent"]),  # the branching chain
        ("31", ["31:customer", "32:agent"]),  # agent-first: starts at the customer's reply
    ]


def test_quarantined_tweets_say_why(db: Path) -> None:
    with Store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT row_number, rule, source_row FROM _quarantine ORDER BY row_number"
        ).fetchall()
    assert [(n, rule, json.loads(src)["thread_note"]) for n, rule, src in rows] == [
        (9, "filtered", NOTES["before"]),  # tweet 30, the file's ninth record
        (12, "filtered", NOTES["no_customer"]),  # tweet 40
        (13, "filtered", NOTES["bad_inbound"]),  # tweet 50
    ]


def test_first_response_time(db: Path) -> None:
    with supportkpi.connect(str(db)) as con:
        frame = con.kpi(["first_response_time:mean", "first_response_time:median",
                         "ticket_volume"], start="2017-10-01", end="2017-12-01")  # fmt: skip
    got = {r["metric"]: (r["value"], r["n"]) for r in frame.to_dict("records")}
    assert got == {
        "first_response_time:mean": ((600 + 300 + 1800) / 3, 3),
        "first_response_time:median": (600.0, 3),
        "ticket_volume": (3.0, 3),
    }


def test_long_chain_and_cycle_without_recursion() -> None:
    """A 50,000-tweet reply chain is one thread; a two-tweet cycle is flagged, not looped."""
    n = 50_000
    ids = np.arange(1, n + 3, dtype=np.int64)
    parents = np.concatenate([[-1], ids[: n - 1], [n + 2, n + 1]])  # n+1 <-> n+2: a cycle
    root, cyclic = thread_roots(parent_positions(ids, parents, np.ones(n + 2, dtype=bool)))
    assert (root[:n] == 0).all()
    assert cyclic.tolist() == [False] * n + [True, True]


def test_roots_match_a_parent_walk() -> None:
    """Random branching forests (replies to missing tweets too): each tweet's root equals the
    one found by walking its parents one at a time."""
    rng = np.random.default_rng(7)
    n = 3000
    ids = rng.permutation(np.arange(10, 10 + n)).astype(np.int64)  # file order is not id order
    parents = np.where(rng.random(n) < 0.2, -1, ids[rng.integers(0, n, n)])
    parents = np.where(parents >= ids, -1, parents)  # replies to older tweets: no cycles
    parents[rng.random(n) < 0.05] = 5  # a tweet that is not in the data
    position = {int(t): i for i, t in enumerate(ids)}
    expected = []
    for i in range(n):
        while int(parents[i]) in position:
            i = position[int(parents[i])]
        expected.append(i)
    root, cyclic = thread_roots(parent_positions(ids, parents, np.ones(n, dtype=bool)))
    assert root.tolist() == expected
    assert not cyclic.any()


def test_repeated_and_malformed_records_reconcile(tmp_path: Path) -> None:
    lines = SAMPLE.read_text().splitlines()
    path = tmp_path / "messy.csv"
    path.write_text("\n".join([*lines[:5], lines[4], "77,999,True", *lines[5:]]) + "\n")
    with Store(tmp_path / "m.duckdb") as store:
        _, events = run_import(store, "twitter", [path])
        notes = store.con.execute(
            "SELECT row_number, source_row FROM _quarantine WHERE table_name = 'ticket_events' "
            "ORDER BY row_number"
        ).fetchall()
    assert (events.rows_in, events.inserted, events.rejected) == (15, 10, 5)
    assert [(n, json.loads(src).get("thread_note") if src else None) for n, src in notes][:2] == [
        (5, NOTES["repeated"]), (6, NOTES["malformed"])]  # fmt: skip


def test_threads_of_a_table_keep_every_row() -> None:
    text = pa.array(["1", "2"], pa.string())
    tweets = pa.table({"tweet_id": text, "author_id": pa.array(["c", "Brand"]),
                       "inbound": pa.array(["True", "False"]),
                       "created_at": pa.array(["Tue Oct 31 22:00:00 +0000 2017"] * 2),
                       "in_response_to_tweet_id": pa.array([None, "1.0"], pa.string()),
                       "text": pa.array(["hi", "hello"]),
                       "note": pa.nulls(2, pa.string())})  # fmt: skip
    tickets, events = threads(tweets)
    assert tickets.column("ticket_id").to_pylist() == ["1"]
    assert events.column("ticket_id").to_pylist() == ["1", "1"]
    assert events.column("thread_note").to_pylist() == [None, None]  # same second, replies


def test_not_a_twitter_export(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    other = Path(__file__).parent / "samples" / "servicenow" / "incident_event_log.csv"
    result = run_cli(capsys, "import", "twitter", str(other), "--db", str(tmp_path / "x.db"))
    assert result.code == 2
    assert result.err == (
        "Error: incident_event_log.csv: not a Twitter customer-support export in the twcs "
        "layout: missing columns 'tweet_id', 'author_id', 'inbound', 'created_at', "
        "'in_response_to_tweet_id'\n"
    )
