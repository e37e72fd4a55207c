"""The demo data generator: deterministic, complete, and consistent with the event semantics.

The ticket columns are checked against an independent pandas recomputation from the events,
written here from the rules of SPEC §2/§4 (not from the generator's code).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from supportkpi import demo
from supportkpi.cli.main import app
from supportkpi.errors import InputError
from supportkpi.schema import TABLES
from supportkpi.store import Store

TICKETS = 2_000
SEED = 7
WINDOW_START = pd.Timestamp("2025-05-01", tz="UTC")  # 18 months ending 2026-10-31
WINDOW_END = pd.Timestamp("2026-11-01", tz="UTC")
ARROW_TYPE = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "float": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
    "string_list": pa.list_(pa.string()),
    "date": pa.date32(),
}


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    return demo.build_tables(TICKETS, SEED)


@pytest.fixture(scope="module")
def frames(tables: dict[str, pa.Table]) -> dict[str, pd.DataFrame]:
    frames = {name: table.to_pandas() for name, table in tables.items()}
    frames["ticket_events"] = frames["ticket_events"].sort_values(["ticket_id", "at"])
    return frames


def _sorted(table: pa.Table, name: str) -> pa.Table:
    return table.sort_by([(key, "ascending") for key in TABLES[name].key])


# -- determinism ----------------------------------------------------------------------------


def test_same_seed_gives_identical_tables(tables: dict[str, pa.Table]) -> None:
    again = demo.build_tables(TICKETS, SEED)
    for name in TABLES:
        assert _sorted(again[name], name).equals(_sorted(tables[name], name)), name


def test_other_seed_gives_other_data(tables: dict[str, pa.Table]) -> None:
    other = demo.build_tables(TICKETS, SEED + 1)
    for name in ("tickets", "ticket_events", "calls", "surveys", "orders"):
        assert not _sorted(other[name], name).equals(_sorted(tables[name], name)), name


# -- shape ----------------------------------------------------------------------------------


def test_all_ten_tables_are_filled_with_canonical_types(tables: dict[str, pa.Table]) -> None:
    assert list(tables) == list(TABLES)
    for name, table in tables.items():
        assert table.num_rows > 0, name
        for field in table.schema:
            column = TABLES[name].column(field.name)
            assert field.type == ARROW_TYPE[column.type.value], (name, field.name)
        for required in TABLES[name].required:
            assert table.column(required).null_count == 0, (name, required)
        keys = pd.DataFrame({k: table.column(k).to_pylist() for k in TABLES[name].key})
        assert not keys.duplicated().any(), name
    assert tables["tickets"].num_rows == TICKETS


def test_everything_happens_inside_the_window(frames: dict[str, pd.DataFrame]) -> None:
    for name, column in (
        ("tickets", "created_at"),
        ("ticket_events", "at"),
        ("calls", "offered_at"),
        ("orders", "ordered_at"),
        ("kb_sessions", "at"),
        ("surveys", "sent_at"),
        ("agent_activity", "end_at"),
    ):
        values = frames[name][column]
        assert values.min() >= WINDOW_START and values.max() <= WINDOW_END, name


# -- tickets and events ---------------------------------------------------------------------


def test_every_ticket_has_events_and_every_event_a_ticket(frames: dict[str, pd.DataFrame]) -> None:
    ticket_ids = set(frames["tickets"].ticket_id)
    event_tickets = set(frames["ticket_events"].ticket_id)
    assert ticket_ids == event_tickets


def test_events_follow_the_semantics(frames: dict[str, pd.DataFrame]) -> None:
    ev, tickets = frames["ticket_events"], frames["tickets"].set_index("ticket_id")
    # Strictly increasing times per ticket, so the order of events is never ambiguous.
    assert not ev.duplicated(["ticket_id", "at"]).any()
    first = ev.groupby("ticket_id").head(1).set_index("ticket_id")
    assert (first["at"] == tickets.created_at.loc[first.index]).all()
    assert (first.kind == "message").all() and first.public.all()
    opener = first.actor_type.value_counts(normalize=True)
    assert set(opener.index) == {"customer", "agent"}
    assert 0.01 < opener["agent"] < 0.05  # ~3% of tickets are agent-created
    messages = ev[ev.kind == "message"]
    assert (messages.channel.to_numpy() == tickets.channel.loc[messages.ticket_id].to_numpy()).all()
    assert (messages.actor_id[messages.actor_type == "bot"] == "bot").all()
    notes = ev[ev.kind == "note"]
    assert len(notes) and (~notes.public.astype(bool)).all() and (notes.actor_type == "agent").all()
    assignments = ev[ev.kind == "assignment"]
    assert assignments.assignee_id.notna().all() and assignments.team.notna().all()
    escalations = ev[ev.kind == "escalation"]
    assert set(escalations.level.astype(int)) == {2, 3}
    statuses = ev[ev.kind == "status"]
    assert set(statuses.status) == {"open", "pending", "on_hold", "solved", "closed"}
    assert ev.status[ev.kind != "status"].isna().all()


def _recompute_tickets(ev: pd.DataFrame) -> pd.DataFrame:
    """Ticket facts from the events, following the metric layer's rules."""
    out = pd.DataFrame(index=pd.Index(sorted(ev.ticket_id.unique()), name="ticket_id"))
    msgs = ev[ev.kind == "message"]
    first_customer = msgs[msgs.actor_type == "customer"].groupby("ticket_id")["at"].min()
    replies = msgs[(msgs.actor_type == "agent") & msgs.public.astype(bool)]
    replies = replies.join(first_customer.rename("first_customer"), on="ticket_id")
    out["first_response_at"] = (
        replies[replies["at"] >= replies.first_customer].groupby("ticket_id")["at"].min()
    )
    st = ev[ev.kind == "status"]
    out["status"] = st.groupby("ticket_id").status.last()
    out["status"] = out.status.fillna("new")
    solved_now = out.status.isin(["solved", "closed"])
    out["solved_at"] = st[st.status == "solved"].groupby("ticket_id")["at"].max().where(solved_now)
    out["closed_at"] = (
        st[st.status == "closed"].groupby("ticket_id")["at"].max().where(out.status == "closed")
    )
    previous = st.groupby("ticket_id").status.shift()
    reopen = (previous == "solved") & ~st.status.isin(["solved", "closed"])
    out["reopens"] = reopen.groupby(st.ticket_id).sum().reindex(out.index, fill_value=0)
    out["escalated"] = out.index.isin(ev.ticket_id[ev.kind == "escalation"])
    last_assignment = ev[ev.kind == "assignment"].groupby("ticket_id").last()
    out["assignee_id"] = last_assignment.assignee_id
    out["team"] = last_assignment.team
    out["updated_at"] = ev.groupby("ticket_id")["at"].max()
    return out


def test_ticket_columns_agree_with_events(frames: dict[str, pd.DataFrame]) -> None:
    expected = _recompute_tickets(frames["ticket_events"])
    actual = frames["tickets"].set_index("ticket_id").loc[expected.index]
    for column in expected.columns:
        left, right = actual[column], expected[column]
        if left.dtype == object:  # missing ids: None on one side, NaN on the other
            left, right = left.fillna("<none>"), right.fillna("<none>")
        pd.testing.assert_series_equal(
            left, right, check_dtype=False, check_names=False, obj=column
        )
    assert not actual.derived.any()


def test_first_response_ignores_bots_notes_and_nothing_is_zero(
    frames: dict[str, pd.DataFrame],
) -> None:
    ev, tickets = frames["ticket_events"], frames["tickets"].set_index("ticket_id")
    # A note before the first public reply exists, and it is not the first response.
    notes = ev[ev.kind == "note"].groupby("ticket_id")["at"].min()
    answered = tickets.first_response_at.dropna()
    noted_first = notes[notes.index.isin(answered.index)]
    assert (noted_first < answered.loc[noted_first.index]).any()
    # Bot greetings come before the human reply; some bot conversations never see a human.
    bot = ev[(ev.kind == "message") & (ev.actor_type == "bot")].groupby("ticket_id")["at"].min()
    handed_off = bot[bot.index.isin(answered.index)]
    assert (handed_off < answered.loc[handed_off.index]).all() and len(handed_off)
    contained = tickets[tickets.tags.map(lambda tags: "bot_resolved" in tags)]
    assert len(contained) and contained.first_response_at.isna().all()
    assert contained.status.isin(["solved", "closed"]).all()
    assert (tickets.first_response_at.dropna() > tickets.created_at[answered.index]).all()


def test_realistic_shares(frames: dict[str, pd.DataFrame]) -> None:
    tickets, ev = frames["tickets"], frames["ticket_events"]
    solved = tickets[tickets.solved_at.notna()]
    assert 0.04 < (solved.reopens > 0).mean() < 0.10
    assert 0.04 < tickets.escalated.mean() < 0.11
    assert (tickets.reopens.max()) >= 1
    unanswered = tickets[
        tickets.first_response_at.isna() & ~tickets.tags.map(lambda t: "bot_resolved" in t)
    ]
    assert len(unanswered) > 0
    customer_msgs = ev[(ev.kind == "message") & (ev.actor_type == "customer")]
    assert 0.03 < customer_msgs.body.notna().mean() < 0.07
    angry_tickets = set(
        customer_msgs.ticket_id[
            customer_msgs.body.str.contains("unacceptable|disappointed|Terrible|joke", na=False)
        ]
    )
    tagged = set(tickets.ticket_id[tickets.tags.map(lambda t: "angry" in t)])
    assert tagged and tagged <= angry_tickets
    # An open backlog near the end: recent tickets not solved yet, some of them pending.
    recent = tickets[tickets.created_at >= WINDOW_END - pd.Timedelta(days=14)]
    assert (~recent.status.isin(["solved", "closed"])).sum() > 0
    assert set(tickets.channel) == {"email", "chat", "phone", "social", "web"}
    assert set(tickets.priority) == {"low", "normal", "high", "urgent"}


def test_arrivals_have_seasonality_and_growth(frames: dict[str, pd.DataFrame]) -> None:
    local = frames["tickets"].created_at.dt.tz_convert("Europe/Berlin")
    weekday_daily = (local.dt.dayofweek < 5).sum() / 5
    weekend_daily = (local.dt.dayofweek >= 5).sum() / 2
    assert weekday_daily > 1.8 * weekend_daily
    business = local.dt.hour.between(9, 16).sum() / 8
    night = local.dt.hour.between(0, 5).sum() / 6
    assert business > 5 * night
    first_half = (local < pd.Timestamp("2026-01-31", tz="UTC")).mean()
    assert first_half < 0.5 - 0.02  # the second 9 months have more tickets


def test_faster_channels_answer_faster(frames: dict[str, pd.DataFrame]) -> None:
    t = frames["tickets"]
    wait = (t.first_response_at - t.created_at).dt.total_seconds()
    by_channel = wait.groupby(t.channel).median()
    assert by_channel["chat"] < by_channel["social"] < by_channel["email"]
    by_priority = wait.groupby(t.priority).median()
    assert by_priority["urgent"] < by_priority["low"]


# -- the other tables -----------------------------------------------------------------------


def test_agent_activity_does_not_overlap(frames: dict[str, pd.DataFrame]) -> None:
    activity = frames["agent_activity"].sort_values(["agent_id", "start_at"])
    assert (activity.end_at > activity.start_at).all()
    next_start = activity.groupby("agent_id").start_at.shift(-1)
    assert (next_start.dropna() >= activity.end_at[next_start.notna()]).all()
    assert set(activity.state) == {
        "handling",
        "after_call_work",
        "available",
        "break",
        "training",
        "meeting",
        "offline",
    }
    assert set(activity.agent_id) <= set(frames["agents"].agent_id)


def test_surveys_are_on_their_scales(frames: dict[str, pd.DataFrame]) -> None:
    s = frames["surveys"]
    scales = {"csat": (1, 5), "ces": (1, 5), "asat": (1, 5), "nps": (0, 10)}
    assert set(s.kind) == set(scales)
    for kind, (low, high) in scales.items():
        scores = s.score[s.kind == kind].dropna()
        assert len(scores) and scores.between(low, high).all() and (scores % 1 == 0).all(), kind
    assert (s.score.isna() == s.responded_at.isna()).all()
    assert (s.responded_at.dropna() > s.sent_at[s.responded_at.notna()]).all()
    assert s.agent_id[s.kind == "asat"].notna().all()
    csat = s[s.kind == "csat"]
    solved = frames["tickets"].solved_at.notna().sum()
    assert 0.25 < len(csat) / solved < 0.35
    assert 0.33 < csat.score.notna().mean() < 0.47


def test_csat_is_worse_when_tickets_are_slow(frames: dict[str, pd.DataFrame]) -> None:
    t = frames["tickets"].set_index("ticket_id")
    csat = frames["surveys"].query("kind == 'csat'").dropna(subset=["score"])
    resolution = (t.solved_at - t.created_at).loc[csat.ticket_id].dt.total_seconds().to_numpy()
    slow = resolution > np.median(resolution)
    assert csat.score[slow].mean() < csat.score[~slow].mean() - 0.2


def test_calls_abandon_answer_and_repeat(frames: dict[str, pd.DataFrame]) -> None:
    c = frames["calls"]
    answered = c.answered_at.notna()
    assert (c.agent_id.notna() == answered).all()
    assert (c.talk_s.notna() == answered).all()
    assert (c.answered_at[answered] >= c.offered_at[answered]).all()
    assert (c.ended_at >= c.offered_at).all()
    abandoned = c[~answered]
    assert 0.05 < len(abandoned) / len(c) < 0.25
    assert ((abandoned.ended_at - abandoned.offered_at).dt.total_seconds() < 5).any()
    assert not c.resolved[~answered].any()
    known = c.dropna(subset=["customer_id"]).sort_values("offered_at")
    gap = known.groupby("customer_id").offered_at.diff()
    assert (gap <= pd.Timedelta(days=7)).sum() > 0.05 * len(known)


def test_customers_orders_costs_and_self_service(frames: dict[str, pd.DataFrame]) -> None:
    customers, orders = frames["customers"], frames["orders"]
    churned = customers.dropna(subset=["churned_at"])
    assert len(churned) and (churned.churned_at > churned.created_at).all()
    assert (customers.created_at > WINDOW_START).any() and (
        customers.created_at < WINDOW_START
    ).any()
    assert set(customers.segment) == {"enterprise", "business", "consumer"}
    per_customer = orders.groupby("customer_id").size()
    assert (per_customer >= 2).any() and (per_customer == 1).any()
    assert (orders.amount > 0).all() and set(orders.customer_id) <= set(customers.customer_id)
    costs = frames["costs"]
    assert len(costs) == 18 * 3 and set(costs.category) == {"labor", "tooling", "overhead"}
    may = costs[costs.period_start == date(2025, 5, 1)]
    assert set(may.period_end) == {date(2025, 5, 31)}  # inclusive end
    agents = frames["agents"]
    assert 35 <= len(agents) <= 45 and (agents.hourly_cost > 0).all()
    assert agents.active_to.notna().any()

    kb = frames["kb_sessions"].dropna(subset=["customer_id"])
    tickets = frames["tickets"].dropna(subset=["customer_id"])
    pairs = kb.merge(tickets[["customer_id", "created_at"]], on="customer_id")
    within = pairs[
        (pairs.created_at > pairs["at"])
        & (pairs.created_at <= pairs["at"] + pd.Timedelta(hours=24))
    ]
    failed = within.session_id.nunique() / len(kb)
    assert 0.02 < failed < 0.5


# -- loading and the CLI --------------------------------------------------------------------


def test_generate_loads_and_logs_each_table(tmp_path) -> None:
    with Store(tmp_path / "demo.duckdb") as store:
        counts = demo.generate(store, tickets=300, seed=5)
        assert counts == store.counts()
        log = store.load_log().to_pandas()
    assert sorted(log.table_name) == sorted(TABLES)
    assert (log.file_name == "demo").all()
    assert (log.content_hash == demo.content_hash(300, 5, demo.DEFAULT_END)).all()
    assert log.load_id.is_unique
    assert (log.rows_in == log.inserted).all()


def test_bad_arguments_are_input_errors() -> None:
    with Store(":memory:") as store:
        with pytest.raises(InputError, match="--tickets"):
            demo.generate(store, tickets=0)
        with pytest.raises(InputError, match="--seed"):
            demo.generate(store, seed=-1)


def test_cli_demo_twice_is_idempotent_and_refuses_other_data(tmp_path) -> None:
    db = str(tmp_path / "cli.duckdb")
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--db", db, "--tickets", "300", "--seed", "3"])
    assert first.exit_code == 0, first.output
    assert "ticket_events" in first.output and "agent_activity" in first.output
    with Store(db) as store:
        before = {name: _sorted(store.arrow(name), name) for name in TABLES}
    second = runner.invoke(app, ["demo", "--db", db, "--tickets", "300", "--seed", "3"])
    assert second.exit_code == 0, second.output
    with Store(db) as store:
        log = store.load_log().to_pandas()
        for name in TABLES:
            assert _sorted(store.arrow(name), name).equals(before[name]), name
    latest = log[log.load_id > log.load_id.max() - len(TABLES)]
    assert (latest.unchanged == latest.rows_in).all() and (latest.inserted == 0).all()

    other = runner.invoke(app, ["demo", "--db", db, "--tickets", "200", "--seed", "4"])
    assert isinstance(other.exception, InputError)
    replaced = runner.invoke(
        app, ["demo", "--db", db, "--tickets", "200", "--seed", "4", "--replace"]
    )
    assert replaced.exit_code == 0, replaced.output
    with Store(db) as store:
        assert store.count("tickets") == 200


@pytest.fixture(scope="module")
def larger() -> dict[str, pd.DataFrame]:
    """A bigger data set, for effects too small to see reliably in 2,000 tickets."""
    tables = demo.build_tables(10_000, SEED)
    return {name: tables[name].to_pandas() for name in ("tickets", "calls")}


def test_backlog_at_the_end_has_recent_and_pending_tickets(larger: dict[str, pd.DataFrame]) -> None:
    tickets = larger["tickets"]
    unsolved = tickets[~tickets.status.isin(["solved", "closed"])]
    recent = unsolved.created_at >= WINDOW_END - pd.Timedelta(days=7)
    assert recent.sum() >= 10
    assert (unsolved.status == "pending").sum() >= 5
    assert (unsolved.status == "open").sum() >= 5


def test_abandonment_rises_with_the_wait(larger: dict[str, pd.DataFrame]) -> None:
    calls = larger["calls"]
    hour = calls.offered_at.dt.tz_convert("Europe/Berlin").dt.hour
    waited = (calls.answered_at - calls.offered_at).dt.total_seconds()
    rang = (calls.ended_at - calls.offered_at).dt.total_seconds()
    abandoned = calls.answered_at.isna() & (rang >= 5)
    peak, quiet = hour.between(9, 11), hour.between(17, 19)
    assert waited[peak].mean() > 1.5 * waited[quiet].mean()
    assert abandoned[peak].mean() > 1.3 * abandoned[quiet].mean()
