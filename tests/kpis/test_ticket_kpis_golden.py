"""Golden cases for the ticket KPIs: tiny data sets, answers computed by hand.

Every expected value below was worked out on paper from docs/ticket-kpis.md; the comment next
to it shows the arithmetic (durations in seconds: 1 h = 3600, 1 d = 86400). Each case runs
against the library (DuckDB, plus a representative subset on PySpark) and against the
independent pandas reference in ``ticket_reference.py``, so a disagreement points at whichever
side misreads the doc. Wilson intervals use z = 1.959964 (z² = 3.841459).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from golden import Golden, row
from kpi_support import (
    Connections,
    assert_same_rows,
    escalation,
    events_frame,
    frame_with_times,
    golden_params,
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
        # T3: agent-created, but the customer replies: by the doc's rule ("no customer
        # message") it is not agent-initiated, and its wait starts at that reply.
        ticket("T3", "2024-01-03 08:00", "email"),
        ticket(
            "T4", "2024-01-03 12:00", "phone", first_response_at="2024-01-03 13:00"
        ),  # no events
        # T5: unanswered: only a bot and a note; the fallback column must be ignored.
        ticket("T5", "2024-01-04 10:00", "email", first_response_at="2024-01-04 10:01"),
        ticket("T6", "2024-01-04 11:00", "social"),
        ticket(
            "T7", "2024-01-05 10:00", "web", first_response_at="2024-01-05 09:00"
        ),  # time travel
        ticket("T8", "2024-01-05 12:00", "chat"),  # customer writes 10 min after creation
        ticket("T9", "2024-01-06 09:00", "web"),  # no events, no first_response_at: unanswered
        ticket("T10", "2024-01-06 08:00", "email"),  # agent-initiated: awaits no response
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
        msg("T10", "2024-01-06 08:00", "agent", actor_id="a2"),
        msg("T10", "2024-01-06 10:00", "agent", actor_id="a2"),  # not a "response" (7200)
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
JAN: dict[str, Any] = {"start": "2024-01-01", "end": "2024-02-01"}
FEB: dict[str, Any] = {"start": "2024-02-01", "end": "2024-03-01"}
FEB_WEEKS: dict[str, Any] = {"start": "2024-01-29", "end": "2024-03-04", "grain": "week"}  # Mondays
BERLIN: dict[str, Any] = {"tz": "Europe/Berlin"}


def rate(k: int, n: int, ci: tuple[float, float], **keys: Any) -> dict[str, Any]:
    return {"value": k / n, "n": n, "ci_low": ci[0], "ci_high": ci[1], **keys}


# FRT samples (SPEED, seconds): T1 09:00->09:10 = 600 (the bot at 09:01 does not count);
# T2 10:00->10:20 = 1200 (note, private reply skipped); T3 09:00->09:30 = 1800 (from the
# customer's reply); T4 12:00->13:00 = 3600 (fallback); T6 11:00->11:05 = 300; T8 12:10->12:40
# = 1800 (from the customer message, not creation). Left out: T10 (agent-initiated), T5/T9
# (unanswered), T7 (09:00 - 10:00 = -3600, time travel). Sorted: 300 600 1200 1800 1800 3600.
SPEED_CASES = [
    Golden("frt-median", "speed", "first_response_time", JAN,
           [row(1500, 6)], spark=True),  # (1200 + 1800) / 2
    Golden("frt-mean", "speed", "first_response_time:mean", JAN,
           [row(1550, 6)]),  # 9300 / 6
    Golden("frt-p90", "speed", "first_response_time:p90", JAN,
           [row(2700, 6)]),  # rank 0.9*5 = 4.5: 1800 + 0.5*(3600-1800)
    Golden("frt-count", "speed", "first_response_time:count", JAN, [row(6, 6)]),
    Golden("frt-sum", "speed", "first_response_time:sum", JAN, [row(9300, 6)]),
    Golden("frt-by-channel", "speed", "first_response_time", {**JAN, "by": ["channel"]}, [
        row(1200, 2, channel="email"),  # median(600, 1800)
        row(1500, 2, channel="chat"),  # median(1200, 1800)
        row(3600, 1, channel="phone"),
        row(300, 1, channel="social"),
    ], spark=True),  # web: T7 is time travel, T9 unanswered: no sample
    Golden("frt-by-day", "speed", "first_response_time", {**JAN, "grain": "day"}, [
        row(900, 2, period="2024-01-02"),  # median(600, 1200)
        row(2700, 2, period="2024-01-03"),  # median(1800, 3600)
        row(300, 1, period="2024-01-04"),
        row(1800, 1, period="2024-01-05"),
    ]),
    Golden("frt-where-list", "speed", "first_response_time",
           {**JAN, "where": {"channel": ["chat", "email"]}},
           [row(1500, 4)]),  # 600 1200 1800 1800
    Golden("frt-where-scalar", "speed", "first_response_time",
           {**JAN, "where": {"channel": "phone"}}, [row(3600, 1)]),
    Golden("frt-empty", "speed", "first_response_time",
           {"start": "2025-01-01", "end": "2025-02-01"}, [row(None, 0)], spark=True),
    # Runs: T1 [09:00]->09:10 = 600 and [10:00, 10:05]->10:30 = 1800 (the bot at 10:02 neither
    # closes nor breaks the run); T2 1200; T3 [09:00]->09:30 = 1800; T6 300; T8 1800; T5 and
    # T10 none. Sorted 300 600 1200 1800 1800 1800: median 1500, mean 7500/6 = 1250.
    Golden("response-median", "speed", "response_time", JAN, [row(1500, 6)]),
    Golden("response-mean", "speed", "response_time:mean", JAN, [row(1250, 6)]),
    Golden("response-by-day", "speed", "response_time", {**JAN, "grain": "day"}, [
        row(1200, 3, period="2024-01-02"),  # median(600, 1800, 1200)
        row(1800, 1, period="2024-01-03"),
        row(300, 1, period="2024-01-04"),
        row(1800, 1, period="2024-01-05"),
    ]),
    Golden("social-frt", "speed", "social_response_time", JAN, [row(300, 1)]),  # T6 only
    # Awaiting a first response: all but T10 (agent-initiated) = 9; unanswered: T5 (bot + note
    # only, whatever its fallback column says) and T9 (no events, no first_response_at) = 2.
    Golden("unanswered", "speed", "unanswered_tickets", JAN, [row(2, 9)], spark=True),
    Golden("unanswered-by-day", "speed", "unanswered_tickets", {**JAN, "grain": "day"}, [
        row(0, 2, period="2024-01-02"),  # T1, T2: answered; a zero, not an empty bucket
        row(0, 2, period="2024-01-03"),  # T3, T4
        row(1, 2, period="2024-01-04"),  # T5 unanswered, T6 answered
        row(0, 2, period="2024-01-05"),  # T7 (answered, even if before creation), T8
        row(1, 1, period="2024-01-06"),  # T9 (T10 awaits nothing)
    ]),
    Golden("volume-by-channel", "speed", "ticket_volume", {**JAN, "by": ["channel"]}, [
        row(4, 4, channel="email"),  # T1 T3 T5 T10
        row(2, 2, channel="chat"),  # T2 T8
        row(1, 1, channel="phone"),
        row(1, 1, channel="social"),
        row(2, 2, channel="web"),  # T7 T9
    ]),
]  # fmt: skip

# OUTCOMES facts (first solve / last solve if solved now / reopens / public agent replies):
#  S1  02-01 12:00 / 02-01 12:00 / 0 / 1    S2  02-02 11:00 / same / 0 / 2
#  S3  02-03 10:00 / 02-05 09:00 / 1 / 2    S4  02-06 10:00 / 02-07 10:00 / 1 / 1
#  S5  02-08 10:00 / same / 0 / 1           S6  02-09 09:20 / same / 0 / 0
#  S7  02-10 10:00 / - (reopened) / 1 / 1   S8  02-12 09:40 / same / 0 / 2
#  S9  02-13 11:00 (fallback) / same / 0    S10 open, S12 open (fallback)
#  S11 02-15 08:00 (before creation) / same / 0 / 1    S13 03-02 10:00 / same / 0 / 1
# First solved in February: S1-S9, S11 = 10 tickets (9 with events: all but S9).
OUTCOME_CASES = [
    Golden("solved", "outcomes", "tickets_solved", FEB, [row(10, 10)]),
    Golden("solved-where-email", "outcomes", "tickets_solved",
           {**FEB, "where": {"channel": "email"}}, [row(4, 4)]),  # S1 S3 S5 S8
    Golden("volume-month-by-channel", "outcomes", "ticket_volume",
           {**FEB, "grain": "month", "by": ["channel"]}, [
        row(6, 6, period="2024-02-01", channel="email"),  # S1 S3 S5 S8 S10 S13
        row(3, 3, period="2024-02-01", channel="chat"),  # S2 S6 S11
        row(2, 2, period="2024-02-01", channel="phone"),  # S4 S9
        row(2, 2, period="2024-02-01", channel="web"),  # S7 S12
    ]),
    # first_resolution_time: S1 10800, S2 7200, S3 3600, S4 3600, S5 3600, S6 1200, S7 3600,
    # S8 2400, S9 7200 (S11 -3600 left out). Sorted 1200 2400 3600x4 7200x2 10800:
    # median 3600; mean 43200/9 = 4800.
    Golden("first-resolution-median", "outcomes", "first_resolution_time", FEB, [row(3600, 9)]),
    Golden("first-resolution-mean", "outcomes", "first_resolution_time:mean", FEB,
           [row(4800, 9)]),
    # resolution_time (solved now): S1 10800, S2 7200, S3 172800 (02-03 09:00 -> 02-05 09:00),
    # S4 90000 (25 h), S5 3600, S6 1200, S8 2400, S9 7200; S7 reopened, S11 time travel.
    # Sorted 1200 2400 3600 7200 7200 10800 90000 172800: median 7200; mean 295200/8 = 36900.
    Golden("resolution-median", "outcomes", "resolution_time", FEB, [row(7200, 8)]),
    Golden("resolution-mean", "outcomes", "resolution_time:mean", FEB, [row(36900, 8)]),
    # Dated at the last solve: S3 moves to the week of 02-05; S13 (954000 s) to 02-26.
    Golden("resolution-count-weekly", "outcomes", "resolution_time:count", FEB_WEEKS, [
        row(2, 2, period="2024-01-29"),  # S1 S2
        row(4, 4, period="2024-02-05"),  # S3 S4 S5 S6
        row(2, 2, period="2024-02-12"),  # S8 S9
        row(1, 1, period="2024-02-26"),  # S13
    ]),
    # reopens >= 1: S3 (explicit), S4 (solved twice), S7 (open again) -> 3/10.
    # Wilson: centre (0.3 + 3.841459/20)/1.3841459 = 0.355507,
    # half 1.959964*sqrt(0.021 + 3.841459/400)/1.3841459 = 0.247715.
    Golden("reopen-rate", "outcomes", "reopen_rate", FEB,
           [rate(3, 10, (0.10779, 0.60322))]),
    Golden("reopens", "outcomes", "reopens", FEB, [row(3, 3)]),
    # FCR over the 9 with events. one_touch (1 reply, no reopen): S1 S5 S11 = 3/9;
    # Wilson centre (1/3 + 3.841459/18)/1.426829 = 0.383191, half 0.262607.
    Golden("fcr-one-touch", "outcomes", "fcr_rate", FEB,
           [rate(3, 9, (0.12058, 0.64580))], spark=True),
    # zendesk (< 2 replies): S1 S5 S6 (0 replies) S11 = 4/9; centre 0.461064, half 0.272285.
    Golden("fcr-zendesk", "outcomes", "fcr_rate", {**FEB, "options": {"fcr": "zendesk"}},
           [rate(4, 9, (0.18878, 0.73335))]),
    # no_customer_followup on email/phone (S1 S3 S4 S5 S8): S1 yes; S3, S4 reopened; S5 the
    # customer wrote at 09:30 after the 09:15 reply; S8 yes (two replies, no customer after)
    # -> 2/5; centre (0.4 + 0.384146)/1.768292 = 0.443448, half 0.325827.
    Golden("fcr-no-followup", "outcomes", "fcr_rate",
           {**FEB, "where": {"channel": ["email", "phone"]},
            "options": {"fcr": "no_customer_followup"}},
           [rate(2, 5, (0.11762, 0.76928))], spark=True),
    # Public customer + agent messages: S1 2, S2 4, S3 4, S4 2, S5 3, S6 1 (bot not counted),
    # S7 2, S8 3, S11 2 -> 23/9.
    Golden("interactions", "outcomes", "interactions_per_ticket", FEB, [row(23 / 9, 9)]),
    # Escalated: S6 (event; its column says False) and S9 (fallback column) -> 2/13.
    Golden("escalation", "outcomes", "escalation_rate", FEB,
           [rate(2, 13, (0.04326, 0.42235))]),
    Golden("escalation-by-segment", "outcomes", "escalation_rate",
           {**FEB, "by": ["segment"], "where": {"segment": ["smb", "enterprise"]}}, [
        # smb = c1 + c3: S1 S2 S6 S12 S5 S7 S10 S13, escalated S6 -> 1/8
        rate(1, 8, (0.02242, 0.47089), segment="smb"),
        # enterprise = c2: S3 S4 S9 S11, escalated S9 -> 1/4
        rate(1, 4, (0.04559, 0.69936), segment="enterprise"),
    ]),
    # Created in February: 13; first solved before 03-01: all but S10, S12 (open), S13 (03-02).
    Golden("resolution-rate", "outcomes", "resolution_rate", FEB,
           [rate(10, 13, (0.49744, 0.91820))], spark=True),
    Golden("resolution-rate-no-end", "outcomes", "resolution_rate", {"start": "2024-02-01"},
           [rate(11, 13, (0.57765, 0.95674))]),  # S13 counts when the report has no end
    # Repeat within 7 d of the first solve (same customer, another ticket created in
    # (solve, solve + 7 d]): S1 (S2), S2 (S6 02-09 09:00 <= 02-09 11:00), S3 (S4), S4 (S9 at
    # 02-13 09:00 <= 10:00), S5 (S7), S7 (S10), S9 (S11); not S6 (S12 is 9 d later), not S11
    # (only itself follows its 08:00 solve). S8 has no customer: n = 9.
    Golden("repeat-contact", "outcomes", "repeat_contact_rate", FEB,
           [rate(7, 9, (0.45259, 0.93677))]),
    Golden("repeat-contact-3d", "outcomes", "repeat_contact_rate",
           {**FEB, "options": {"repeat_contact_days": 3}},
           [rate(4, 9, (0.18878, 0.73335))]),  # S1 S3 S5 S9
    # 1 - 7/9 = 2/9; interval mirrored: (1 - 0.93677, 1 - 0.45259).
    Golden("next-issue-avoidance", "outcomes", "next_issue_avoidance", FEB,
           [rate(2, 9, (0.06323, 0.54741))]),
    # Solvers: a1 = S1 S4 S8 (agent actor) + S6 (system solve -> assignee) = 4 over 4+2 h;
    # a2 = S2 (solved by a2 though assigned to a1) S3 S7 S11 + S5 (system) + S9 (fallback)
    # = 6 over 6+2 h (the break counts; a1's offline hour does not). Overall 10/14.
    Golden("solved-per-hour", "outcomes", "tickets_solved_per_hour", FEB, [row(10 / 14, 10)],
           check_n=False),
    Golden("solved-per-hour-by-agent", "outcomes", "tickets_solved_per_hour",
           {**FEB, "by": ["agent"]}, [
        row(4 / 6, 4, agent="a1"),
        row(6 / 8, 6, agent="a2"),
    ], spark=True, check_n=False),
    # Backlog at 03-01 00:00: S7 (reopened), S10, S12 (fallback, unsolved), S13 (solved 03-02).
    # n is the population, all tickets created before T: S1..S13 = 13.
    Golden("backlog", "outcomes", "backlog", FEB, [row(4, 13)]),
    Golden("backlog-weekly", "outcomes", "backlog", FEB_WEEKS, [
        # at 02-05: S3, reopened 02-04, solved again 02-05 09:00; n S1-S3
        row(1, 3, period="2024-01-29"),
        row(1, 7, period="2024-02-05"),  # at 02-12: S7 (pending since 02-11); n S1-S7
        row(3, 12, period="2024-02-12"),  # at 02-19: S7 S10 S12; n S1-S12
        row(4, 13, period="2024-02-19"),  # at 02-26: + S13; n all 13
        row(3, 13, period="2024-02-26"),  # at 03-04: S13 solved 03-02
    ], spark=True),
    # created - first solved: 13 - 10 (n is not defined by the doc; here 13 + 10, unchecked).
    Golden("backlog-change", "outcomes", "backlog_change", FEB, [row(3, 23)], check_n=False),
    Golden("backlog-change-weekly", "outcomes", "backlog_change", FEB_WEEKS, [
        # 01-29: 3 - 3 = 0 (the backlog went 0 -> 1 through S3's reopen, ignored here);
        # 02-05: 4 - 4 = 0; zero weeks may be absent.
        row(2, 8, period="2024-02-12"),  # created S8-S12 (5) - solved S8 S9 S11 (3)
        row(1, 1, period="2024-02-19"),  # created S13
        row(-1, 1, period="2024-02-26"),  # S13 first solved 03-02
    ], check_n=False, drop_zero_values=True),
    # Open at 02-21 00:00 with ages: S13 15 h = 54000 (0-1d), S12 2 d 15 h = 226800 (1-3d),
    # S10 6 d 15 h = 572400 (3-7d), S7 10 d 15 h = 918000 (7-14d).
    Golden("backlog-age-bands", "outcomes", "backlog_age",
           {"start": "2024-02-01", "end": "2024-02-21"}, [
        row(1, 4, age_band="0-1d"),
        row(1, 4, age_band="1-3d"),
        row(1, 4, age_band="3-7d"),
        row(1, 4, age_band="7-14d"),
    ], drop_zero_values=True),
    Golden("backlog-age-median", "outcomes", "backlog_age:median",
           {"start": "2024-02-01", "end": "2024-02-21"},
           [row(399600, 4)]),  # (226800 + 572400) / 2
    # At 03-01: S7 19 d 15 h, S10 15 d 15 h (>14d); S12 11 d 15 h, S13 9 d 15 h (7-14d).
    Golden("backlog-age-bands-feb", "outcomes", "backlog_age", FEB, [
        row(2, 4, age_band=">14d"),
        row(2, 4, age_band="7-14d"),
    ], spark=True, drop_zero_values=True),
    # cohort="created" re-dates solves by creation: S13 (created 02-20) lands in the week of
    # 02-19 instead of 02-26.
    Golden("solved-cohort-created", "outcomes", "tickets_solved",
           {**FEB_WEEKS, "cohort": "created"}, [
        row(3, 3, period="2024-01-29"),  # S1 S2 S3
        row(4, 4, period="2024-02-05"),  # S4 S5 S6 S7
        row(3, 3, period="2024-02-12"),  # S8 S9 S11 (S10, S12 never solved)
        row(1, 1, period="2024-02-19"),  # S13
    ], spark=True),
    Golden("solved-cohort-event", "outcomes", "tickets_solved", FEB_WEEKS, [
        row(3, 3, period="2024-01-29"),
        row(4, 4, period="2024-02-05"),
        row(3, 3, period="2024-02-12"),  # S11 first solved 02-15 08:00
        row(1, 1, period="2024-02-26"),  # S13 first solved 03-02
    ]),
    # S13: 02-20 09:00 -> 03-02 10:00 = 11 d 1 h = 950400 + 3600 = 954000.
    Golden("first-resolution-cohort-created", "outcomes", "first_resolution_time",
           {"start": "2024-02-19", "end": "2024-02-26", "cohort": "created"},
           [row(954000, 1)]),
    Golden("first-resolution-cohort-event-empty", "outcomes", "first_resolution_time",
           {"start": "2024-02-19", "end": "2024-02-26"}, [row(None, 0)]),
]  # fmt: skip

DST_CASES = [
    Golden("volume-berlin-spring", "dst", "ticket_volume",
           {"start": "2024-03-30", "end": "2024-04-02", "grain": "day", **BERLIN}, [
        row(1, 1, period="2024-03-30"),  # D4
        row(2, 2, period="2024-03-31"),  # D1 D3
        row(1, 1, period="2024-04-01"),  # D2
    ], spark=True),
    Golden("volume-utc-spring", "dst", "ticket_volume",
           {"start": "2024-03-30", "end": "2024-04-02", "grain": "day"}, [
        row(2, 2, period="2024-03-30"),  # D4 D1
        row(2, 2, period="2024-03-31"),  # D3 D2
    ]),
    Golden("volume-berlin-autumn", "dst", "ticket_volume",
           {"start": "2024-10-26", "end": "2024-10-29", "grain": "day", **BERLIN}, [
        row(1, 1, period="2024-10-26"),  # D8
        row(3, 3, period="2024-10-27"),  # D5 D10 D6
        row(1, 1, period="2024-10-28"),  # D7
    ], spark=True),
    Golden("volume-berlin-week", "dst", "ticket_volume",
           {"start": "2024-03-25", "end": "2024-04-08", "grain": "week", **BERLIN}, [
        row(3, 3, period="2024-03-25"),  # D4 D1 D3 (Sunday 03-31 local)
        row(1, 1, period="2024-04-01"),  # D2 (Monday 04-01 local)
    ]),
    Golden("volume-berlin-month", "dst", "ticket_volume",
           {"start": "2024-03-01", "end": "2024-06-01", "grain": "month", **BERLIN}, [
        row(3, 3, period="2024-03-01"),
        row(1, 1, period="2024-04-01"),
        row(1, 1, period="2024-05-01"),  # D9: 04-30 22:30 UTC is 05-01 local
    ]),
    Golden("volume-utc-month", "dst", "ticket_volume",
           {"start": "2024-03-01", "end": "2024-06-01", "grain": "month"}, [
        row(4, 4, period="2024-03-01"),
        row(1, 1, period="2024-04-01"),
    ]),
    Golden("frt-berlin-dst", "dst", "first_response_time",
           {"start": "2024-03-01", "end": "2024-11-01", "grain": "day", **BERLIN}, [
        row(7200, 1, period="2024-03-31"),  # D1: real seconds, not wall-clock 3 h
        row(3600, 1, period="2024-10-27"),  # D10: wall clock shows 0
    ], spark=True),
    Golden("backlog-berlin-day", "dst", "backlog",
           {"start": "2024-03-30", "end": "2024-04-02", "grain": "day", **BERLIN}, [
        row(1, 1, period="2024-03-30"),  # T = 03-30 23:00 UTC: D4; n D4
        row(2, 3, period="2024-03-31"),  # T = 03-31 22:00 UTC: D4 D3 (D1 solved); n D4 D1 D3
        row(3, 4, period="2024-04-01"),  # T = 04-01 22:00 UTC: D4 D3 D2; n + D2
    ], spark=True),
    Golden("backlog-utc-day", "dst", "backlog",
           {"start": "2024-03-30", "end": "2024-04-02", "grain": "day"}, [
        row(2, 2, period="2024-03-30"),  # T = 03-31 00:00: D4, D1 (solved 10:00 later); n 2
        row(3, 4, period="2024-03-31"),  # D4 D3 D2; n D4 D1 D3 D2
        row(3, 4, period="2024-04-01"),
    ]),
]  # fmt: skip

MAY: dict[str, Any] = {"start": "2024-05-01", "end": "2024-06-01"}  # T = 2024-06-01 00:00 UTC
BAND_CASES = [
    Golden("bands-edges", "bands", "backlog_age", MAY, [
        row(1, 6, age_band="0-1d"),  # B1
        row(1, 6, age_band="1-3d"),  # B2
        row(1, 6, age_band="3-7d"),  # B3
        row(2, 6, age_band="7-14d"),  # B4 B6
        row(1, 6, age_band=">14d"),  # B5
    ], spark=True, drop_zero_values=True),
    # Open: not B7 (solved), B8 (created at T); n: B1-B7 created before T.
    Golden("bands-backlog", "bands", "backlog", MAY, [row(6, 7)]),
    # Sorted ages 86399 86400 259200 604800 1209599 1209600: median (259200+604800)/2.
    Golden("bands-median", "bands", "backlog_age:median", MAY, [row(432000, 6)]),
    # Sum 3455998 / 6.
    Golden("bands-mean", "bands", "backlog_age:mean", MAY, [row(3455998 / 6, 6)]),
]  # fmt: skip

CASES = SPEED_CASES + OUTCOME_CASES + DST_CASES + BAND_CASES


# -- running -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def connections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connections]:
    pool = Connections(tmp_path_factory.mktemp("golden"), DATASETS)
    yield pool
    pool.close()


def _check(result: pd.DataFrame, case: Golden, label: str) -> None:
    assert_same_rows(
        result,
        case.expected,
        result_keys(case.query, case.metric),
        check_n=case.check_n,
        check_ci=True,
        drop_zero_values=case.drop_zero_values,
        label=f"{label} {case.id}",
    )


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    con = connections.get(case.data, engine)
    _check(con.kpi([case.metric], **case.query), case, engine)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    # Keeps the pandas reference honest: it must reproduce every hand-computed answer too.
    _check(reference_kpi(DATASETS[case.data](), case.metric, **case.query), case, "reference")


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)])
def test_metric_column_names_the_selector_with_its_default_stat(
    engine: str, connections: Connections
) -> None:
    con = connections.get("speed", engine)
    result = con.kpi(["first_response_time", "first_response_time:p90", "fcr_rate"], **JAN)
    by_metric = {r["metric"]: r for r in result.to_dict("records")}
    assert set(by_metric) == {"first_response_time:median", "first_response_time:p90", "fcr_rate"}
    assert by_metric["first_response_time:median"]["value"] == pytest.approx(1500)
    assert by_metric["first_response_time:p90"]["value"] == pytest.approx(2700)
    # No ticket of SPEED is ever solved: an empty rate is null with n = 0, not 0 %.
    assert is_missing(by_metric["fcr_rate"]["value"])
    assert int(by_metric["fcr_rate"]["n"]) == 0


EMPTY_METRICS = ["first_response_time", "ticket_volume", "fcr_rate", "unanswered_tickets",
                 "response_time:p90", "interactions_per_ticket", "reopen_rate"]  # fmt: skip


def test_empty_range_gives_one_null_row_per_metric(connections: Connections) -> None:
    con = connections.get("speed", "duckdb")
    result = con.kpi(EMPTY_METRICS, start="2030-01-01", end="2030-02-01")
    assert len(result) == len(EMPTY_METRICS)
    assert all(is_missing(v) for v in result["value"])
    assert all(int(n) == 0 for n in result["n"])


def test_periods_are_iso_date_strings(connections: Connections) -> None:
    con = connections.get("dst", "duckdb")
    result = con.kpi(["ticket_volume"], start="2024-03-30", end="2024-04-02", grain="day",
                     tz="Europe/Berlin")  # fmt: skip
    assert sorted(result["period"]) == ["2024-03-30", "2024-03-31", "2024-04-01"]
    assert all(isinstance(p, str) for p in result["period"])


@pytest.mark.spark
def test_two_pyspark_connections_stay_apart(tmp_path: Path) -> None:
    # Two sources open side by side in one process (one Spark session) must not read each
    # other's tables: SPEED has 10 tickets in January, BANDS 7 created in May (B8 is in June).
    speed = make_source(tmp_path / "speed", speed_data(), "pyspark")
    bands = make_source(tmp_path / "bands", bands_data(), "pyspark")
    first = supportkpi.connect(speed, engine="pyspark")
    second = supportkpi.connect(bands, engine="pyspark")
    try:
        # Query in turns: each must keep reading its own source after the other one ran.
        for _ in range(2):
            assert first.kpi(["ticket_volume"], **JAN)["value"].tolist() == [10.0]
            assert second.kpi(["ticket_volume"], **MAY)["value"].tolist() == [7.0]
    finally:
        first.close()
        second.close()
