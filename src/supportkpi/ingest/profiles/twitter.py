"""Twitter customer support: the public ``twcs`` layout, reply chains as tickets.

Columns: ``tweet_id``, ``author_id``, ``inbound`` (True: a customer's tweet, False: the
brand's), ``created_at`` ("Tue Oct 31 22:10:47 +0000 2017"), ``text``,
``response_tweet_id`` and ``in_response_to_tweet_id`` (written as a float, "3.0").

Every tweet of a reply tree belongs to one thread (:mod:`._reply_threads`), however the
tree branches. A thread is one ticket that starts at its first customer tweet (by time,
then tweet id): that tweet's id is the ticket id, its author the customer, and the first
brand account to answer after it is the team; the channel is ``social``. Every tweet is a
message event (customer when inbound, agent otherwise). Tweets that cannot belong to a
ticket are not dropped: they carry a ``thread_note`` and the events mapping's ``[filter]``
quarantines them, so ``rows_in == stored + quarantined`` holds for the file:

- brand tweets before the thread's first customer tweet (an agent-first thread: the
  brand answered a customer tweet that is not in the data, or wrote first);
- threads with no customer tweet at all;
- a repeated ``tweet_id``, a ``tweet_id`` that is not a number, an ``inbound`` that is
  neither True nor False, and reply cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from supportkpi.ingest.profiles._export_files import csv_header, require_columns
from supportkpi.ingest.profiles._reply_threads import parent_positions, thread_roots
from supportkpi.ingest.profiles.base import Part, Profile
from supportkpi.ingest.raw_table import ROW
from supportkpi.ingest.readers import read_raw

EXPECTS = "a Twitter customer-support export in the twcs layout"
REQUIRED = ("tweet_id", "author_id", "inbound", "created_at", "in_response_to_tweet_id")
DATE_FORMAT = "%a %b %d %H:%M:%S %z %Y"
NOTES = {
    "before": "brand tweet before the thread's first customer tweet",
    "no_customer": "thread has no customer tweet",
    "repeated": "repeated tweet_id",
    "bad_id": "tweet_id is not a number",
    "bad_inbound": "inbound is not True or False",
    "cycle": "reply cycle",
    "malformed": "malformed record",
}
EVENTS: dict[str, Any] = {
    "source": {"format": "parquet", "date_format": DATE_FORMAT},
    "filter": {"drop": {"thread_note": list(NOTES.values())}},
    "constants": {"kind": "message", "channel": "social", "public": True},
}
TICKETS: dict[str, Any] = {
    "source": {"format": "parquet", "date_format": DATE_FORMAT},
    "constants": {"channel": "social"},
}


def plan(files: Sequence[Path], workdir: Path) -> list[Part]:
    """The threads as tickets, then every tweet as a message event (or a quarantined row)."""
    tweets = pa.concat_tables([_read(path) for path in files])
    tickets, events = threads(tweets)
    # One file: its converted tweets keep its name and its record order, so a quarantine
    # message's "twcs.csv row 9" is the file's ninth record.
    single = len(files) == 1
    (workdir / "tweets").mkdir()
    converted = workdir / "tweets" / (files[0].name if single else "tweets.parquet")
    pq.write_table(tickets, workdir / "threads.parquet")
    pq.write_table(events, converted)
    label = files[0].name if single else f"{files[0].name} and {len(files) - 1} more"
    return [
        Part("tickets", workdir / "threads.parquet", TICKETS, "parquet", f"{label} (threads)"),
        Part("ticket_events", converted, EVENTS, "parquet", label),
    ]


def _read(path: Path) -> pa.Table:
    """The file's records in file order: tweets as text, malformed ones with a note."""
    require_columns(path, csv_header(path, EXPECTS), REQUIRED, EXPECTS)
    raw = read_raw(path, "csv")
    names = [*REQUIRED, "text"]
    table = raw.table
    columns = {n: table.column(n) if n in table.column_names
               else pa.nulls(table.num_rows, pa.string()) for n in names}  # fmt: skip
    good = pa.table({**columns, "note": pa.nulls(table.num_rows, pa.string()),
                     "record": pc.cast(table.column(ROW), pa.int64())})  # fmt: skip
    bad = raw.malformed
    malformed = pa.table({
        **{n: pa.nulls(bad.num_rows, pa.string()) for n in names},
        "text": pc.cast(bad.column("value"), pa.string()),
        "note": pa.array([NOTES["malformed"]] * bad.num_rows, pa.string()),
        "record": pc.cast(bad.column("row_number"), pa.int64()),
    })  # fmt: skip
    return pa.concat_tables([good, malformed]).sort_by("record").drop_columns("record")


def threads(tweets: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(tickets, events) of ``tweets`` (text columns of the twcs layout plus ``note``)."""
    con = duckdb.connect()
    try:
        con.register("raw", tweets)
        parsed = con.execute(
            f"""SELECT TRY_CAST(tweet_id AS BIGINT) AS num,
                   TRY_CAST(TRY_CAST(in_response_to_tweet_id AS DOUBLE) AS BIGINT) AS parent,
                   CASE lower(inbound) WHEN 'true' THEN true WHEN 'false' THEN false END
                       AS inbound,
                   try_strptime(created_at, '{DATE_FORMAT}') AS ts
               FROM raw"""
        ).to_arrow_table()
        num = parsed.column("num").fill_null(-1).to_numpy().astype(np.int64)
        parent = parsed.column("parent").fill_null(-1).to_numpy().astype(np.int64)
        valid = pc.is_valid(parsed.column("num")).to_numpy(zero_copy_only=False)
        root, cyclic = thread_roots(parent_positions(num, parent, valid))
        repeated = _repeated(num, valid)
        con.register("tweets", tweets.append_column("pos", pa.array(np.arange(len(num))))
                     .append_column("num", parsed.column("num"))
                     .append_column("inbound_flag", parsed.column("inbound"))
                     .append_column("ts", parsed.column("ts"))
                     .append_column("root", pa.array(root))
                     .append_column("cyclic", pa.array(cyclic))
                     .append_column("repeated", pa.array(repeated)))  # fmt: skip
        con.execute(_FIRST_CUSTOMER_SQL)
        return (con.execute(_TICKETS_SQL).to_arrow_table(),
                con.execute(_EVENTS_SQL, _EVENT_NOTES).to_arrow_table())  # fmt: skip
    finally:
        con.close()


def _repeated(num: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """True for every occurrence of a tweet id after its first."""
    order = np.argsort(num, kind="stable")
    ordered = num[order]
    again = np.zeros(len(num), dtype=bool)
    again[order[1:]] = ordered[1:] == ordered[:-1]
    return again & valid


# Tweets that may start or join a ticket: a usable, unrepeated, acyclic row.
_USABLE = "note IS NULL AND num IS NOT NULL AND NOT repeated AND NOT cyclic"
_FIRST_CUSTOMER_SQL = f"""
CREATE TEMP TABLE first_customer AS
SELECT root, arg_min(pos, (ts, num)) AS first_pos, min(ts) AS first_ts,
       arg_min(num, (ts, num)) AS first_num, arg_min(tweet_id, (ts, num)) AS ticket_id
FROM tweets WHERE {_USABLE} AND inbound_flag AND ts IS NOT NULL GROUP BY root;
CREATE TEMP TABLE brand AS
SELECT t.root, arg_min(t.author_id, (t.ts, t.num)) AS team
FROM tweets t JOIN first_customer f ON f.root = t.root
WHERE {_USABLE} AND NOT t.inbound_flag AND t.ts >= f.first_ts GROUP BY t.root;
"""
_TICKETS_SQL = """
SELECT t.tweet_id AS ticket_id, t.created_at, t.author_id AS customer_id, b.team,
       t.text AS subject
FROM first_customer f JOIN tweets t ON t.pos = f.first_pos LEFT JOIN brand b ON b.root = f.root
ORDER BY f.first_pos
"""
# A cyclic tweet's root is never a thread root, so it finds no first customer tweet.
_EVENTS_SQL = """
SELECT t.tweet_id AS event_id, f.ticket_id, t.created_at AS "at",
       CASE WHEN t.inbound_flag THEN 'customer' ELSE 'agent' END AS actor_type,
       t.author_id AS actor_id, t.text AS body,
       CASE WHEN t.note IS NOT NULL THEN t.note
            WHEN t.num IS NULL THEN $bad_id
            WHEN t.repeated THEN $repeated
            WHEN t.inbound_flag IS NULL THEN $bad_inbound
            WHEN t.cyclic THEN $cycle
            WHEN f.root IS NULL THEN $no_customer
            WHEN t.ts < f.first_ts OR (t.ts = f.first_ts AND NOT t.inbound_flag
                                       AND t.num < f.first_num) THEN $before
       END AS thread_note
FROM tweets t LEFT JOIN first_customer f ON f.root = t.root
ORDER BY t.pos
"""
_EVENT_NOTES = {key: text for key, text in NOTES.items() if key != "malformed"}


PROFILE = Profile(
    name="twitter",
    summary="Twitter: support reply threads in the public twcs layout, one ticket each",
    expects=EXPECTS,
    plan=plan,
)
