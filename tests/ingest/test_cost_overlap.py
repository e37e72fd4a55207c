"""Cost periods of one category that overlap are warned about at load (issue 11, defect 9):
``period_end`` is the last day of the period, so a half-open export counts a day twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

from supportkpi.ingest import ingest_file
from supportkpi.store import Store

HALF_OPEN = """period_start,period_end,amount,category
2024-01-01,2024-02-01,3100,labor
2024-02-01,2024-03-01,2900,labor
2024-03-01,2024-04-01,3100,labor
2024-01-01,2024-01-31,500,tooling
"""
INCLUSIVE = """period_start,period_end,amount,category
2024-01-01,2024-01-31,3100,labor
2024-02-01,2024-02-29,2900,labor
2024-01-01,2024-12-31,6000,tooling
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def overlap_notes(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "overlap" in w]


def test_a_half_open_monthly_export_is_warned_about(tmp_path: Path) -> None:
    with Store(":memory:") as store:
        summary = ingest_file(store, "costs", write(tmp_path, "costs.csv", HALF_OPEN))
    assert summary.inserted == 4  # stored as given: the warning does not reject anything
    assert overlap_notes(summary.warnings) == [
        "2 pairs of costs rows of the same category overlap, e.g. labor 2024-01-01..2024-02-01 "
        "and 2024-02-01..2024-03-01 share 2024-02-01; period_end is read as the last day of "
        "its period (inclusive), so a shared day is counted twice. Every overlap is one day "
        "where one period ends on the day the next starts: this looks like a half-open export "
        "(end = the next period's start); move each period_end back one day"
    ]


def test_inclusive_periods_and_other_categories_do_not_warn(tmp_path: Path) -> None:
    with Store(":memory:") as store:
        summary = ingest_file(store, "costs", write(tmp_path, "costs.csv", INCLUSIVE))
    # tooling's year spans labor's months, but it is another category.
    assert overlap_notes(summary.warnings) == []


def test_an_overlap_with_an_earlier_load_is_warned_about(tmp_path: Path) -> None:
    later = "period_start,period_end,amount,category\n2024-02-15,2024-03-15,1000,labor\n"
    unrelated = "period_start,period_end,amount,category\n2024-05-01,2024-05-31,1000,labor\n"
    with Store(":memory:") as store:
        ingest_file(store, "costs", write(tmp_path, "a.csv", INCLUSIVE))
        summary = ingest_file(store, "costs", write(tmp_path, "b.csv", later))
        quiet = ingest_file(store, "costs", write(tmp_path, "c.csv", unrelated))
    assert overlap_notes(summary.warnings) == [
        "1 pair of costs rows of the same category overlap: labor 2024-02-01..2024-02-29 "
        "and 2024-02-15..2024-03-15 share 2024-02-15..2024-02-29 (15 days); period_end is "
        "read as the last day of its period (inclusive), so a shared day is counted twice"
    ]
    assert overlap_notes(quiet.warnings) == []  # only overlaps that involve the load's rows


def test_rows_without_a_category_are_one_category(tmp_path: Path) -> None:
    text = "period_start,period_end,amount\n2024-01-01,2024-01-31,10\n2024-01-31,2024-02-29,10\n"
    with Store(":memory:") as store:
        summary = ingest_file(store, "costs", write(tmp_path, "costs.csv", text))
    (note,) = overlap_notes(summary.warnings)
    assert note.startswith(
        "1 pair of costs rows of the same category overlap: (no category) "
        "2024-01-01..2024-01-31 and 2024-01-31..2024-02-29 share 2024-01-31;"
    )


def test_the_ingest_summary_prints_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write(tmp_path, "costs.csv", HALF_OPEN)
    result = run_cli(capsys, "ingest", "costs", str(source), "--db", str(tmp_path / "s.duckdb"))
    assert result.code == 0, result.err
    flat = " ".join(result.out.split())
    assert "note: costs.csv: 2 pairs of costs rows of the same category overlap" in flat
    assert "period_end is read as the last day of its period (inclusive)" in flat
