"""Confidence intervals and significance tests (supportkpi.stats).

Every expected value is derived by hand in the comments, from closed forms or printed tables
(z_{0.975} = 1.959964, z² = 3.841459; Student t and normal tables), never from this code.
"""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportkpi.errors import InputError
from supportkpi.stats import (
    compare,
    intervals,
    mean_interval,
    mean_interval_of,
    nps_estimate,
    nps_interval,
    sample_summary,
    significance,
    wilson_interval,
)
from supportkpi.stats.intervals import student_t_quantile, student_t_two_sided_p

approx = pytest.approx

# ---------------------------------------------------------------- Student t distribution


def test_t_p_value_matches_closed_forms_for_one_and_two_df() -> None:
    # df = 1 is the Cauchy: P(|T| >= t) = 1 − (2/π)·atan(t); at t = 1 that is 1 − 0.5 = 0.5.
    assert student_t_two_sided_p(1.0, 1) == approx(0.5, abs=1e-12)
    # df = 2: P(|T| >= t) = 1 − t/sqrt(2 + t²); at t = 2: 1 − 2/sqrt(6) = 0.1835034.
    assert student_t_two_sided_p(2.0, 2) == approx(0.1835034, abs=1e-7)
    assert student_t_two_sided_p(0.0, 5) == approx(1.0)
    assert student_t_two_sided_p(-2.0, 2) == student_t_two_sided_p(2.0, 2)


@pytest.mark.parametrize(
    ("confidence", "df", "table_value"),
    [
        (0.95, 1, 12.706),  # Student t table, two-sided
        (0.95, 9, 2.262),
        (0.95, 30, 2.042),
        (0.99, 30, 2.750),
        (0.90, 19, 1.729),
        (0.95, 120, 1.980),
        (0.95, 10**9, 1.960),  # df → ∞ is the normal
    ],
)
def test_t_quantile_matches_printed_table(confidence: float, df: float, table_value: float) -> None:
    assert student_t_quantile(confidence, df) == approx(table_value, abs=5e-4)


@given(
    st.floats(min_value=0.5, max_value=0.999),
    st.floats(min_value=1.0, max_value=1e6),
)
def test_t_quantile_inverts_the_p_value(confidence: float, df: float) -> None:
    quantile = student_t_quantile(confidence, df)
    assert student_t_two_sided_p(quantile, df) == approx(1 - confidence, rel=1e-6, abs=1e-12)


# ---------------------------------------------------------------- Wilson interval


def test_wilson_newcombe_1998_example() -> None:
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263, Wilson score 0.2553 to 0.3662.
    low, high = wilson_interval(81, 263)
    assert (low, high) == (approx(0.2553, abs=5e-5), approx(0.3662, abs=5e-5))


def test_wilson_at_zero_and_all_successes() -> None:
    # With 0 successes the upper bound collapses to z²/(n + z²) = 3.841459/13.841459 = 0.277533;
    # with n successes the lower bound is n/(n + z²) = 10/13.841459 = 0.722467.
    assert wilson_interval(0, 10) == (0.0, approx(0.277533, abs=1e-6))
    assert wilson_interval(10, 10) == (approx(0.722467, abs=1e-6), 1.0)


def test_wilson_no_data() -> None:
    assert wilson_interval(0, 0) == (None, None)


def test_wilson_csat_72_percent() -> None:
    # CSAT 72 %: 43 satisfied + 29 very satisfied of 100. p = 0.72, z²/n = 0.0384146,
    # centre = (0.72 + 0.0192073) / 1.0384146 = 0.711861,
    # half = 1.959964/1.0384146 · sqrt(0.72·0.28/100 + 3.841459/40000)
    #      = 1.887457 · sqrt(0.0021120365) = 1.887457 · 0.0459569 = 0.086742
    # → (0.625119, 0.798603)
    low, high = wilson_interval(43 + 29, 100)
    assert (low, high) == (approx(0.625119, abs=2e-6), approx(0.798603, abs=2e-6))


def test_wilson_is_wider_at_99_percent() -> None:
    low95, high95 = wilson_interval(72, 100)
    low99, high99 = wilson_interval(72, 100, confidence=0.99)
    assert low99 is not None and low95 is not None and high99 is not None and high95 is not None
    assert low99 < low95 and high99 > high95


@pytest.mark.parametrize(
    ("successes", "n", "confidence", "words"),
    [
        (11, 10, 0.95, "cannot exceed"),
        (-1, 10, 0.95, "successes must be a count"),
        (1, 10, 1.5, "confidence must be between 0 and 1"),
        (1, 10, 0.0, "confidence must be between 0 and 1"),
    ],
)
def test_wilson_rejects_bad_input(successes: int, n: int, confidence: float, words: str) -> None:
    with pytest.raises(InputError, match=words):
        wilson_interval(successes, n, confidence)


@given(
    st.integers(min_value=1, max_value=10**6).flatmap(
        lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
    ),
    st.floats(min_value=0.5, max_value=0.999),
)
def test_wilson_contains_the_estimate_and_stays_in_unit_range(
    counts: tuple[int, int], confidence: float
) -> None:
    successes, n = counts
    low, high = wilson_interval(successes, n, confidence)
    assert low is not None and high is not None
    assert 0.0 <= low <= successes / n <= high <= 1.0


# ---------------------------------------------------------------- NPS


def test_nps_point_and_multinomial_variance() -> None:
    # 70 promoters, 20 passives, 10 detractors: NPS = 70 − 10 = 60.
    # var = (0.7 + 0.1 − 0.6²)/100 = 0.0044 on the −1…1 scale → 44 on −100…100.
    assert nps_estimate(70, 20, 10) == (approx(60.0), approx(44.0))
    assert nps_estimate(0, 0, 0) is None


def test_nps_interval_by_hand() -> None:
    # se = sqrt(44) = 6.633250; half = 1.959964 · 6.633250 = 13.000929 → (46.999071, 73.000929)
    low, high = nps_interval(70, 20, 10)
    assert (low, high) == (approx(46.999071, abs=1e-5), approx(73.000929, abs=1e-5))


def test_nps_interval_is_clamped_to_scale() -> None:
    # 9 promoters, 1 detractor: NPS 80, var = 10⁴·(1.0 − 0.64)/10 = 360, se = 18.973666,
    # half = 37.187 → (42.813, 117.187), upper clamped to 100.
    low, high = nps_interval(9, 0, 1)
    assert low == approx(42.8129, abs=1e-3)
    assert high == 100.0
    # Everyone a promoter: the multinomial variance is 0, so the interval is the point.
    assert nps_interval(10, 0, 0) == (100.0, 100.0)
    assert nps_interval(0, 0, 0) == (None, None)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_nps_interval_contains_the_score_and_stays_on_scale(pro: int, pas: int, det: int) -> None:
    low, high = nps_interval(pro, pas, det)
    if pro + pas + det == 0:
        assert (low, high) == (None, None)
        return
    score = 100 * (pro - det) / (pro + pas + det)
    assert low is not None and high is not None
    assert -100.0 <= low <= score + 1e-9 and score - 1e-9 <= high <= 100.0


# ---------------------------------------------------------------- means


def test_t_interval_for_one_to_ten() -> None:
    # 1..10: mean 5.5, Σ(x − 5.5)² = 82.5, s² = 82.5/9 = 9.166667, s = 3.027650,
    # se = 3.027650/sqrt(10) = 0.957427; t_{0.975, 9} = 2.262 (table) → half = 2.165700
    # → (3.334300, 7.665700); the table's rounding of t allows ±2e-4.
    assert sample_summary(range(1, 11)) == (10, 5.5, approx(3.027650, abs=1e-6))
    low, high = mean_interval_of(range(1, 11))
    assert (low, high) == (approx(3.3343, abs=3e-4), approx(7.6657, abs=3e-4))
    assert mean_interval(10, 5.5, 3.027650) == (approx(low), approx(high))


def test_mean_interval_needs_two_values() -> None:
    assert mean_interval(1, 4.0, 0.0) == (None, None)
    assert mean_interval(0, None, None) == (None, None)
    assert mean_interval(5, float("nan"), 1.0) == (None, None)
    assert mean_interval_of([3.0, None, float("nan")]) == (None, None)
    with pytest.raises(InputError, match="standard deviation cannot be negative"):
        mean_interval(5, 1.0, -1.0)


def test_sample_summary_leaves_out_missing_values() -> None:
    # 2, 4, 6: mean 4, s² = (4 + 0 + 4)/2 = 4, s = 2.
    assert sample_summary([2.0, None, 4.0, float("nan"), 6.0]) == (3, 4.0, 2.0)
    assert sample_summary([]) == (0, None, None)
    assert sample_summary([7.0]) == (1, 7.0, None)


# ---------------------------------------------------------------- compare


def test_two_proportion_z_test_textbook() -> None:
    # 30/100 vs 45/100: pooled p = 0.375, se = sqrt(0.375·0.625·(2/100)) = 0.0684653,
    # z = 0.15/0.0684653 = 2.19089. Normal table: Φ(2.19) = 0.98574, Φ(2.20) = 0.98610,
    # so Φ(2.19089) ≈ 0.985772 and p = 2·(1 − 0.985772) = 0.028456.
    change = compare("proportion", (30, 100), (45, 100))
    assert (change.previous, change.current) == (approx(0.30), approx(0.45))
    assert change.delta == approx(0.15)
    assert change.p_value == approx(0.028456, abs=2e-5)
    assert change.significant is True
    # 0.028 > 0.01, so not significant at 99 %.
    assert compare("proportion", (30, 100), (45, 100), confidence=0.99).significant is False


def test_nps_z_test_by_hand() -> None:
    # 70/20/10 → NPS 60, var 44; 50/30/20 → NPS 30, var 10⁴·(0.7 − 0.09)/100 = 61.
    # z = −30/sqrt(105) = −30/10.246951 = −2.927700. Table: Φ(2.92) = 0.99825,
    # Φ(2.93) = 0.99831 → Φ(2.9277) ≈ 0.998296, p = 2·0.001704 = 0.003408.
    change = compare("nps", (70, 20, 10), (50, 30, 20))
    assert (change.previous, change.current, change.delta) == (60.0, 30.0, -30.0)
    assert change.p_value == approx(0.003408, abs=2e-5)
    assert change.significant is True


@pytest.mark.parametrize(
    ("table_t", "expected_p"),
    [(2.101, 0.05), (2.878, 0.01), (1.330, 0.20)],  # t_{·, 18} from the table
)
def test_welch_with_equal_samples_uses_18_df(table_t: float, expected_p: float) -> None:
    # n = 10 and s = 1 in both periods: se = sqrt(1/10 + 1/10) = 0.4472136, and the
    # Welch–Satterthwaite df = (0.2)²/(2·0.1²/9) = 18. Pick the mean difference so that
    # t = delta/se is a two-sided table value for 18 df; p must be that column's level.
    delta = table_t * math.sqrt(0.2)
    change = compare("mean", (10, 5.0, 1.0), (10, 5.0 + delta, 1.0))
    assert change.delta == approx(delta)
    assert change.p_value == approx(expected_p, abs=5e-4)


def test_welch_with_unequal_variances() -> None:
    # (10, 20, 4) vs (12, 24, 6): v₀ = 16/10 = 1.6, v₁ = 36/12 = 3, se = sqrt(4.6) = 2.144761,
    # t = 4/2.144761 = 1.865010, df = 4.6²/(1.6²/9 + 3²/11) = 21.16/1.102626 = 19.19.
    # Table at 19–20 df: t_{0.95} ≈ 1.73, t_{0.975} ≈ 2.09, so 0.05 < p < 0.10.
    # A pooled (equal-variance) test would use 20 df; Welch's p must exceed the normal's
    # 2·(1 − Φ(1.865)) = 2·(1 − 0.96891) = 0.06218.
    change = compare("mean", (10, 20.0, 4.0), (12, 24.0, 6.0))
    assert change.delta == 4.0
    assert change.p_value is not None
    assert 0.06218 < change.p_value < 0.10
    assert change.significant is False


def test_welch_degrees_of_freedom_follow_the_noisier_period() -> None:
    # (5, ·, 10) vs (50, ·, 1): v₀ = 100/5 = 20, v₁ = 1/50 = 0.02, se = sqrt(20.02) = 4.474371,
    # df = 20.02²/(20²/4 + 0.02²/49) = 400.8004/100.000008 = 4.008 — about 4, not the pooled 53.
    # Choose delta so t = t_{0.975, 4} = 2.776 (table): p must be ≈ 0.05 (≈ 0.008 at 53 df).
    delta = 2.776 * math.sqrt(20.02)
    change = compare("mean", (5, 10.0, 10.0), (50, 10.0 + delta, 1.0))
    assert change.p_value == approx(0.05, abs=1e-3)


def test_describe_fall_not_significant() -> None:
    # 30/40 = 75 % → 23/32 = 71.875 %: −3.125 points. pooled = 53/72 = 0.736111,
    # se = sqrt(0.736111·0.263889·(1/40 + 1/32)) = 0.104531, z = −0.29895, p ≈ 0.765.
    change = compare("proportion", (30, 40), (23, 32))
    assert change.p_value == approx(0.765, abs=1e-3)
    assert change.describe("CSAT") == (
        "CSAT fell 3.1 points, not significant at 95% (32 responses now, 40 before)"
    )


def test_describe_rise_significant_with_other_noun() -> None:
    change = compare("proportion", (30, 100), (45, 100))
    assert change.describe("FCR rate", noun="tickets") == (
        "FCR rate rose 15.0 points, significant at 95% (100 tickets now, 100 before)"
    )


def test_describe_mean_in_its_unit() -> None:
    # 40.0 h → 27.5 h with s = 10 on 50 tickets each: t = −12.5/sqrt(2 + 2) = −6.25.
    change = compare("mean", (50, 40.0, 10.0), (50, 27.5, 10.0))
    assert change.describe("Resolution time", "hours", noun="tickets") == (
        "Resolution time fell 12.5 hours, significant at 95% (50 tickets now, 50 before)"
    )
    assert compare("mean", (12_000, 3.0, 1.0), (12_000, 3.0, 1.0)).describe("CES") == (
        "CES did not change (12,000 responses now, 12,000 before)"
    )


def test_describe_no_change() -> None:
    change = compare("nps", (7, 2, 1), (7, 2, 1))
    assert (change.delta, change.p_value, change.significant) == (0.0, 1.0, False)
    assert change.describe("NPS") == "NPS did not change (10 responses now, 10 before)"


def test_describe_no_data() -> None:
    assert compare("proportion", None, (30, 40)).describe("CSAT") == (
        "CSAT: no data for the previous period, so no comparison (40 responses now, 0 before)"
    )
    assert compare("nps", (1, 0, 0), (0, 0, 0)).describe("NPS") == (
        "NPS: no data for the current period, so no comparison (0 responses now, 1 before)"
    )
    both = compare("mean", (0, None, None), None)
    assert (both.delta, both.p_value, both.significant) == (None, None, False)
    assert both.describe("CES") == (
        "CES: no data for either period, so no comparison (0 responses now, 0 before)"
    )


def test_describe_too_little_data_to_test() -> None:
    # One answer per period: no variance to test against, so no verdict (not "p = 0").
    nps = compare("nps", (1, 0, 0), (0, 0, 1))
    assert (nps.delta, nps.p_value, nps.significant) == (-200.0, None, False)
    assert nps.describe("NPS") == (
        "NPS fell 200.0 points, too little data to test (1 response now, 1 before)"
    )
    ces = compare("mean", (1, 3.0, None), (1, 4.0, None))
    assert ces.describe("CES") == "CES rose 1.0, too little data to test (1 response now, 1 before)"


def test_describe_tiny_change_and_other_confidence() -> None:
    # 1/10000 → 5/10000 is +0.04 points: shown as 0.04, not rounded away to 0.0.
    change = compare("proportion", (1, 10_000), (5, 10_000), confidence=0.99)
    assert change.describe("Reopen rate").startswith("Reopen rate rose 0.04 points,")
    assert "at 99%" in change.describe("Reopen rate")


@pytest.mark.parametrize(
    ("kind", "previous", "words"),
    [
        ("ratio", (1, 2), "unknown comparison kind 'ratio'"),
        ("proportion", (1, 2, 3), r"must be \(successes, n\), got 3 values"),
        ("proportion", (5, 2), "cannot exceed"),
        ("nps", (1.5, 0, 0), "promoters must be a whole number"),
        ("nps", (-1, 0, 0), "promoters must be a count of 0 or more"),
        ("mean", (5, 1.0, -2.0), "standard deviation cannot be negative"),
    ],
)
def test_compare_rejects_bad_input(kind: str, previous: tuple[float, ...], words: str) -> None:
    with pytest.raises(InputError, match=words):
        compare(kind, previous, None)  # type: ignore[arg-type]


def test_docstring_examples_run() -> None:
    import supportkpi.stats

    for module in (supportkpi.stats, intervals, significance):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
