"""Golden cases for ``supportkpi.metrics.self_service``: self-service, automation, sentiment.

Expected values are worked out by hand in the comments, including the seed 003 examples
(knowledge-base usage 3,000 / 5,000 = 0.6; chatbot interaction rate 1,500 / 4,000 = 37.5%,
here 30 / 50 and 3 / 8). Sentiments are given in the events, as a source may; scoring text
is tested in test_sentiment.py. Each case also runs against the pandas reference.

The KPIs defined in that module and nothing else: ``test_golden_coverage.py`` fails when
one has no case here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from business_reference import business_kpi, rate
from golden import Golden, connections_fixture, mean_row, row, run_golden, run_reference
from kpi_support import (
    Connections,
    events_frame,
    frame_with_times,
    golden_params,
    make_source,
    msg,
    note,
    status,
    ticket,
    tickets_frame,
)

import supportkpi

Tables = dict[str, pd.DataFrame]
JAN = {"start": "2024-01-01", "end": "2024-02-01"}


def kb_data() -> Tables:
    # 40 tickets and 10 answered inbound calls (5 more abandoned) in January; 30 sessions.
    tickets = [ticket(f"T{i:02d}", f"2024-01-{i % 28 + 1:02d} 09:00") for i in range(38)]
    tickets += [
        ticket("C1", "2024-01-10 20:00", customer_id="c1"),  # 10 h after c1's session
        ticket("C2", "2024-01-13 09:00", customer_id="c2"),  # 47 h after c2's session
    ]
    calls = [
        {"call_id": f"k{i}", "offered_at": "2024-01-15 10:00",
         "answered_at": "2024-01-15 10:01" if i < 10 else None}
        for i in range(15)
    ]  # fmt: skip
    sessions = [
        {"session_id": "s1", "at": "2024-01-10 10:00", "customer_id": "c1"},
        {"session_id": "s2", "at": "2024-01-11 10:00", "customer_id": "c2"},
        {"session_id": "s3", "at": "2024-01-12 10:00", "customer_id": "c3"},
    ]
    sessions += [{"session_id": f"x{i}", "at": "2024-01-20 10:00", "customer_id": None}
                 for i in range(27)]  # fmt: skip
    customers = frame_with_times(
        [{"customer_id": c, "created_at": "2023-01-01", "segment": s}
         for c, s in (("c1", "gold"), ("c2", "gold"), ("c3", "silver"))],
        ["created_at"],
    )  # fmt: skip
    return {
        "tickets": tickets_frame(tickets),
        "calls": frame_with_times(calls, ["offered_at", "answered_at"]),
        "kb_sessions": frame_with_times(sessions, ["at"]),
        "customers": customers,
    }


def _said(ticket_id: str, at: str, sentiment: float | None, actor: str = "customer"):
    event = msg(ticket_id, at, actor)
    event["sentiment"] = sentiment
    return event


def bots_data() -> Tables:
    tickets = [
        ticket("B1", "2024-01-02 09:00", "chat", customer_id="c1"),
        ticket("B2", "2024-01-03 09:00", "chat", customer_id="c2", tags=["angry", "refund"]),
        ticket("B3", "2024-01-04 09:00", "chat", customer_id="c3"),
        ticket("T4", "2024-01-05 09:00", "email", customer_id="c1"),
        ticket("T5", "2024-01-06 09:00", "email"),  # no known customer
        ticket("T6", "2024-01-07 09:00", "email", customer_id="c4"),
        ticket("T7", "2024-01-08 09:00", "email", customer_id="c4"),
        ticket("T8", "2024-01-09 09:00", "web", customer_id="c5"),
        ticket("T9", "2024-01-10 09:00", "web", customer_id="c6", tags=["vip"]),  # no events
    ]
    events: list[dict[str, Any]] = [
        # B1: bot only (a private note is not a reply), solved: contained. Angry (-0.8).
        _said("B1", "2024-01-02 09:00", -0.8), msg("B1", "2024-01-02 09:01", "bot"),
        note("B1", "2024-01-02 09:05"), status("B1", "2024-01-02 09:10", "solved"),
        # B2: the bot, then a human agent: not contained. Tagged angry.
        _said("B2", "2024-01-03 09:00", 0.1), msg("B2", "2024-01-03 09:01", "bot"),
        msg("B2", "2024-01-03 09:30", "agent", actor_id="a1"),
        status("B2", "2024-01-03 10:00", "solved"),
        # B3: bot, never solved: not contained. -0.3 is not below -0.5.
        _said("B3", "2024-01-04 09:00", -0.3), msg("B3", "2024-01-04 09:01", "bot"),
        _said("T4", "2024-01-05 09:00", 0.4), msg("T4", "2024-01-05 09:30", "agent"),
        status("T4", "2024-01-05 10:00", "solved"),
        _said("T5", "2024-01-06 09:00", -0.9), msg("T5", "2024-01-06 09:30", "agent"),
        _said("T6", "2024-01-07 09:00", 0.2),
        # An agent's message with a (source-given) sentiment is not a customer's.
        _said("T6", "2024-01-07 09:30", -0.95, actor="agent"),
        _said("T7", "2024-01-08 09:00", None),
        _said("T8", "2024-01-09 09:00", None), msg("T8", "2024-01-09 09:20", "agent"),
    ]  # fmt: skip
    customers = frame_with_times(
        [{"customer_id": c, "created_at": "2023-01-01", "segment": s}
         for c, s in (("c1", "gold"), ("c2", "gold"), ("c3", "silver"), ("c4", "silver"),
                      ("c5", "silver"), ("c6", "gold"))],
        ["created_at"],
    )  # fmt: skip
    frame = events_frame(events)
    frame["sentiment"] = frame["sentiment"].astype("float64")
    return {"tickets": tickets_frame(tickets), "ticket_events": frame, "customers": customers}


DATASETS = {"kb": kb_data, "bots": bots_data}
SENTIMENTS = [-0.8, 0.1, -0.3, 0.4, -0.9, 0.2]

CASES: list[Golden] = [
    # Seed 003 scaled: 30 sessions / (40 tickets + 10 answered calls) = 0.6; n = sessions.
    Golden("kb-usage-seed", "kb", "kb_usage", JAN, [row(0.6, 30)], spark=True),
    # Sessions of known customers: s1 is followed by c1's ticket 10 h later (failure); c2's
    # ticket comes 47 h after s2 (success); c3 never writes (success): 2 / 3.
    Golden("self-service", "kb", "self_service_success_rate", JAN, [rate(2, 3)]),
    Golden("self-service-48h", "kb", "self_service_success_rate",
           {**JAN, "options": {"self_service_hours": 48}}, [rate(1, 3)]),
    Golden("self-service-by-segment", "kb", "self_service_success_rate",
           {**JAN, "by": ["segment"]}, [rate(1, 2, segment="gold"), rate(1, 1, segment="silver")]),
    # 3 of the 8 tickets with events have a bot message (T9 has no events): 37.5% (seed 003).
    Golden("chatbot-seed", "bots", "chatbot_interaction_rate", JAN, [rate(3, 8)], spark=True),
    Golden("chatbot-by-channel", "bots", "chatbot_interaction_rate", {**JAN, "by": ["channel"]},
           [rate(3, 3, channel="chat"), rate(0, 4, channel="email"), rate(0, 1, channel="web")]),
    # Of B1, B2, B3 only B1 is solved without a human reply: 1 / 3.
    Golden("containment", "bots", "bot_containment_rate", JAN, [rate(1, 3)], spark=True),
    # Customers with a January ticket: c1 (B1 at -0.8: angry), c2 (tag), c3 (-0.3: no), T5's
    # unknown customer (-0.9: angry), c4, c5, c6 (no): 3 / 7.
    Golden("angry", "bots", "angry_customer_rate", JAN, [rate(3, 7)], spark=True),
    Golden("angry-threshold", "bots", "angry_customer_rate",
           {**JAN, "options": {"sentiment_threshold": -0.2}}, [rate(4, 7)]),
    Golden("angry-by-segment", "bots", "angry_customer_rate", {**JAN, "by": ["segment"]},
           [rate(2, 3, segment="gold"), rate(0, 3, segment="silver"), rate(1, 1, segment=None)]),
    # Customer messages with a sentiment: -0.8, 0.1, -0.3, 0.4, -0.9, 0.2 (the agent's -0.95
    # is not a customer's): mean -1.3 / 6.
    Golden("sentiment", "bots", "customer_sentiment", JAN, [mean_row(SENTIMENTS)], spark=True),
    # chat: -0.8, 0.1, -0.3; email: 0.4, -0.9, 0.2.
    Golden("sentiment-by-channel", "bots", "customer_sentiment", {**JAN, "by": ["channel"]},
           [{**mean_row([-0.8, 0.1, -0.3]), "channel": "chat"},
            {**mean_row([0.4, -0.9, 0.2]), "channel": "email"}]),
]  # fmt: skip


connections = connections_fixture(DATASETS, "self-service")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, business_kpi)


def test_a_source_without_the_sentiment_column_still_works(tmp_path: Path) -> None:
    # A Parquet export made before ticket_events had a sentiment: only tags make anyone angry.
    import pyarrow.parquet as pq

    folder = Path(make_source(tmp_path, bots_data(), "pyspark"))  # a Parquet folder
    events = folder / "ticket_events.parquet"
    pq.write_table(pq.read_table(events).drop(["sentiment"]), events)
    with supportkpi.connect(str(folder)) as con:
        frame = con.kpi(["angry_customer_rate", "customer_sentiment"], **JAN).set_index("metric")
    assert frame.loc["angry_customer_rate", "value"] == pytest.approx(1 / 7)  # c2's tag
    assert frame.loc["customer_sentiment", "n"] == 0
