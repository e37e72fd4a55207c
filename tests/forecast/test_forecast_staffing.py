"""Staffing from a forecast: golden cases computed by hand in the comments."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from supportkpi.errors import InputError
from supportkpi.forecast.staffing import StaffingInputs, burn_down, plan_from_forecast


def rows(values: list[float]) -> pd.DataFrame:
    at = pd.date_range("2025-01-06 09:00", periods=len(values), freq="h").strftime("%H:%M")
    return pd.DataFrame({"metric": "calls_offered", "at": at, "value": values})


def test_calls_erlang_c_by_hand() -> None:
    # 6 calls in an hour at AHT 600 s: A = 6·600/3600 = 1 Erlang.
    #   N = 2: B = 0.2, C = 2·0.2/(2 − 0.8) = 1/3, SL = 1 − e^(−20/600)/3 = 0.6776 < 0.8;
    #   N = 3: B = 0.0625, C = 0.1875/2.0625 = 0.0909, SL = 1 − 0.0909·e^(−40/600) = 0.9150.
    # 12 calls: A = 2. N = 3: B = 0.2105, C = 0.4444, SL = 0.5701; N = 4: B = 0.0952,
    #   C = 0.1739, SL = 1 − 0.1739·e^(−40/600) = 0.8373.
    # Shrinkage 0.25: ceil(3/0.75) = 4, ceil(4/0.75) = 6. No calls: no agents.
    plan = plan_from_forecast(
        rows([6, 0, 12]), 60, StaffingInputs(kind="calls", aht_s=600, shrinkage=0.25)
    )
    assert plan.rows["traffic_erlangs"].tolist() == pytest.approx([1.0, 0.0, 2.0])
    assert plan.rows["agents"].tolist() == [3, 0, 4]
    assert plan.rows["agents_with_shrinkage"].tolist() == [4, 0, 6]
    assert plan.rows["service_level"].tolist() == pytest.approx([0.91495, 1.0, 0.83730], abs=1e-4)
    assert plan.rows["probability_wait"].iloc[0] == pytest.approx(1 / 11)


def test_chat_concurrency_shares_an_agent() -> None:
    # 12 chats at 1200 s with 2 at once: each takes 600 s of an agent, A = 2, so 4 agents
    # (as 12 calls at 600 s above); one chat at a time would be A = 4, needing 7 (Erlang C:
    # N = 5: C = 0.5541, SL = 1 − 0.5541·e^(−20/1200) = 0.4550; N = 6: C = 0.2848,
    # SL = 1 − 0.2848·e^(−40/1200) = 0.7246; N = 7: C = 0.1351, SL = 0.8715).
    two = plan_from_forecast(rows([12]), 60, StaffingInputs(kind="chat", aht_s=1200, concurrency=2))
    one = plan_from_forecast(rows([12]), 60, StaffingInputs(kind="chat", aht_s=1200))
    assert two.rows["agents"].tolist() == [4]
    assert one.rows["agents"].tolist() == [7]
    assert one.rows["service_level"].iloc[0] == pytest.approx(0.8715, abs=1e-3)


def test_async_workload_against_the_sla_and_the_burn_down() -> None:
    # Hourly tickets 6, 6, 0, 12 at 600 s: workload 1, 1, 0, 2 hours. SLA 2 h: work of the
    # trailing 2 hours 1, 2, 1, 2, over 2 h × occupancy 0.8 = 1.6 agent-hours: 0.625, 1.25,
    # 0.625, 1.25 → 1, 2, 1, 2 agents.
    settings = StaffingInputs(
        kind="async",
        aht_s=600,
        sla_hours=2,
        max_occupancy=0.8,
        shrinkage=0.2,
        agents_now=5,
        hours_per_day=8,
        backlog=100,
    )
    plan = plan_from_forecast(rows([6, 6, 0, 12]), 60, settings)
    assert plan.rows["workload_hours"].tolist() == pytest.approx([1, 1, 0, 2])
    assert plan.rows["agents"].tolist() == [1, 2, 1, 2]
    # 24 tickets in 4 hours: 144 a day. Capacity 5 · 8 h · 0.8 · 0.8 · 3600 / 600 = 153.6 a
    # day, so 9.6 a day come off the backlog: 100 / 9.6 = 10.4167 days.
    assert plan.summary["incoming_per_day"] == pytest.approx(144.0)
    assert plan.summary["capacity_per_day"] == pytest.approx(153.6)
    assert plan.summary["days_to_clear_backlog"] == pytest.approx(100 / 9.6)


def test_a_backlog_that_never_clears_is_null_with_a_note() -> None:
    # Four agents: 122.88 a day against 144 arriving.
    settings = StaffingInputs(
        kind="async", aht_s=600, max_occupancy=0.8, shrinkage=0.2, agents_now=4, backlog=100
    )
    summary, notes = burn_down(144.0, settings)
    assert summary["days_to_clear_backlog"] is None
    assert "never clears" in notes[0]
    assert not math.isnan(summary["capacity_per_day"])


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        (StaffingInputs(kind="fax", aht_s=60), "unknown staffing kind"),
        (StaffingInputs(kind="chat", aht_s=60, concurrency=0), "concurrency"),
        (StaffingInputs(kind="calls", aht_s=60, shrinkage=1.0), "shrinkage"),
        (StaffingInputs(kind="calls"), "handle time"),
    ],
)
def test_bad_staffing_inputs_are_one_sentence(settings: StaffingInputs, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        plan_from_forecast(rows([1]), 60, settings)
