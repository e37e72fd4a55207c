"""KPIs without a basis are null with a note, not numbers (issue 11, defect 6).

Golden cases on tiny stores: an event log with status changes but no message (every ticket
would look unanswered, no first contact resolved), a store without surveys of a kind, one
without (inbound) calls. The note names what is missing and travels through the CLI (table,
CSV, JSON), the API, the dashboard and the monthly report. A filter that selects nothing is an
ordinary empty result, without a note. Customer KPIs without a range take it from customers
and orders alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cli_support import run_cli
from fastapi.testclient import TestClient
from kpi_support import (
    ENGINES,
    events_frame,
    frame_with_times,
    is_missing,
    make_source,
    msg,
    status,
    ticket,
    tickets_frame,
)

import supportkpi
from supportkpi.web import create_app

NO_MESSAGES = "no message events in the data"
NO_RESPONSES = "no message events or first_response_at in the data"
#: Selector labels of the KPIs that need message events (default statistics included).
REPLY_KPIS = (
    "fcr_rate",
    "interactions_per_ticket:mean",
    "response_time:median",
    "chatbot_interaction_rate",
)


# -- data sets ---------------------------------------------------------------------------------
def status_log() -> dict[str, pd.DataFrame]:
    """Three tickets in January 2024 with status events only (an XES-style process log)."""
    tickets = [ticket(f"T{i}", f"2024-01-0{i} 09:00", "email") for i in (1, 2, 3)]
    events = []
    for i in (1, 2, 3):
        events.append(status(f"T{i}", f"2024-01-0{i} 09:00", "new"))
        events.append(status(f"T{i}", f"2024-01-0{i} 11:00", "solved"))
    return {"tickets": tickets_frame(tickets), "ticket_events": events_frame(events)}


def conversations() -> dict[str, pd.DataFrame]:
    """Two tickets with messages: T1 answered once and solved, T2 never answered."""
    tickets = [ticket("T1", "2024-01-02 09:00", "email"), ticket("T2", "2024-01-03 09:00", "chat")]
    events = [
        msg("T1", "2024-01-02 09:00", "customer"),
        msg("T1", "2024-01-02 10:00", "agent", actor_id="a1"),
        status("T1", "2024-01-02 11:00", "solved"),
        msg("T2", "2024-01-03 09:00", "customer"),
    ]
    return {"tickets": tickets_frame(tickets), "ticket_events": events_frame(events)}


def csat_only() -> dict[str, pd.DataFrame]:
    """Conversations plus three CSAT answers (4, 5, 2) and no NPS or CES survey."""
    surveys = frame_with_times(
        [
            {"response_id": f"r{i}", "kind": "csat", "score": score, "ticket_id": "T1",
             "sent_at": "2024-01-02 12:00", "responded_at": "2024-01-02 13:00"}
            for i, score in enumerate((4.0, 5.0, 2.0))
        ],
        ("sent_at", "responded_at"),
    )  # fmt: skip
    return {**conversations(), "surveys": surveys}


def outbound_calls() -> dict[str, pd.DataFrame]:
    """Conversations plus one outbound call: no inbound call to measure."""
    calls = frame_with_times(
        [{"call_id": "c1", "direction": "outbound", "offered_at": "2024-01-02 09:00",
          "answered_at": "2024-01-02 09:00", "ended_at": "2024-01-02 09:05", "talk_s": 300.0}],
        ("offered_at", "answered_at", "ended_at"),
    )  # fmt: skip
    return {**conversations(), "calls": calls}


def fallback_tickets() -> dict[str, pd.DataFrame]:
    """Tickets without events: T1 has a first_response_at, T2 none (so it is unanswered)."""
    tickets = [
        ticket("T1", "2024-01-02 09:00", first_response_at="2024-01-02 10:00",
               solved_at="2024-01-02 12:00"),
        ticket("T2", "2024-01-03 09:00"),
    ]  # fmt: skip
    return {"tickets": tickets_frame(tickets)}


DATASETS = {
    "status_log": status_log,
    "conversations": conversations,
    "csat_only": csat_only,
    "outbound_calls": outbound_calls,
    "fallback": fallback_tickets,
}


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    return {}


def source(
    sources: dict[tuple[str, str], str], tmp: pytest.TempPathFactory, data: str, engine: str
) -> str:
    if (data, engine) not in sources:
        folder = tmp.mktemp(f"{data}-{engine}")
        sources[data, engine] = make_source(folder, DATASETS[data](), engine)
    return sources[data, engine]


@pytest.fixture(scope="module")
def kpi(
    sources: dict[tuple[str, str], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """``kpi(data, engine, metrics, **query)`` → the result rows as dicts, by metric."""
    open_: dict[tuple[str, str], Any] = {}

    def run(data: str, engine: str, metrics: list[str], **query: Any) -> list[dict[str, Any]]:
        if (data, engine) not in open_:
            for key in [k for k in open_ if k[1] == "pyspark"]:
                open_.pop(key).close()
            src = source(sources, tmp_path_factory, data, engine)
            open_[data, engine] = supportkpi.connect(src, engine=engine)
        frame = open_[data, engine].kpi(metrics, **query)
        return [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]

    yield run
    for con in open_.values():
        con.close()


def _null_with(row: dict[str, Any], note: str) -> None:
    assert is_missing(row["value"]), row
    assert int(row["n"]) == 0 and row.get("note") == note, row


# -- golden cases ------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_reply_kpis_on_an_event_log_without_messages_are_null_with_a_note(
    kpi: Any, engine: str
) -> None:
    rows = kpi("status_log", engine, ["unanswered_tickets", *REPLY_KPIS, "ticket_volume"])
    by_metric = {r["metric"]: r for r in rows}
    # Before: unanswered_tickets = 3 (every ticket) and fcr_rate = 0.0 on n = 3.
    _null_with(by_metric["unanswered_tickets"], NO_RESPONSES)
    for metric in REPLY_KPIS:
        _null_with(by_metric[metric], NO_MESSAGES)
    volume = by_metric["ticket_volume"]
    assert (volume["value"], volume["n"]) == (3.0, 3)
    assert is_missing(volume.get("note"))


@pytest.mark.parametrize("variant", ["one_touch", "zendesk", "no_customer_followup"])
def test_every_fcr_variant_needs_messages(kpi: Any, variant: str) -> None:
    (row,) = kpi("status_log", "duckdb", ["fcr_rate"], options={"fcr": variant})
    _null_with(row, NO_MESSAGES)


def test_without_a_basis_there_is_one_row_whatever_the_grain(kpi: Any) -> None:
    rows = kpi("status_log", "duckdb", ["fcr_rate", "tickets_solved"], grain="day", by=["channel"])
    noted = [r for r in rows if r["metric"] == "fcr_rate"]
    assert len(noted) == 1 and is_missing(noted[0]["period"]) and is_missing(noted[0]["channel"])
    _null_with(noted[0], NO_MESSAGES)
    solved = [r for r in rows if r["metric"] == "tickets_solved"]
    assert [(r["period"], r["value"]) for r in solved] == [
        ("2024-01-01", 1.0), ("2024-01-02", 1.0), ("2024-01-03", 1.0)
    ]  # fmt: skip


def test_a_filter_that_selects_nothing_is_an_empty_result_without_a_note(kpi: Any) -> None:
    (row,) = kpi("conversations", "duckdb", ["fcr_rate"], where={"channel": ["social"]})
    assert int(row["n"]) == 0 and is_missing(row["value"])
    assert is_missing(row.get("note"))


def test_with_messages_the_reply_kpis_are_numbers(kpi: Any) -> None:
    rows = {
        r["metric"]: r for r in kpi("conversations", "duckdb", ["fcr_rate", "unanswered_tickets"])
    }
    # T1: one agent reply, never reopened: 1 of 1 solved. T2 has no reply: 1 of 2 unanswered.
    assert (rows["fcr_rate"]["value"], rows["fcr_rate"]["n"]) == (1.0, 1)
    assert (rows["unanswered_tickets"]["value"], rows["unanswered_tickets"]["n"]) == (1.0, 2)


def test_tickets_without_events_answer_from_first_response_at(kpi: Any) -> None:
    rows = {r["metric"]: r for r in kpi("fallback", "duckdb", ["unanswered_tickets", "fcr_rate"])}
    # T2 has no first_response_at: 1 of 2 unanswered. FCR needs replies, which only events give.
    assert (rows["unanswered_tickets"]["value"], rows["unanswered_tickets"]["n"]) == (1.0, 2)
    _null_with(rows["fcr_rate"], NO_MESSAGES)


@pytest.mark.parametrize("engine", ENGINES)
def test_survey_kpis_without_surveys_of_their_kind_are_null_with_a_note(
    kpi: Any, engine: str
) -> None:
    none = {r["metric"]: r for r in kpi("conversations", engine, ["csat", "nps", "ces", "asat"])}
    _null_with(none["csat"], "no csat surveys in the data")
    _null_with(none["nps"], "no nps surveys in the data")
    _null_with(none["ces"], "no ces surveys in the data")
    _null_with(none["asat"], "no asat surveys in the data")
    some = {r["metric"]: r for r in kpi("csat_only", engine, ["csat", "nps"])}
    assert (some["csat"]["value"], some["csat"]["n"]) == (2 / 3, 3)  # 4 and 5 of 4, 5, 2
    _null_with(some["nps"], "no nps surveys in the data")


CALL_KPIS = (
    "calls_offered",
    "answered_rate",
    "abandonment_rate",
    "service_level",
    "average_speed_of_answer",
    "average_handle_time",
    "call_fcr_rate",
)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("data", ["conversations", "outbound_calls"])
def test_call_kpis_without_inbound_calls_are_null_with_a_note(
    kpi: Any, engine: str, data: str
) -> None:
    rows = kpi(data, engine, list(CALL_KPIS))
    assert [r["metric"] for r in rows] == [
        f"{m}:mean" if m in ("average_speed_of_answer", "average_handle_time") else m
        for m in CALL_KPIS
    ]
    for row in rows:
        _null_with(row, "no inbound calls in the data")


# -- the note travels --------------------------------------------------------------------------
def test_cli_json_table_and_csv_carry_the_note(
    sources: dict[tuple[str, str], str],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = source(sources, tmp_path_factory, "status_log", "duckdb")
    out = run_cli(capsys, "kpi", "fcr_rate", "ticket_volume", "--db", db, "--format", "json")
    assert out.code == 0, out.err
    body = json.loads(out.out)
    assert body["errors"] == []
    assert body["rows"][0] == {
        "metric": "fcr_rate", "value": None, "n": 0, "ci_low": None, "ci_high": None,
        "note": NO_MESSAGES,
    }  # fmt: skip
    assert "note" not in body["rows"][1], "a row without a note has no note key"
    table = run_cli(capsys, "kpi", "fcr_rate", "--db", db)
    assert table.code == 0 and "note" in table.out and "no message events" in table.out
    csv = run_cli(capsys, "kpi", "fcr_rate", "--db", db, "--format", "csv")
    assert csv.out.splitlines()[0].endswith(",note") and NO_MESSAGES in csv.out


def test_cli_prints_what_it_computed_and_fails_on_the_rest(
    sources: dict[tuple[str, str], str],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = source(sources, tmp_path_factory, "conversations", "duckdb")
    out = run_cli(capsys, "kpi", "ticket_volume", "sla_compliance", "--db", db, "--format", "json")
    assert out.code == 2
    body = json.loads(out.out)
    assert [r["metric"] for r in body["rows"]] == ["ticket_volume"]
    assert body["errors"][0]["metric"] == "sla_compliance"
    assert out.err.strip().splitlines() == [
        "Error: sla_compliance needs [[sla]] policies in the config (--config FILE)"
    ]
    alone = run_cli(capsys, "kpi", "sla_compliance", "--db", db)
    assert alone.code == 2 and alone.out == "" and "[[sla]]" in alone.err
    # A metric computed to no rows is still computed: the answer lists the failure beside it.
    empty = run_cli(
        capsys, "kpi", "ticket_volume", "sla_compliance", "--db", db, "--grain", "day",
        "--from", "2030-01-01", "--format", "json",
    )  # fmt: skip
    assert empty.code == 2
    assert json.loads(empty.out)["rows"] == []
    assert [e["metric"] for e in json.loads(empty.out)["errors"]] == ["sla_compliance"]


def test_the_api_and_the_dashboard_show_the_note(
    sources: dict[tuple[str, str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = source(sources, tmp_path_factory, "status_log", "duckdb")
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        answer = client.get("/api/kpi", params={"metric": ["fcr_rate", "unanswered_tickets"]})
        assert answer.status_code == 200
        rows = answer.json()["rows"]
        assert [r["note"] for r in rows] == [NO_MESSAGES, NO_RESPONSES]
        page = client.get("/?range=custom&from=2024-01-01&to=2024-01-31")
        assert page.status_code == 200
        assert "No message events in the data" in page.text  # the fcr_rate tile
        speed = client.get("/speed?range=custom&from=2024-01-01&to=2024-01-31")
        assert speed.status_code == 200 and "No message events or first_response_at" in speed.text
        drill = client.get("/tickets?metric=unanswered_tickets")
        assert drill.status_code == 200 and "No message events or first_response_at" in drill.text


def test_the_monthly_report_shows_the_note(tmp_path: Path) -> None:
    from supportkpi.report.monthly import monthly_report

    tables = status_log()
    # Two full months (January, February) so that the report has a month before.
    more = [ticket("T9", "2024-02-10 09:00", "email"), ticket("T10", "2024-03-01 09:00")]
    tables["tickets"] = tickets_frame([*status_log()["tickets"].to_dict("records"), *more])
    db = make_source(tmp_path, tables, "duckdb")
    with supportkpi.connect(db) as con:
        _, rows = monthly_report(con)
    by_metric = {r.metric: r for r in rows}
    assert by_metric["fcr_rate"].note == NO_MESSAGES
    assert by_metric["fcr_rate"].current == "–"
    assert by_metric["unanswered_tickets"].note == NO_RESPONSES
    assert by_metric["ticket_volume"].note is None


# -- customer KPIs without --from/--to ----------------------------------------------------------
def customers_and_orders() -> dict[str, pd.DataFrame]:
    """Four customers of 2023; c4 leaves on 2024-02-20; the last order is on 2024-03-03."""
    customers = frame_with_times(
        [{"customer_id": c, "created_at": "2023-01-01", "segment": "s",
          "churned_at": "2024-02-20" if c == "c4" else None} for c in ("c1", "c2", "c3", "c4")],
        ("created_at", "churned_at"),
    )  # fmt: skip
    orders = frame_with_times(
        [{"order_id": o, "customer_id": c, "ordered_at": at, "amount": amount}
         for o, c, at, amount in (
             ("o1", "c1", "2024-02-05 10:00", 10.0), ("o2", "c1", "2024-02-10 10:00", 10.0),
             ("o3", "c2", "2024-02-12 10:00", 20.0), ("o4", "c4", "2024-02-01 10:00", 5.0),
             ("o5", "c3", "2024-03-03 10:00", 30.0))],
        ("ordered_at",),
    )  # fmt: skip
    return {"customers": customers, "orders": orders}


def test_customer_kpis_without_a_range_reach_the_last_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_source(tmp_path, customers_and_orders(), "duckdb")
    out = run_cli(
        capsys, "kpi", "customer_retention_rate", "customer_lifetime_value",
        "--db", db, "--grain", "month", "--format", "json",
    )  # fmt: skip
    assert out.code == 0, out.err
    rows = {(r["metric"], r["period"]): r for r in json.loads(out.out)["rows"]}
    # February: base c1..c4, c4 leaves: retained 3 / 4. CLV = February revenue of the base
    # (10 + 10 + 20 + 5 = 45) / churned (1) = 45 on 4 orders.
    feb = rows["customer_retention_rate", "2024-02-01"]
    assert (feb["value"], feb["n"]) == (0.75, 4)
    clv = rows["customer_lifetime_value", "2024-02-01"]
    assert (clv["value"], clv["n"]) == (45.0, 4)
    # March exists only through the order of 2024-03-03 (the customers' last instant is
    # c4's churn on 2024-02-20): base c1..c3, all retained; CLV null, nobody churned.
    march = rows["customer_retention_rate", "2024-03-01"]
    assert (march["value"], march["n"]) == (1.0, 3)
    clv_march = rows["customer_lifetime_value", "2024-03-01"]
    assert clv_march["value"] is None and clv_march["n"] == 1
    assert "nobody churned" in clv_march["note"]
    assert max(p for _, p in rows) == "2024-03-01"


def test_customer_kpis_never_print_nothing_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = make_source(tmp_path, customers_and_orders(), "duckdb")
    # Without --from the whole range starts at the first customer: nobody precedes them.
    out = run_cli(capsys, "kpi", "customer_retention_rate", "--db", db, "--format", "json")
    (row,) = json.loads(out.out)["rows"]
    assert row["value"] is None and row["n"] == 0 and "--from" in row["note"]
    # A store without orders: the KPIs that need them say so.
    bare = make_source(tmp_path / "bare", {"customers": customers_and_orders()["customers"]},
                       "duckdb")  # fmt: skip
    out = run_cli(capsys, "kpi", "repurchase_rate", "--db", bare, "--grain", "month",
                  "--format", "json")  # fmt: skip
    assert json.loads(out.out)["rows"] == [
        {"metric": "repurchase_rate", "value": None, "n": 0, "period": None, "ci_low": None,
         "ci_high": None, "note": "no orders in the data"}
    ]  # fmt: skip
    # The value-vs-cost view takes every order (March's too) and says when it is empty.
    view = run_cli(capsys, "customers", "--db", db, "--format", "json")
    revenue = {r["customer_id"]: r["revenue"] for r in json.loads(view.out)["rows"]}
    assert revenue == {"c1": 20.0, "c2": 20.0, "c3": 30.0, "c4": 5.0}
    empty = run_cli(capsys, "customers", "--db", db, "--from", "2030-01-01")
    assert empty.code == 0 and empty.out == "" and "No customer has" in empty.err


def test_a_grain_with_no_rows_in_the_range_says_so(
    sources: dict[tuple[str, str], str],
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = source(sources, tmp_path_factory, "conversations", "duckdb")
    out = run_cli(
        capsys, "kpi", "ticket_volume", "--db", db, "--grain", "day", "--from", "2030-01-01"
    )
    assert out.code == 0 and out.out == "" and "No rows" in out.err
