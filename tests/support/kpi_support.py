"""Shared helpers for the ticket KPI tests: building stores, event builders, comparisons.

The golden tests and the reference tests both build tiny canonical tables with pandas, load
them into a real store (``supportkpi.store.Store``) and query them through
``supportkpi.connect(...).kpi(...)``; for the PySpark engine the store is exported to a folder
of Parquet files first, exactly as a user would do with ``supportkpi export``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

#: Every KPI test runs on both engines; Spark cases carry the ``spark`` marker.
ENGINES = ["duckdb", pytest.param("pyspark", marks=pytest.mark.spark)]

#: Rates carry a Wilson interval; tests accept z = 1.96 or the exact 1.959964 (|diff| < 2e-5).
CI_ABS_TOL = 1e-4
VALUE_REL_TOL = 1e-9

TICKET_TIME_COLUMNS = ("created_at", "first_response_at", "solved_at", "closed_at", "updated_at")


def ts(text: str) -> pd.Timestamp:
    """A UTC instant from ``"2024-01-02 09:00[:ss]"``."""
    return pd.Timestamp(text, tz="UTC")


# -- builders ----------------------------------------------------------------------------------
def ticket(ticket_id: str, created_at: str, channel: str = "email", **cols: Any) -> dict[str, Any]:
    """One ``tickets`` row; timestamp columns may be given as UTC strings."""
    row: dict[str, Any] = {"ticket_id": ticket_id, "created_at": created_at, "channel": channel}
    row.update(cols)
    return row


def ev(
    ticket_id: str,
    at: str,
    kind: str,
    actor: str,
    public: bool | None = True,
    status: str | None = None,
    actor_id: str | None = None,
) -> dict[str, Any]:
    """One ``ticket_events`` row (its ``event_id`` is given by :func:`events_frame`)."""
    return {
        "ticket_id": ticket_id,
        "at": at,
        "kind": kind,
        "actor_type": actor,
        "actor_id": actor_id,
        "public": public,
        "status": status,
    }


def msg(
    ticket_id: str, at: str, actor: str, public: bool | None = True, actor_id: str | None = None
):
    """A message by ``actor`` (customer, agent or bot)."""
    return ev(ticket_id, at, "message", actor, public=public, actor_id=actor_id)


def note(ticket_id: str, at: str, actor_id: str = "a1") -> dict[str, Any]:
    """A private note by an agent (never a response)."""
    return ev(ticket_id, at, "note", "agent", public=False, actor_id=actor_id)


def status(
    ticket_id: str, at: str, new_status: str, actor: str = "agent", actor_id: str | None = "a1"
) -> dict[str, Any]:
    """A status change (``solved``, ``closed``, ``open``, ``pending``, ...)."""
    return ev(ticket_id, at, "status", actor, public=None, status=new_status, actor_id=actor_id)


def escalation(ticket_id: str, at: str) -> dict[str, Any]:
    """An escalation to a higher tier."""
    return ev(ticket_id, at, "escalation", "system", public=None)


def tickets_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """``tickets`` rows as a frame with UTC timestamps and nullable int/bool columns."""
    frame = pd.DataFrame(list(rows))
    for col in TICKET_TIME_COLUMNS:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], utc=True)
    if "reopens" in frame:
        frame["reopens"] = frame["reopens"].astype("Int64")
    if "escalated" in frame:
        frame["escalated"] = frame["escalated"].astype("boolean")
    return frame


def events_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """``ticket_events`` rows; ``event_id`` is ``e00001``, ``e00002``, ... in the given order."""
    frame = pd.DataFrame(list(rows))
    if "event_id" not in frame:
        frame.insert(0, "event_id", [f"e{i:05d}" for i in range(1, len(frame) + 1)])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["public"] = frame["public"].astype("boolean")
    return frame


def frame_with_times(rows: Sequence[dict[str, Any]], time_columns: Iterable[str]) -> pd.DataFrame:
    """Any table's rows with the named columns parsed as UTC instants."""
    frame = pd.DataFrame(list(rows))
    for col in time_columns:
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


# -- stores ------------------------------------------------------------------------------------
def make_source(tmp_path: Path, tables: dict[str, pd.DataFrame], engine: str) -> str:
    """Load ``tables`` into ``tmp_path/kpi.duckdb``; for PySpark export it to a Parquet folder."""
    from supportkpi.store.store import Store

    tmp_path.mkdir(parents=True, exist_ok=True)
    db_path = tmp_path / "kpi.duckdb"
    store = Store(db_path)
    try:
        with store.transaction():
            for name, frame in tables.items():
                store.upsert(name, pa.Table.from_pandas(frame, preserve_index=False))
        if engine == "pyspark":
            folder = tmp_path / "parquet"
            store.export(folder)
            return str(folder)
    finally:
        store.close()
    return str(db_path)


# -- comparisons -------------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _key_value(value: Any) -> Any:
    if is_missing(value):
        return None
    return str(value)


def result_rows(
    frame: pd.DataFrame, keys: Sequence[str], drop_zero_values: bool = False
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows keyed by ``keys`` (period, dimensions, age band), leaving out empty buckets.

    A row with ``n == 0`` is an empty bucket, which the contract lets the engine omit; with
    ``drop_zero_values`` rows whose value is 0 go too (backlog_change weeks that net to 0,
    age bands nobody is in), because the contract does not say whether they are emitted.
    """
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for record in ({str(k): v for k, v in r.items()} for r in frame.to_dict("records")):
        n: Any = record.get("n")
        value: Any = record.get("value")
        if (is_missing(n) or int(n) == 0) and is_missing(value):
            continue
        if drop_zero_values and (is_missing(value) or float(value) == 0.0):
            continue
        key = tuple(_key_value(record.get(k)) for k in keys)
        assert key not in out, f"duplicate result row for {dict(zip(keys, key, strict=True))}"
        out[key] = record
    return out


def assert_same_rows(
    actual: pd.DataFrame,
    expected: pd.DataFrame | Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    check_n: bool = True,
    check_ci: bool = False,
    drop_zero_values: bool = False,
    label: str = "",
) -> None:
    """Assert two KPI results hold the same rows (values rel 1e-9, ``n`` exactly)."""
    if not isinstance(expected, pd.DataFrame):
        expected = pd.DataFrame(list(expected))
    got = result_rows(actual, keys, drop_zero_values)
    want = result_rows(expected, keys, drop_zero_values)
    missing = sorted(set(want) - set(got), key=str)
    extra = sorted(set(got) - set(want), key=str)
    assert not missing and not extra, (
        f"{label}: rows differ on {list(keys)}; missing {missing[:8]}, unexpected {extra[:8]}"
    )
    for key, row in want.items():
        other = got[key]
        where = f"{label} {dict(zip(keys, key, strict=True))}"
        _assert_close(other.get("value"), row.get("value"), VALUE_REL_TOL, 1e-9, f"{where} value")
        if check_n:
            assert int(other["n"]) == int(row["n"]), f"{where}: n {other['n']} != {row['n']}"
        if check_ci and "ci_low" in row:
            for col in ("ci_low", "ci_high"):
                _assert_close(other.get(col), row.get(col), 0.0, CI_ABS_TOL, f"{where} {col}")


def _assert_close(got: Any, want: Any, rel: float, abs_: float, where: str) -> None:
    if is_missing(want):
        assert is_missing(got), f"{where}: got {got!r}, expected null"
        return
    assert not is_missing(got), f"{where}: got null, expected {want!r}"
    assert math.isclose(float(got), float(want), rel_tol=rel, abs_tol=abs_), (
        f"{where}: got {got!r}, expected {want!r}"
    )


def result_keys(query: dict[str, Any], metric: str) -> list[str]:
    """The key columns of a result: period (with a grain), the ``by`` dims, the age band."""
    keys = ["period"] if query.get("grain") else []
    keys += list(query.get("by") or [])
    if metric == "backlog_age":
        keys.append("age_band")
    return keys


# -- golden-case harness -------------------------------------------------------------------------
def golden_params(cases: Sequence[Any]) -> list[Any]:
    """``(case, engine)`` parameters: every case on DuckDB, cases with ``spark`` on PySpark too."""
    out = []
    for case in cases:
        out.append(pytest.param(case, "duckdb", id=f"{case.id}-duckdb"))
        if case.spark:
            out.append(
                pytest.param(case, "pyspark", id=f"{case.id}-pyspark", marks=pytest.mark.spark)
            )
    return out


class Connections:
    """One store and one connection per (data set, engine), opened on first use."""

    def __init__(self, root: Path, datasets: dict[str, Callable[[], dict[str, pd.DataFrame]]]):
        self.root = root
        self.datasets = datasets
        self.open: dict[tuple[str, str], Any] = {}

    def get(self, data: str, engine: str) -> Any:
        import supportkpi

        if (data, engine) not in self.open:
            if engine == "pyspark":  # one Spark connection at a time keeps the session small
                for key in [k for k in self.open if k[1] == "pyspark"]:
                    self.open.pop(key).close()
            folder = self.root / f"{data}-{engine}"
            source = make_source(folder, self.datasets[data](), engine)
            self.open[data, engine] = supportkpi.connect(source, engine=engine)
        return self.open[data, engine]

    def close(self) -> None:
        for con in self.open.values():
            con.close()


# -- reference-comparison harness ---------------------------------------------------------------
def options_key(options: Mapping[str, Any]) -> str:
    """``fcr=zendesk,...``: the options part of a reference case's id."""
    return ",".join(f"{k}={v}" for k, v in sorted(options.items()))
