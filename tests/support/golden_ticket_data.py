"""The hand-made ticket data sets shared by the two ticket families' golden tables.

``tickets_speed`` (response and resolution times) and ``tickets_outcomes`` (volumes, solves,
backlog, rates) query the same tiny stores, so the stores live here once; every comment names
the rule a row exercises, and the cases in ``tests/kpis/test_golden_tickets_*.py`` work their
answers out from these rows by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from kpi_support import (
    escalation,
    events_frame,
    frame_with_times,
    msg,
    note,
    status,
    ticket,
    tickets_frame,
)

Tables = dict[str, pd.DataFrame]

#: Query ranges the ticket cases share (UTC unless BERLIN is added).
JAN: dict[str, Any] = {"start": "2024-01-01", "end": "2024-02-01"}
FEB: dict[str, Any] = {"start": "2024-02-01", "end": "2024-03-01"}
FEB_WEEKS: dict[str, Any] = {"start": "2024-01-29", "end": "2024-03-04", "grain": "week"}  # Mondays
MAY: dict[str, Any] = {"start": "2024-05-01", "end": "2024-06-01"}  # T = 2024-06-01 00:00 UTC
BERLIN: dict[str, Any] = {"tz": "Europe/Berlin"}


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


# OUTCOMES facts (first solve / last solve if solved now / reopens / public agent replies):
#  S1  02-01 12:00 / 02-01 12:00 / 0 / 1    S2  02-02 11:00 / same / 0 / 2
#  S3  02-03 10:00 / 02-05 09:00 / 1 / 2    S4  02-06 10:00 / 02-07 10:00 / 1 / 1
#  S5  02-08 10:00 / same / 0 / 1           S6  02-09 09:20 / same / 0 / 0
#  S7  02-10 10:00 / - (reopened) / 1 / 1   S8  02-12 09:40 / same / 0 / 2
#  S9  02-13 11:00 (fallback) / same / 0    S10 open, S12 open (fallback)
#  S11 02-15 08:00 (before creation) / same / 0 / 1    S13 03-02 10:00 / same / 0 / 1
# First solved in February: S1-S9, S11 = 10 tickets (9 with events: all but S9).


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
