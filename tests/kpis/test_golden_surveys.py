"""Golden cases for ``supportkpi.metrics.surveys``: CSAT, csat_mean, response rate, NPS, CES
and ASAT.

Every expected value is worked out by hand in the comments, including the seeds' worked
examples (CSAT 72 from 43 + 29 of 100, NPS 60 from 70/20/10, CES 3.6 from 180 over 50).
Wilson intervals come from the textbook formula (``wilson`` in ticket_reference), NPS
intervals from 100·sqrt((p + d − (p − d)²)/n), mean intervals from Student t with the sample
standard deviation. Each case also runs against the pandas reference (business_reference).

The KPIs defined in that module and nothing else: ``test_golden_coverage.py`` fails when
one has no case here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from business_reference import business_kpi, rate
from golden import Golden, connections_fixture, mean_row, row, run_golden, run_reference
from kpi_support import Connections, frame_with_times, golden_params, ticket, tickets_frame

Tables = dict[str, pd.DataFrame]
JAN = {"start": "2024-01-01", "end": "2024-02-01"}


def _survey(rid: str, kind: str, score: float | None, responded: str | None, **cols: Any):
    sent = cols.pop("sent_at", None) or (
        str(pd.Timestamp(responded) - pd.Timedelta(days=1)) if responded else "2024-01-05 09:00"
    )
    return {"response_id": rid, "kind": kind, "score": score, "sent_at": sent,
            "responded_at": responded, **cols}  # fmt: skip


def _surveys_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("sent_at", "responded_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True, format="mixed")
    frame["score"] = frame["score"].astype("float64")
    return frame


def _scores(kind: str, counts: dict[int, int], prefix: str) -> list[dict[str, Any]]:
    """``counts`` answered responses per score, answered on 2024-01-10 a minute apart."""
    out, i = [], 0
    for score, n in counts.items():
        for _ in range(n):
            at = pd.Timestamp("2024-01-10 08:00") + pd.Timedelta(minutes=i)
            out.append(_survey(f"{prefix}{i:03d}", kind, score, str(at)))
            i += 1
    return out


# CSAT: 10x1 + 8x2 + 10x3 + 43x4 + 29x5 = 100 responses on a 1-5 scale (seed 001: satisfied
# 43 + very satisfied 29 = 72), plus two scores of 9 (fine at load, off the default 1-5
# scale) and 25 unanswered invitations. NPS: 70 promoters, 20 passives, 10 detractors
# (seed 001). CES: 30x4 + 20x3 = 180 over 50 (seed 003), plus 25 unanswered.
CSAT_COUNTS = {1: 10, 2: 8, 3: 10, 4: 43, 5: 29}
CSAT_SCORES = [s for s, n in CSAT_COUNTS.items() for _ in range(n)]
CES_SCORES = [4] * 30 + [3] * 20


def seeds_data() -> Tables:
    rows = _scores("csat", CSAT_COUNTS, "c")
    rows += [_survey(f"c9{x}", "csat", 9, f"2024-01-11 1{i}:00") for i, x in enumerate("ab")]
    rows += [_survey(f"cu{i:02d}", "csat", None, None) for i in range(25)]
    rows += _scores("nps", {9: 35, 10: 35, 7: 10, 8: 10, 0: 5, 6: 5}, "n")
    rows += _scores("ces", {4: 30, 3: 20}, "e")
    rows += [_survey(f"eu{i:02d}", "ces", None, None) for i in range(25)]
    rows += [_survey("a1", "asat", 1, "2024-01-12 10:00", agent_id="x")]  # not a customer survey
    return {"surveys": _surveys_frame(rows)}


def promoters_data() -> Tables:
    # All promoters: 9, 10, 10, 9, 10 in March.
    scores = [9, 10, 10, 9, 10]
    rows = [_survey(f"p{i}", "nps", s, f"2024-03-0{i + 1} 10:00") for i, s in enumerate(scores)]
    return {"surveys": _surveys_frame(rows)}


def dims_data() -> Tables:
    tickets = [
        ticket("T1", "2024-01-02 09", "email", team="support", assignee_id="a1", customer_id="c1"),
        ticket("T2", "2024-01-03 09", "chat", team="sales", assignee_id="a2", customer_id="c2"),
    ]
    customers = frame_with_times(
        [{"customer_id": c, "created_at": "2023-01-01", "segment": s}
         for c, s in (("c1", "gold"), ("c2", "silver"), ("c3", "bronze"))],
        ["created_at"],
    )  # fmt: skip
    agents = pd.DataFrame({"agent_id": ["a1", "a2", "a3"], "team": ["support", "sales", "billing"]})
    rows = [
        _survey("r1", "csat", 5, "2024-01-04 10:00", ticket_id="T1", customer_id="c1"),
        _survey("r2", "csat", 2, "2024-01-05 10:00", ticket_id="T2", customer_id="c2"),
        _survey("r3", "csat", 4, "2024-01-06 10:00", agent_id="a3", customer_id="c3"),
        # The ticket's assignee (a1) wins over the survey's agent (a2).
        _survey("r4", "csat", 4, "2024-01-07 10:00", ticket_id="T1", agent_id="a2"),
        # ASAT: a1 2 then 5 (latest satisfied), a2 5 then 3 (not), a3 4; a1 1 in February.
        _survey("s1", "asat", 2, "2024-01-10 10:00", agent_id="a1"),
        _survey("s2", "asat", 5, "2024-01-20 10:00", agent_id="a1"),
        _survey("s3", "asat", 5, "2024-01-05 10:00", agent_id="a2"),
        _survey("s4", "asat", 3, "2024-01-25 10:00", agent_id="a2"),
        _survey("s5", "asat", 4, "2024-01-15 10:00", agent_id="a3"),
        _survey("s6", "asat", 1, "2024-02-03 10:00", agent_id="a1"),
    ]
    return {
        "tickets": tickets_frame(tickets),
        "customers": customers,
        "agents": agents,
        "surveys": _surveys_frame(rows),
    }


DATASETS = {"seeds": seeds_data, "promoters": promoters_data, "dims": dims_data}


CASES: list[Golden] = [
    # 72 satisfied (43 fours + 29 fives) / 100 on the 1-5 scale; the two 9s are off the scale.
    Golden("csat-seed", "seeds", "csat", JAN, [rate(72, 100)], spark=True),
    # On a 1-10 scale with satisfied >= 8: only the two 9s are satisfied, of 102.
    Golden("csat-scale10", "seeds", "csat",
           {**JAN, "options": {"csat_scale_max": 10, "csat_satisfied_min": 8}}, [rate(2, 102)]),
    # (10 + 16 + 30 + 172 + 145) / 100 = 3.73.
    Golden("csat-mean", "seeds", "csat_mean", JAN, [mean_row(CSAT_SCORES)]),
    # Answered / sent over csat, nps, ces: (102 + 100 + 50) / (127 + 100 + 75) = 252 / 302.
    Golden("response-rate", "seeds", "survey_response_rate", JAN, [rate(252, 302)]),
    # 100 x (70 - 10) / 100 = 60; var = 100² (0.8 - 0.36) / 100 = 44: 60 ± 1.96 sqrt(44).
    Golden("nps-seed", "seeds", "nps", JAN,
           [{"value": 60.0, "n": 100, "ci_low": 60 - 1.959964 * math.sqrt(44),
             "ci_high": 60 + 1.959964 * math.sqrt(44)}], spark=True),
    # 180 / 50 = 3.6.
    Golden("ces-seed", "seeds", "ces", JAN, [mean_row(CES_SCORES)], spark=True),
    # No responses in February: one null row, n = 0.
    Golden("csat-empty", "seeds", "csat", {"start": "2024-02-01", "end": "2024-03-01"},
           [row(None, 0)]),
    Golden("nps-empty", "seeds", "nps", {"start": "2024-02-01", "end": "2024-03-01"},
           [row(None, 0)]),
    # All promoters: 100, and the interval collapses to [100, 100] (variance 0).
    Golden("nps-all-promoters", "promoters", "nps", {},
           [{"value": 100.0, "n": 5, "ci_low": 100.0, "ci_high": 100.0}], spark=True),
    # Dimensions come from the surveyed ticket (r1, r4: T1 email; r2: T2 chat), else from the
    # survey's agent and customer (r3: a3, team billing from agents, segment bronze).
    Golden("csat-by-channel", "dims", "csat", {"by": ["channel"]}, [
        rate(2, 2, channel="email"), rate(0, 1, channel="chat"), rate(1, 1, channel=None),
    ], spark=True),
    Golden("csat-by-agent", "dims", "csat", {"by": ["agent"]}, [
        rate(2, 2, agent="a1"), rate(0, 1, agent="a2"), rate(1, 1, agent="a3"),
    ]),
    Golden("csat-by-team", "dims", "csat", {"by": ["team"]}, [
        rate(2, 2, team="support"), rate(0, 1, team="sales"), rate(1, 1, team="billing"),
    ]),
    Golden("csat-by-segment", "dims", "csat", {"by": ["segment"]}, [
        rate(2, 2, segment="gold"), rate(0, 1, segment="silver"), rate(1, 1, segment="bronze"),
    ]),
    Golden("csat-where", "dims", "csat", {"where": {"channel": ["email"]}}, [rate(2, 2)]),
    # ASAT January: a1 latest 5 (yes), a2 latest 3 (no), a3 4 (yes) = 2/3; February: a1 1 = 0/1.
    Golden("asat-month", "dims", "asat",
           {"start": "2024-01-01", "end": "2024-04-01", "grain": "month"},
           [rate(2, 3, period="2024-01-01"), rate(0, 1, period="2024-02-01")], spark=True),
    # Whole range Jan-Feb: a1's latest is now February's 1: 1/3.
    Golden("asat-range", "dims", "asat", {"start": "2024-01-01", "end": "2024-03-01"},
           [rate(1, 3)]),
    # Range cut before a2's 3 and a1's 5 ... no: [Jan 1, Jan 21) holds a1 2, 5; a2 5; a3 4:
    # latest a1 5, a2 5, a3 4 = 3/3 (a response after the range never hides one inside it).
    Golden("asat-cut", "dims", "asat", {"start": "2024-01-01", "end": "2024-01-21"},
           [rate(3, 3)]),
    Golden("asat-by-team", "dims", "asat", {**JAN, "by": ["team"]}, [
        rate(1, 1, team="support"), rate(0, 1, team="sales"), rate(1, 1, team="billing"),
    ]),
]  # fmt: skip


connections = connections_fixture(DATASETS, "surveys")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, business_kpi)


def test_seed_intervals_match_textbook_values(connections: Connections) -> None:
    con = connections.get("seeds", "duckdb")
    frame = con.kpi(["csat", "nps"], **JAN).set_index("metric")
    # Wilson 72/100 (Agresti & Coull's example values): [0.6251, 0.7986].
    assert frame.loc["csat", "ci_low"] == pytest.approx(0.6251, abs=1e-4)
    assert frame.loc["csat", "ci_high"] == pytest.approx(0.7986, abs=1e-4)
    # NPS 60 ± 1.96 · sqrt(44) = [47.0, 73.0].
    assert frame.loc["nps", "ci_low"] == pytest.approx(47.0, abs=0.01)
    assert frame.loc["nps", "ci_high"] == pytest.approx(73.0, abs=0.01)


def test_ces_direction_never_flips_the_scale(connections: Connections) -> None:
    con = connections.get("seeds", "duckdb")
    easier = con.kpi(["ces"], **JAN, options={"ces_higher_is": "easier"})
    assert easier["value"].iloc[0] == pytest.approx(3.6)  # the scores as answered
