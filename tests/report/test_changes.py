"""Change detection between two periods: values, delta, test and the plain-words sentence."""

from __future__ import annotations

import math
from collections.abc import Iterator
from statistics import NormalDist
from typing import Any

import pandas as pd
import pytest
from kpi_support import make_source, ticket, tickets_frame
from scipy.stats import ttest_ind

import supportkpi
from supportkpi.errors import InputError
from supportkpi.report.changes import compare_periods

JAN = ("2024-01-01", "2024-02-01")
FEB = ("2024-02-01", "2024-03-01")
CES_JAN = [2, 2, 3, 3, 3, 4, 2, 3, 3, 2]
CES_FEB = [4, 4, 5, 3, 4, 5, 4, 4]


def _responses(kind: str, month: int, scores: list[int]) -> list[dict[str, Any]]:
    return [
        {"response_id": f"{kind}-{month}-{i:03d}", "kind": kind, "score": float(s),
         "responded_at": pd.Timestamp(f"2024-{month:02d}-10 08:00", tz="UTC") + pd.Timedelta(minutes=i)}  # noqa: E501
        for i, s in enumerate(scores)
    ]  # fmt: skip


def _tables() -> dict[str, pd.DataFrame]:
    rows = _responses("csat", 1, [5] * 30 + [2] * 10)  # 30 of 40 satisfied
    rows += _responses("csat", 2, [4] * 28 + [1] * 12)  # 28 of 40
    rows += _responses("nps", 1, [10] * 70 + [8] * 20 + [3] * 10)  # 70/20/10: NPS 60
    rows += _responses("nps", 2, [9] * 50 + [7] * 30 + [0] * 20)  # 50/30/20: NPS 30
    rows += _responses("ces", 1, CES_JAN) + _responses("ces", 2, CES_FEB)
    tickets = [ticket(f"T{i}", f"2024-01-0{i + 1} 09:00") for i in range(3)]
    tickets += [ticket(f"U{i}", f"2024-02-0{i + 1} 09:00") for i in range(5)]
    return {"surveys": pd.DataFrame(rows), "tickets": tickets_frame(tickets)}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    source = make_source(tmp_path_factory.mktemp("changes"), _tables(), "duckdb")
    with supportkpi.connect(source) as connection:
        yield connection


def test_a_rate_uses_the_pooled_two_proportion_test(con: Any) -> None:
    (csat,) = compare_periods(con, ["csat"], current=FEB, previous=JAN)
    # pooled p = 58/80 = 0.725; se = sqrt(0.725 · 0.275 · (1/40 + 1/40)) = 0.099844;
    # z = (0.70 - 0.75) / se = -0.50078; two-sided p = 0.6165.
    se = math.sqrt(0.725 * 0.275 * (2 / 40))
    p = 2 * (1 - NormalDist().cdf(abs(-0.05 / se)))
    assert (csat.previous, csat.current, csat.n_previous, csat.n_current) == (0.75, 0.70, 40, 40)
    assert csat.delta == pytest.approx(-0.05)
    assert csat.p_value == pytest.approx(p, abs=1e-9)
    assert csat.test == "proportion" and not csat.significant
    assert csat.sentence == (
        "Customer satisfaction (CSAT) fell 5.0 points, not significant at 95% "
        "(40 responses now, 40 before)"
    )


def test_nps_uses_the_multinomial_variances(con: Any) -> None:
    (nps,) = compare_periods(con, "nps", current=FEB, previous=JAN)
    # var = 100² (p + d - (p - d)²) / n: Jan (0.8 - 0.36) · 100 = 44; Feb (0.7 - 0.09) · 100
    # = 61; z = (30 - 60) / sqrt(105).
    p = 2 * (1 - NormalDist().cdf(30 / math.sqrt(105)))
    assert (nps.previous, nps.current, nps.delta) == (60.0, 30.0, -30.0)
    assert nps.p_value == pytest.approx(p, rel=1e-9)
    assert nps.significant
    assert nps.sentence == (
        "Net Promoter Score (NPS) fell 30.0 points, significant at 95% "
        "(100 responses now, 100 before)"
    )


def test_a_mean_uses_welch_t_test(con: Any) -> None:
    (ces,) = compare_periods(con, ["ces"], current=FEB, previous=JAN)
    textbook = ttest_ind(CES_FEB, CES_JAN, equal_var=False)
    assert ces.previous == pytest.approx(sum(CES_JAN) / 10)
    assert ces.current == pytest.approx(sum(CES_FEB) / 8)
    assert ces.p_value == pytest.approx(float(textbook.pvalue), rel=1e-6)
    assert ces.significant
    # 33/8 - 27/10 = 4.125 - 2.7 = 1.425, shown with one decimal.
    assert ces.sentence == (
        "Customer effort score (CES) rose 1.4, significant at 95% (8 responses now, 10 before)"
    )


def test_other_kpis_get_values_but_no_test(con: Any) -> None:
    (volume,) = compare_periods(con, ["ticket_volume"], current=FEB, previous=JAN)
    assert (volume.previous, volume.current, volume.delta) == (3.0, 5.0, 2.0)
    assert volume.test is None and volume.p_value is None and not volume.significant
    assert volume.sentence == (
        "Ticket volume rose from 3 to 5 (no significance test for this kind of KPI)"
    )


def test_an_empty_period_says_so(con: Any) -> None:
    (csat,) = compare_periods(con, ["csat"], current=("2024-03-01", "2024-04-01"), previous=FEB)
    assert csat.current is None and csat.n_current == 0
    assert csat.sentence == (
        "Customer satisfaction (CSAT): no data for the current period, so no comparison "
        "(0 responses now, 40 before)"
    )


def test_values_match_the_kpi_query(con: Any) -> None:
    changes = compare_periods(con, ["csat", "nps", "ces"], current=FEB, previous=JAN)
    kpi = con.kpi(["csat", "nps", "ces"], start=FEB[0], end=FEB[1]).set_index("metric")
    for change in changes:
        assert change.current == pytest.approx(kpi.loc[change.metric, "value"])
        assert change.n_current == kpi.loc[change.metric, "n"]


def test_whole_periods_only(con: Any) -> None:
    with pytest.raises(InputError, match="grain"):
        compare_periods(con, ["csat"], current=FEB, previous=JAN, grain="month")


@pytest.mark.spark
def test_changes_are_the_same_on_pyspark(
    con: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = make_source(tmp_path_factory.mktemp("changes-spark"), _tables(), "pyspark")
    metrics = ["csat", "nps", "ces"]
    expected = compare_periods(con, metrics, current=FEB, previous=JAN)
    with supportkpi.connect(folder, engine="pyspark") as spark_con:
        got = compare_periods(spark_con, metrics, current=FEB, previous=JAN)
    for mine, theirs in zip(got, expected, strict=True):
        assert (mine.previous, mine.current, mine.n_previous, mine.n_current) == pytest.approx(
            (theirs.previous, theirs.current, theirs.n_previous, theirs.n_current)
        )
        assert mine.sentence == theirs.sentence
