"""Golden cases for ``supportkpi.metrics.sla`` (SLA compliance) and the at-risk list, on both
engines; the answers are computed by hand.

The connection needs the SLA policies of ``CONFIG``, so the cases run on the ``con`` fixture
(one per engine) through ``golden.run_golden_on`` rather than on a ``Connections`` pool.

Policies (first match applies):
- ``urgent``: priority urgent; first response 1 h, resolution 8 h (calendar time).
- ``enterprise``: segment enterprise; first response 2 h, next response 1 h, business time
  (Mon-Fri 09:00-17:00 UTC).
- ``email``: channel email; first response 4 h, resolution 3 d (calendar time).
Range [2024-01-08, 2024-01-22): "now" is 2024-01-22 00:00 UTC. Jan 8 2024 is a Monday.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from golden import Golden, row, run_golden_on
from kpi_support import (
    ENGINES,
    events_frame,
    make_source,
    msg,
    ticket,
    tickets_frame,
)

import supportkpi
from supportkpi.config.settings import parse_settings
from supportkpi.errors import ConfigError
from supportkpi.report.at_risk import at_risk

CONFIG = {
    "business_hours": {
        "timezone": "UTC",
        "week": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    },
    "sla": [
        {"name": "urgent", "priority": ["urgent"], "first_response": "1h", "resolution": "8h"},
        {
            "name": "enterprise",
            "segment": ["enterprise"],
            "first_response": "2h",
            "next_response": "1h",
            "business_hours": True,
        },
        {"name": "email", "channel": ["email"], "first_response": "4h", "resolution": "3d"},
    ],
}
RANGE = {"start": "2024-01-08", "end": "2024-01-22"}


def _tables() -> dict[str, pd.DataFrame]:
    tickets = [
        # T1 urgent: answered after 30 min (met), solved after 3 h (met).
        ticket("T1", "2024-01-08 09:00", priority="urgent",
               first_response_at="2024-01-08 09:30", solved_at="2024-01-08 12:00"),
        # T2 urgent: answered after 2 h (breached), solved after 24 h (breached).
        ticket("T2", "2024-01-08 09:00", priority="urgent",
               first_response_at="2024-01-08 11:00", solved_at="2024-01-09 09:00"),
        # T3 urgent: never answered, never solved; both overdue by "now" (breached).
        ticket("T3", "2024-01-09 09:00", priority="urgent"),
        # T4 email: created Sun 22:00, 2 h before "now": both targets still running (left out).
        ticket("T4", "2024-01-21 22:00", priority="normal"),
        # T5 enterprise (business time): Fri 16:30 -> Mon 10:00 = 30 + 60 min = 90 min <= 2 h.
        ticket("T5", "2024-01-12 16:30", priority="low", customer_id="big",
               first_response_at="2024-01-15 10:00"),
        # T6 chat, normal, no segment: no policy matches (left out).
        ticket("T6", "2024-01-10 09:00", channel="chat", priority="normal"),
        # T7 enterprise with events: first response 20 min (met); next responses 90 min
        # (breached, > 1 h) and 30 min (met).
        ticket("T7", "2024-01-15 09:00", channel="chat", priority="low", customer_id="big"),
        # T8 enterprise, Fri 16:00 unanswered: 1 business hour used by "now" (running).
        ticket("T8", "2024-01-19 16:00", channel="chat", priority="low", customer_id="big"),
    ]  # fmt: skip
    events = [
        msg("T7", "2024-01-15 09:00", "customer"),
        msg("T7", "2024-01-15 09:20", "agent", actor_id="a1"),
        msg("T7", "2024-01-15 10:00", "customer"),
        msg("T7", "2024-01-15 11:30", "agent", actor_id="a1"),
        msg("T7", "2024-01-15 12:00", "customer"),
        msg("T7", "2024-01-15 12:30", "agent", actor_id="a1"),
        msg("T8", "2024-01-19 16:00", "customer"),
    ]
    customers = pd.DataFrame(
        {"customer_id": ["big"], "created_at": [pd.Timestamp("2023-01-01", tz="UTC")],
         "segment": ["enterprise"]}
    )  # fmt: skip
    return {"tickets": tickets_frame(tickets), "ticket_events": events_frame(events),
            "customers": customers}  # fmt: skip


@pytest.fixture(scope="module", params=ENGINES)
def con(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp(f"sla-{request.param}")
    source = make_source(folder, _tables(), request.param)
    connection = supportkpi.connect(source, engine=request.param, config=parse_settings(CONFIG))
    yield connection
    connection.close()


def test_compliance_per_target_type(con: supportkpi.api.Connection) -> None:
    result = con.kpi(["sla_compliance"], by=["sla_target"], **RANGE)
    got = {r["sla_target"]: (r["value"], r["n"]) for r in result.to_dict("records")}
    assert got == {
        # T1 met, T2 and T3 breached, T5 and T7 met; T4 and T8 running; T6 has no policy.
        "first_response": (pytest.approx(3 / 5), 5),
        # T7: 1 of 2 next responses in time.
        "next_response": (pytest.approx(1 / 2), 2),
        # T1 met; T2 and T3 breached; T4 running.
        "resolution": (pytest.approx(1 / 3), 3),
    }


def test_compliance_overall_and_per_policy(con: supportkpi.api.Connection) -> None:
    overall = con.kpi(["sla_compliance"], **RANGE)
    assert overall["value"].tolist() == [pytest.approx(5 / 10)]
    assert overall["n"].tolist() == [10]
    per_policy = con.kpi(["sla_compliance"], by=["sla_policy"], **RANGE)
    got = {r["sla_policy"]: (r["value"], r["n"]) for r in per_policy.to_dict("records")}
    # urgent: T1 x2 met of 6 targets; enterprise: T5, T7 first + 1 next met of 4.
    assert got == {"urgent": (pytest.approx(2 / 6), 6), "enterprise": (pytest.approx(3 / 4), 4)}


# The golden table of the SLA family: the same hand-computed answers as above, in the shape
# every family's golden table has.
CASES: list[Golden] = [
    Golden(
        "sla-by-target",
        "sla",
        "sla_compliance",
        {**RANGE, "by": ["sla_target"]},
        [
            row(3 / 5, 5, sla_target="first_response"),
            row(1 / 2, 2, sla_target="next_response"),
            row(1 / 3, 3, sla_target="resolution"),
        ],
    ),
    Golden("sla-overall", "sla", "sla_compliance", RANGE, [row(5 / 10, 10)]),
    Golden(
        "sla-by-policy",
        "sla",
        "sla_compliance",
        {**RANGE, "by": ["sla_policy"]},
        [row(2 / 6, 6, sla_policy="urgent"), row(3 / 4, 4, sla_policy="enterprise")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_library_matches_hand_computed_answer(case: Golden, con: supportkpi.api.Connection) -> None:
    run_golden_on(con, case, "library")


def test_at_risk_list(con: supportkpi.api.Connection) -> None:
    now = datetime(2024, 1, 21, 23, 0, tzinfo=UTC)
    # T4 (email): first response due 22:00 + 4 h = 02:00, inside a 4 h horizon (until 03:00).
    soon = at_risk(con, horizon_s=4 * 3600, as_of=now)
    assert soon[["ticket_id", "sla_target"]].values.tolist() == [["T4", "first_response"]]
    assert soon["due_at"].iloc[0] == pd.Timestamp("2024-01-22 02:00", tz="UTC")
    # With 12 h, T8 joins: 1 business hour left from Mon 09:00 -> due Mon 10:00 (< 11:00).
    later = at_risk(con, horizon_s=12 * 3600, as_of=now)
    assert later[["ticket_id", "due_at"]].values.tolist() == [
        ["T4", pd.Timestamp("2024-01-22 02:00", tz="UTC")],
        ["T8", pd.Timestamp("2024-01-22 10:00", tz="UTC")],
    ]


def test_sla_needs_policies(tmp_path: Path) -> None:
    source = make_source(tmp_path, _tables(), "duckdb")
    with supportkpi.connect(source) as plain, pytest.raises(ConfigError, match=r"\[\[sla\]\]"):
        plain.kpi(["sla_compliance"], **RANGE)
