"""Golden cases for ``supportkpi.metrics.tickets_speed``: response and resolution times.

The KPIs defined in that module (first response, response, resolution, first resolution and
social response times, unanswered tickets) and nothing else: every one has a case here, and
``test_golden_coverage.py`` fails when one is missing. Every expected value was worked out on
paper from docs/ticket-kpis.md; the comment next to it shows the arithmetic (durations in
seconds: 1 h = 3600, 1 d = 86400). The data sets, shared with ``tickets_outcomes``, are in
``golden_ticket_data.py``. Each case runs against the library (DuckDB, plus a representative
subset on PySpark) and against the independent pandas reference in ``ticket_reference.py``, so
a disagreement points at whichever side misreads the doc.
"""

from __future__ import annotations

import pytest
from golden import Golden, connections_fixture, row, run_golden, run_reference
from golden_ticket_data import BERLIN, DATASETS, FEB, FEB_WEEKS, JAN
from kpi_support import Connections, golden_params, is_missing
from ticket_reference import reference_kpi

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
]  # fmt: skip

# Resolution times on OUTCOMES (see its facts in golden_ticket_data.py).
RESOLUTION_CASES = [
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
    # S13: 02-20 09:00 -> 03-02 10:00 = 11 d 1 h = 950400 + 3600 = 954000.
    Golden("first-resolution-cohort-created", "outcomes", "first_resolution_time",
           {"start": "2024-02-19", "end": "2024-02-26", "cohort": "created"},
           [row(954000, 1)]),
    Golden("first-resolution-cohort-event-empty", "outcomes", "first_resolution_time",
           {"start": "2024-02-19", "end": "2024-02-26"}, [row(None, 0)]),
]  # fmt: skip

# DST: durations are real seconds, bucketed by the local day.
DST_CASES = [
    Golden("frt-berlin-dst", "dst", "first_response_time",
           {"start": "2024-03-01", "end": "2024-11-01", "grain": "day", **BERLIN}, [
        row(7200, 1, period="2024-03-31"),  # D1: real seconds, not wall-clock 3 h
        row(3600, 1, period="2024-10-27"),  # D10: wall clock shows 0
    ], spark=True),
]  # fmt: skip

CASES: list[Golden] = SPEED_CASES + RESOLUTION_CASES + DST_CASES

connections = connections_fixture(DATASETS, "tickets-speed")


@pytest.mark.parametrize(("case", "engine"), golden_params(CASES))
def test_library_matches_hand_computed_answer(
    case: Golden, engine: str, connections: Connections
) -> None:
    run_golden(case, engine, connections)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reference_matches_hand_computed_answer(case: Golden) -> None:
    run_reference(case, DATASETS, reference_kpi)


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
