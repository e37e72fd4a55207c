"""Every registered KPI has a hand-computed golden case, in its own family's table.

A KPI is defined in one family module, ``supportkpi/metrics/<family>.py`` (its
``metric.build.__module__``), and its golden cases sit in ``tests/kpis/test_golden_<family>.py``,
so a newcomer who reads a definition finds its worked answers next door. The checks here fail,
naming the metric, when a KPI has no case in its family's table, when a table holds a case for
another family's KPI or for an unregistered one, or when a table file matches no family.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from golden import Golden

from supportkpi.metrics.registry import all_metrics

HERE = Path(__file__).parent
PREFIX = "test_golden_"
#: This file matches the table pattern but holds no table.
NOT_A_TABLE = {"coverage"}


def family_of_module(module: str) -> str:
    """``supportkpi.metrics.tickets_speed`` -> ``tickets_speed``."""
    return module.rpartition(".")[2]


def registered_families() -> dict[str, str]:
    """Metric id -> the family module that defines it."""
    return {m.id: family_of_module(m.build.__module__) for m in all_metrics()}


def table_families() -> list[str]:
    """The families that have a ``test_golden_<family>.py`` file next to this one."""
    names = (p.stem.removeprefix(PREFIX) for p in HERE.glob(f"{PREFIX}*.py"))
    return sorted(n for n in names if n not in NOT_A_TABLE)


def golden_tables() -> dict[str, list[Golden]]:
    """Family -> its ``CASES`` (imported by name, as pytest itself imports the files)."""
    return {f: importlib.import_module(PREFIX + f).CASES for f in table_families()}


def base_metric(case: Golden) -> str:
    """``first_response_time:p90`` -> ``first_response_time``."""
    return case.metric.partition(":")[0]


def uncovered_metrics(
    families: Mapping[str, str], tables: Mapping[str, Sequence[Golden]]
) -> list[str]:
    """Registered metrics without a case in their own family's table, one line each."""
    out = []
    for metric, family in families.items():
        if family not in tables:
            out.append(f"{metric}: no table {PREFIX}{family}.py for its module {family}")
        elif metric not in {base_metric(c) for c in tables[family]}:
            out.append(f"{metric}: no case in {PREFIX}{family}.py (its module is {family})")
    return out


def misplaced_cases(
    families: Mapping[str, str], tables: Mapping[str, Sequence[Golden]]
) -> list[str]:
    """Cases that name an unregistered metric or sit in another family's table."""
    out = []
    for family, cases in tables.items():
        for case in cases:
            metric = base_metric(case)
            home = families.get(metric)
            if home is None:
                out.append(f"{metric}: case {case.id!r} in {PREFIX}{family}.py is not registered")
            elif home != family:
                out.append(
                    f"{metric}: case {case.id!r} is in {PREFIX}{family}.py, "
                    f"but the metric is defined in {home}: move it to {PREFIX}{home}.py"
                )
    return out


def test_every_registered_kpi_has_a_golden_case_in_its_family_table() -> None:
    problems = uncovered_metrics(registered_families(), golden_tables())
    assert problems == [], "registered KPIs without a golden case:\n" + "\n".join(problems)


def test_every_golden_case_names_a_registered_kpi_of_its_table_family() -> None:
    problems = misplaced_cases(registered_families(), golden_tables())
    assert problems == [], "golden cases in the wrong table:\n" + "\n".join(problems)


def test_every_golden_table_file_is_a_family_module() -> None:
    modules = set(registered_families().values())
    stray = [f"{PREFIX}{f}.py" for f in table_families() if f not in modules]
    assert stray == [], f"golden tables for no metrics module: {', '.join(stray)}"


def test_the_checks_name_the_metric_they_miss() -> None:
    # The checks above pass on the real tables; this keeps them able to fail.
    families = {"a": "one", "b": "two"}
    case = Golden("x", "d", "b:mean", {}, [])
    assert uncovered_metrics(families, {"one": [case]}) == [
        "a: no case in test_golden_one.py (its module is one)",
        "b: no table test_golden_two.py for its module two",
    ]
    assert misplaced_cases(families, {"one": [case, Golden("y", "d", "zzz", {}, [])]}) == [
        "b: case 'x' is in test_golden_one.py, but the metric is defined in two: "
        "move it to test_golden_two.py",
        "zzz: case 'y' in test_golden_one.py is not registered",
    ]
