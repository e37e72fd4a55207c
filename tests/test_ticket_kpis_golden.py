"""Golden cases for the ticket KPIs: tiny data sets, answers computed by hand.

Every expected value below was worked out on paper from docs/ticket-kpis.md; the comment next
to it shows the arithmetic (durations in seconds: 1 h = 3600, 1 d = 86400). Each case runs
against the library (DuckDB, plus a representative subset on PySpark) and against the
independent pandas reference in ``ticket_reference.py``, so a disagreement points at whichever
side misreads the doc. Wilson intervals use z = 1.959964 (z² = 3.841459).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from kpi_support import (
    assert_same_rows,
    escalation,
    events_frame,
    frame_with_times,
    is_missing,
    make_source,
    msg,
    note,
    result_keys,
    status,
    ticket,
    tickets_frame,
)
from ticket_reference import reference_kpi

import supportkpi

Tables = dict[str, pd.DataFrame]


# -- data set SPEED: first response, response time, unanswered (January 2024, UTC) -------------
def speed_data() -> Tables:
    """Nine tickets; the comments name the rule each one exercises."""
    tickets = [
        # T1: a bot answers first (not a response); the fallback column is wrong on purpose
        # (09:01, the bot) and must lose to the events.
        ticket("T1", "2024-01-02 09:00", "email", first_response_at="2024-01-02 09:01"),
        ticket("T2", "2024-01-02 10:00", "chat"),  # a note and a private reply come first
        ticket("T3", "2024-01-03 08:00", "email"),  # agent-created (outbound)
        ticket("T4", "2024-01-03 12:00", "phone", first_response_at="2024-01-03 13:00"),  # no events
        # T5: unanswered: only a bot and a note; the fallback column must be ignored.
        ticket("T5", "2024-01-04 10:00", "email", first_response_at="2024-01-04 10:01"),
        ticket("T6", "2024-01-04 11:00", "social"),
        ticket("T7", "2024-01-05 10:00", "web", first_response_at="2024-01-05 09:00"),  # time travel
        ticket("T8", "2024-01-05 12:00", "chat"),  # customer writes 10 min after creation
        ticket("T9", "2024-01-06 09:00", "web"),  # no events, no first_response_at: unanswered
    ]
    events = [
        msg("T1", "2024-01-02 09:00", "customer"),
        msg("T1", "2024-01-02 09:01", "bot"),
        msg("T1", "2024-01-02 09:10", "agent", actor_id="a1"),
        msg("T1", "2024-01-02 10:00", "customer"),  # second run starts here...
        msg("T1", "2024-01-02 10:02", "bot"),  # ...a bot neither closes nor breaks it...
        msg("T1", "2024-01-02 10:05", "customer"),
        msg("T1", "2024-01-02 10:30", "agent", actor_id="a1"),  # ...closed here
        msg("T2", "2024-01-02 10:00", "customer"),
        note("T2", "2024-01-02 10:02"),
        msg("T2", "2024-01-02 10:03", "agent", public=False, actor_id="a1"),
        msg("T2", "2024-01-02 10:20", "agent", actor_id="a1"),
        msg("T3", "2024-01-03 08:00", "agent", actor_id="a2"),
        msg("T3", "2024-01-03 09:00", "customer"),
        msg("T3", "2024-01-03 09:30", "agent", actor_id="a2"),
        msg("T5", "2024-01-04 10:00", "customer"),
        msg("T5", "2024-01-04 10:01", "bot"),
        note("T5", "2024-01-04 10:05"),
        msg("T6", "2024-01-04 11:00", "customer"),
        msg("T6", "2024-01-04 11:05", "agent", actor_id="a2"),
        status("T8", "2024-01-05 12:00", "new", actor="system", actor_id=None),
        msg("T8", "2024-01-05 12:10", "customer"),
        msg("T8", "2024-01-05 12:40", "agent", actor_id="a1"),
    ]
    return {"tickets": tickets_frame(tickets), "ticket_events": events_frame(events)}


# -- data set OUTCOMES: solves, reopens, backlog, FCR, rates (February 2024, UTC) --------------
def outcomes_data() -> Tables:
    """Thirteen tickets, three customers, two agents with logged-in time."""
    tickets = [
        # S1's solved_at column is wrong on purpose (events win).
        ticket("S1", "2024-02-01 09:00", "email", customer_id="c1", assignee_id="a1",
               solved_at="2024-02-20 00:00"),
        ticket("S2", "2024-02-02 09:00", "chat", customer_id="c1", assignee_id="a1"),
        ticket("S3", "2024-02-03 09:00", "email", customer_id="c2", assignee_id="a2", reopens=0),
        ticket("S4", "2024-02-06 09:00", "phone", customer_id="c2", assignee_id="a1"),
        ticket("S5", "2024-02-08 09:00", "email", customer_id="c3", assignee_id="a2"),
        ticket("S6", "2024-02-09 09:00", "chat", customer_id="c1", assignee_id="a1",
               escalated=False),
        ticket("S7", "2024-02-10 09:00", "web", customer_id="c3", assignee_id="a2",
               solved_at="2024-02-10 10:00"),
        ticket("S8", "2024-02-12 09:00", "email", customer_id=None, assignee_id="a1"),
        ticket("S9", "2024-02-13 09:00", "phone", customer_id="c2", assignee_id="a2",
               solved_at="2024-02-13 11:00", reopens=None, escalated=True),
        ticket("S10", "2024-02-14 09:00", "email", customer_id="c3", assignee_id="a1"),
        ticket("S11", "2024-02-15 09:00", "chat", customer_id="c2", assignee_id="a2"),
        ticket("S12", "2024-02-18 09:00", "web", customer_id="c1", assignee_id="a1",
               reopens=None, escalated=None),
        ticket("S13", "2024-02-20 09:00", "email", customer_id="c3", assignee_id="a2"),
    ]  # fmt: skip
    events = [
        # S1: one reply, solved; 'closed' after 'solved' is not a second solve.
        msg("S1", "2024-02-01 09:00", "customer"),
        msg("S1", "2024-02-01 10:00", "agent", actor_id="a1"),
        status("S1", "2024-02-01 12:00", "solved", actor_id="a1"),
        status("S1", "2024-02-04 12:00", "closed", actor="system", actor_id=None),
        # S2: two replies with a customer follow-up; assigned to a1 but solved by a2.
        msg("S2", "2024-02-02 09:00", "customer"),
        msg("S2", "2024-02-02 09:30", "agent", actor_id="a1"),
        msg("S2", "2024-02-02 10:00", "customer"),
        msg("S2", "2024-02-02 10:30", "agent", actor_id="a1"),
        status("S2", "2024-02-02 11:00", "solved", actor_id="a2"),
        # S3: explicit reopen (open again 02-04 09:05 .. 02-05 09:00).
        msg("S3", "2024-02-03 09:00", "customer"),
        msg("S3", "2024-02-03 09:20", "agent", actor_id="a2"),
        status("S3", "2024-02-03 10:00", "solved", actor_id="a2"),
        msg("S3", "2024-02-04 09:00", "customer"),
        status("S3", "2024-02-04 09:05", "open", actor="system", actor_id=None),
        msg("S3", "2024-02-04 10:00", "agent", actor_id="a2"),
        status("S3", "2024-02-05 09:00", "solved", actor_id="a2"),
        # S4: solved twice without a reopen in between: 2 solves, 1 reopen.
        msg("S4", "2024-02-06 09:00", "customer"),
        msg("S4", "2024-02-06 09:10", "agent", actor_id="a1"),
        status("S4", "2024-02-06 10:00", "solved", actor_id="a1"),
        status("S4", "2024-02-07 10:00", "solved", actor_id="a1"),
        # S5: customer thanks after the reply; 'closed' with no earlier status is a solve,
        # by the system, so the solver is the assignee a2.
        msg("S5", "2024-02-08 09:00", "customer"),
        msg("S5", "2024-02-08 09:15", "agent", actor_id="a2"),
        msg("S5", "2024-02-08 09:30", "customer"),
        status("S5", "2024-02-08 10:00", "closed", actor="system", actor_id=None),
        # S6: escalated, answered by a bot only, solved by the system (solver a1).
        msg("S6", "2024-02-09 09:00", "customer"),
        msg("S6", "2024-02-09 09:01", "bot"),
        escalation("S6", "2024-02-09 09:05"),
        status("S6", "2024-02-09 09:20", "solved", actor="system", actor_id=None),
        # S7: solved, then reopened (pending) and never solved again: open now.
        msg("S7", "2024-02-10 09:00", "customer"),
        msg("S7", "2024-02-10 09:30", "agent", actor_id="a2"),
        status("S7", "2024-02-10 10:00", "solved", actor_id="a2"),
        status("S7", "2024-02-11 09:00", "pending", actor_id="a2"),
        # S8: two agent messages in a row, no customer follow-up, unknown customer.
        msg("S8", "2024-02-12 09:00", "customer"),
        msg("S8", "2024-02-12 09:10", "agent", actor_id="a1"),
        msg("S8", "2024-02-12 09:20", "agent", actor_id="a1"),
        status("S8", "2024-02-12 09:40", "solved", actor_id="a1"),
        # S10: answered, never solved.
        msg("S10", "2024-02-14 09:00", "customer"),
        msg("S10", "2024-02-14 09:30", "agent", actor_id="a1"),
        # S11: time travel: solved at 08:00, an hour before its creation.
        status("S11", "2024-02-15 08:00", "solved", actor_id="a2"),
        msg("S11", "2024-02-15 09:00", "customer"),
        msg("S11", "2024-02-15 09:05", "agent", actor_id="a2"),
        # S13: first solved in March.
        msg("S13", "2024-02-20 09:00", "customer"),
        msg("S13", "2024-02-20 09:30", "agent", actor_id="a2"),
        status("S13", "2024-03-02 10:00", "solved", actor_id="a2"),
    ]
    customers = frame_with_times(
        [
            {"customer_id": "c1", "created_at": "2023-01-01", "segment": "smb"},
            {"customer_id": "c2", "created_at": "2023-01-01", "segment": "enterprise"},
            {"customer_id": "c3", "created_at": "2023-01-01", "segment": "smb"},
        ],
        ["created_at"],
    )
    activity = frame_with_times(
        [
            {"agent_id": "a1", "start_at": "2024-02-01 08:00", "end_at": "2024-02-01 12:00",
             "state": "available"},  # 4 h
            {"agent_id": "a1", "start_at": "2024-02-01 12:00", "end_at": "2024-02-01 13:00",
             "state": "offline"},  # not logged in
            {"agent_id": "a1", "start_at": "2024-02-06 08:00", "end_at": "2024-02-06 10:00",
             "state": "handling"},  # 2 h
            {"agent_id": "a2", "start_at": "2024-02-02 08:00", "end_at": "2024-02-02 14:00",
             "state": "available"},  # 6 h
            {"agent_id": "a2", "start_at": "2024-02-08 08:00", "end_at": "2024-02-08 10:00",
             "state": "break"},  # 2 h (logged in: any state but offline)
        ],
        ["start_at", "end_at"],
    )  # fmt: skip
    return {
        "tickets": tickets_frame(tickets),
        "ticket_events": events_frame(events),
        "customers": customers,
        "agent_activity": activity,
    }


# -- data set DST: Europe/Berlin buckets across both 2024 changes (tickets without events) -----
def dst_data() -> Tables:
    """CET = UTC+1; CEST = UTC+2 from 2024-03-31 01:00 UTC to 2024-10-27 01:00 UTC."""
    tickets = [
        # D1 23:30 UTC = 00:30 CET on 03-31; answered 01:30 UTC (= 03:30 CEST): 2 h of real time
        # although the wall clock moved 3 h.
        ticket("D1", "2024-03-30 23:30", first_response_at="2024-03-31 01:30",
               solved_at="2024-03-31 10:00"),
        ticket("D2", "2024-03-31 22:30"),  # 00:30 CEST on 04-01
        ticket("D3", "2024-03-31 21:30"),  # 23:30 CEST on 03-31
        ticket("D4", "2024-03-30 22:30"),  # 23:30 CET on 03-30
        ticket("D5", "2024-10-26 22:30"),  # 00:30 CEST on 10-27
        ticket("D6", "2024-10-27 22:30"),  # 23:30 CET on 10-27
        ticket("D7", "2024-10-27 23:30"),  # 00:30 CET on 10-28
        ticket("D8", "2024-10-26 21:30"),  # 23:30 CEST on 10-26
        ticket("D9", "2024-04-30 22:30"),  # 00:30 CEST on 05-01
        # D10 02:30 CEST, answered 02:30 CET (clocks fell back): 3600 s, not 0.
        ticket("D10", "2024-10-27 00:30", first_response_at="2024-10-27 01:30"),
    ]  # fmt: skip
    return {"tickets": tickets_frame(tickets)}


# -- data set BANDS: backlog age band edges at T = 2024-06-01 00:00 UTC (no events) ------------
def bands_data() -> Tables:
    tickets = [
        ticket("B1", "2024-05-31 00:00:01"),  # age 86399 -> 0-1d
        ticket("B2", "2024-05-31 00:00:00"),  # age 86400 -> 1-3d (lower bound inclusive)
        ticket("B3", "2024-05-29 00:00:00"),  # age 259200 = 3 d -> 3-7d
        ticket("B4", "2024-05-25 00:00:00"),  # age 604800 = 7 d -> 7-14d
        ticket("B5", "2024-05-18 00:00:00"),  # age 1209600 = 14 d -> >14d
        ticket("B6", "2024-05-18 00:00:01"),  # age 1209599 -> 7-14d
        ticket("B7", "2024-05-10 00:00:00", solved_at="2024-05-20 00:00"),  # solved: not open
        ticket("B8", "2024-06-01 00:00:00"),  # created at T: not created before T
    ]
    return {"tickets": tickets_frame(tickets)}


DATASETS: dict[str, Callable[[], Tables]] = {
    "speed": speed_data,
    "outcomes": outcomes_data,
    "dst": dst_data,
    "bands": bands_data,
}


# -- cases -------------------------------------------------------------------------------------
JAN = {"start": "2024-01-01", "end": "2024-02-01"}
FEB = {"start": "2024-02-01", "end": "2024-03-01"}
FEB_WEEKS = {"start": "2024-01-29", "end": "2024-03-04", "grain": "week"}  # Mondays
BERLIN = {"tz": "Europe/Berlin"}


@dataclass(frozen=True)
class Golden:
    """One query on one data set and the rows it must return."""

    id: str
    data: str
    metric: str
    query: dict[str, Any]
    expected: list[dict[str, Any]]
    spark: bool = False  # also on PySpark (a representative subset: Spark is slow)
    check_n: bool = True
    drop_zero_values: bool = False  # rows whose value is 0 may be absent


def row(value: float | None, n: int, **keys: Any) -> dict[str, Any]:
    return {"value": value, "n": n, **keys}


def rate(k: int, n: int, ci: tuple[float, float], **keys: Any) -> dict[str, Any]:
    return {"value": k / n, "n": n, "ci_low": ci[0], "ci_high": ci[1], **keys}


# FRT samples (SPEED, seconds): T1 09:00->09:10 = 600 (the bot at 09:01 does not count);
# T2 10:00->10:20 = 1200 (note, private reply skipped); T4 12:00->13:00 = 3600 (fallback);
# T6 11:00->11:05 = 300; T8 12:10->12:40 = 1800 (from the customer message, not creation).
# Left out: T3 (agent-created), T5/T9 (unanswered), T7 (09:00 - 10:00 = -3600, time travel).
# Sorted: 300 600 1200 1800 3600.
SPEED_CASES = [
    Golden("frt-median", "speed", "first_response_time", JAN, [row(1200, 5)], spark=True),
    Golden("frt-mean", "speed", "first_response_time:mean", JAN,
           [row(1500, 5)]),  # 7500 / 5
    Golden("frt-p90", "speed", "first_response_time:p90", JAN,
           [row(2880, 5)]),  # rank 0.9*4 = 3.6: 1800 + 0.6*(3600-1800)
    Golden("frt-count", "speed", "first_response_time:count", JAN, [row(5, 5)]),
    Golden("frt-sum", "speed", "first_response_time:sum", JAN, [row(7500, 5)]),
    Golden("frt-by-channel", "speed", "first_response_time", {**JAN, "by": ["channel"]}, [
        row(600, 1, channel="email"),
        row(1500, 2, channel="chat"),  # median(1200, 1800)
        row(3600, 1, channel="phone"),
        row(300, 1, channel="social"),
    ], spark=True),  # web: T7 is time travel, no sample
    Golden("frt-by-day", "speed", "first_response_time", {**JAN, "grain": "day"}, [
        row(900, 2, period="2024-01-02"),  # median(600, 1200)
        row(3600, 1, period="2024-01-03"),
        row(300, 1, period="2024-01-04"),
        row(1800, 1, period="2024-01-05"),
    ]),
    Golden("frt-where-list", "speed", "first_response_time",
           {**JAN, "where": {"channel": ["chat", "email"]}},
           [row(1200, 3)]),  # 600 1200 1800
    Golden("frt-where-scalar", "speed", "first_response_time",
           {**JAN, "where": {"channel": "phone"}}, [row(3600, 1)]),
    Golden("frt-empty", "speed", "first_response_time",
           {"start": "2025-01-01", "end": "2025-02-01"}, [row(None, 0)], spark=True),
    # Runs: T1 [09:00]->09:10 = 600 and [10:00, 10:05]->10:30 = 1800 (the bot at 10:02 neither
    # closes nor breaks the run); T2 1200; T3 [09:00]->09:30 = 1800; T6 300; T8 1800; T5 none.
    # Sorted 300 600 1200 1800 1800 1800: median (1200+1800)/2 = 1500, mean 7500/6 = 1250.
    Golden("response-median", "speed", "response_time", JAN, [row(1500, 6)], spark=True),
    Golden("response-mean", "speed", "response_time:mean", JAN, [row(1250, 6)]),
    Golden("response-by-day", "speed", "response_time", {**JAN, "grain": "day"}, [
        row(1200, 3, period="2024-01-02"),  # median(600, 1800, 1200)
        row(1800, 1, period="2024-01-03"),
        row(300, 1, period="2024-01-04"),
        row(1800, 1, period="2024-01-05"),
    ]),
    Golden("social-frt", "speed", "social_response_time", JAN, [row(300, 1)]),  # T6 only
    # Awaiting a first response: all but T3 (agent-created) = 8; unanswered: T5 (bot + note
    # only, whatever its fallback column says) and T9 (no events, no first_response_at) = 2.
    Golden("unanswered", "speed", "unanswered_tickets", JAN, [row(2, 8)], spark=True),
    Golden("unanswered-by-day", "speed", "unanswered_tickets", {**JAN, "grain": "day"}, [
        row(0, 2, period="2024-01-02"),  # T1, T2: answered; a zero, not an empty bucket
        row(0, 1, period="2024-01-03"),  # T4 (T3 awaits nothing)
        row(1, 2, period="2024-01-04"),  # T5 unanswered, T6 answered
        row(0, 2, period="2024-01-05"),  # T7 (answered, even if before creation), T8
        row(1, 1, period="2024-01-06"),  # T9
    ]),
    Golden("volume-by-channel", "speed", "ticket_volume", {**JAN, "by": ["channel"]}, [
        row(3, 3, channel="email"),  # T1 T3 T5
        row(2, 2, channel="chat"),  # T2 T8
        row(1, 1, channel="phone"),
        row(1, 1, channel="social"),
        row(2, 2, channel="web"),  # T7 T9
    ]),
]  # fmt: skip
