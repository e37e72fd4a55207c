"""Generate the demo data set (all ten tables) and load it into a store in one transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import numpy as np
import pyarrow as pa

from supportkpi.demo import parameters as p
from supportkpi.demo.activity import activity_table, plan_shifts
from supportkpi.demo.calls import calls_table
from supportkpi.demo.clock import Clock
from supportkpi.demo.columns import ids
from supportkpi.demo.commerce import costs_table, kb_sessions_table, orders_table
from supportkpi.demo.conversations import simulate_conversations
from supportkpi.demo.derive import derive_outcomes, events_table, sort_and_cut, tickets_table
from supportkpi.demo.people import make_customers, make_roster
from supportkpi.demo.surveys import surveys_table
from supportkpi.demo.tickets import draft_tickets
from supportkpi.errors import InputError
from supportkpi.schema import TABLES
from supportkpi.sentiment import score_events
from supportkpi.store import LoadSummary, Store

#: ``progress(done, total, description)`` is called before each step.
Progress = Callable[[int, int, str], None]
DEMO_FILE_NAME = "demo"
_BUILD_STEPS = (
    "people",
    "ticket arrivals",
    "conversations",
    "ticket rows",
    "surveys",
    "calls",
    "agent activity",
    "orders, costs and self-service",
)
#: Number of progress steps of :func:`load_demo` (building, then one load per table).
STEP_COUNT = len(_BUILD_STEPS) + len(TABLES)
#: Independent random streams, so that changing one table's generator leaves the others alone.
_STREAMS = (
    "people",
    "tickets",
    "conversations",
    "tags",
    "surveys",
    "calls",
    "activity",
    "orders",
    "kb",
)


def content_hash(tickets: int, seed: int, end: date) -> str:
    """Identity of a demo data set (logged as the loads' content hash)."""
    key = f"supportkpi-demo:v{p.GENERATOR_VERSION}:seed={seed}:tickets={tickets}:end={end}"
    return hashlib.sha256(key.encode()).hexdigest()


def check_arguments(tickets: int, seed: int) -> None:
    """Raise :class:`InputError` for a ticket count or seed the generator cannot use."""
    if not 1 <= tickets <= p.MAX_TICKETS:
        raise InputError(f"--tickets must be between 1 and {p.MAX_TICKETS:,}, got {tickets}")
    if seed < 0:
        raise InputError(f"--seed must be a non-negative integer, got {seed}")


def build_tables(
    tickets: int = p.DEFAULT_TICKETS,
    seed: int = p.DEFAULT_SEED,
    end: date = p.DEFAULT_END,
    progress: Progress | None = None,
) -> dict[str, pa.Table]:
    """The demo data set as canonical Arrow tables, without touching a store.

    Deterministic: the same ``tickets``, ``seed`` and ``end`` give identical tables.

    >>> tables = build_tables(tickets=50, seed=1)
    >>> tables["tickets"].num_rows
    50
    """
    check_arguments(tickets, seed)

    def step(index: int) -> None:
        if progress is not None:
            progress(index, STEP_COUNT, _BUILD_STEPS[index])

    streams = {
        name: np.random.Generator(np.random.PCG64(child))
        for name, child in zip(
            _STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True
        )
    }
    step(0)
    clock = Clock.ending(end)
    roster = make_roster(streams["people"], clock)
    customers = make_customers(streams["people"], clock, tickets)
    step(1)
    draft = draft_tickets(streams["tickets"], clock, tickets, customers, roster)
    step(2)
    raw_events = simulate_conversations(streams["conversations"], clock, draft, roster)
    events = sort_and_cut(raw_events, clock.end)
    del raw_events
    step(3)
    outcome = derive_outcomes(events, len(draft))
    ticket_ids = ids("T", len(draft), 7)
    tables = {
        "tickets": tickets_table(streams["tags"], draft, outcome, ticket_ids, customers, roster),
        # Sentiment is scored once, as a load would (see supportkpi.sentiment).
        "ticket_events": score_events(events_table(events, draft, ticket_ids, customers, roster)),
    }
    del events
    step(4)
    tables["surveys"] = surveys_table(
        streams["surveys"], clock, draft, outcome, ticket_ids, customers, roster
    )
    step(5)
    tables["calls"] = calls_table(streams["calls"], clock, tickets, roster, customers)
    step(6)
    shifts = plan_shifts(streams["activity"], clock, roster)
    tables["agent_activity"] = activity_table(streams["activity"], shifts, clock, roster)
    tables["agents"] = roster.table()
    tables["customers"] = customers.table()
    step(7)
    tables["orders"] = orders_table(streams["orders"], clock, customers, draft)
    tables["costs"] = costs_table(clock, shifts, roster)
    tables["kb_sessions"] = kb_sessions_table(streams["kb"], clock, customers, draft)
    return {name: tables[name] for name in TABLES}


def _latest_loads(store: Store) -> dict[str, tuple[str, str]]:
    """(file name, content hash) of the most recent load of each table."""
    log = store.load_log().to_pylist()
    return {row["table_name"]: (row["file_name"], row["content_hash"]) for row in log}


def load_demo(
    store: Store,
    tickets: int = p.DEFAULT_TICKETS,
    seed: int = p.DEFAULT_SEED,
    end: date = p.DEFAULT_END,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, LoadSummary]:
    """Generate the demo data set and upsert it into ``store``; one logged load per table.

    Loading the same demo twice changes nothing (every row unchanged). A store that holds
    other data (a different demo, or ingested files) is refused unless ``replace`` is true,
    which first empties the ten tables: mixing two data sets would break the events.
    """
    check_arguments(tickets, seed)
    digest = content_hash(tickets, seed, end)
    latest = _latest_loads(store)
    holds_data = any(store.count(name) for name in TABLES)
    ours = all(latest.get(name) == (DEMO_FILE_NAME, digest) for name in TABLES)
    if holds_data and not ours and not replace:
        raise InputError(
            f"database {store.path} already holds other data (another demo or ingested files); "
            "use a new --db file, or --replace to empty its tables first"
        )
    tables = build_tables(tickets, seed, end, progress)
    summaries: dict[str, LoadSummary] = {}
    with store.transaction():
        if replace:
            for name in TABLES:
                store.clear(name)
        for index, name in enumerate(list(tables)):
            table = tables.pop(name)  # each table's memory is freed once DuckDB has it
            if progress is not None:
                progress(len(_BUILD_STEPS) + index, STEP_COUNT, f"loading {name}")
            inserted, updated, unchanged = store.upsert(name, table)
            summary = LoadSummary(
                name, table.num_rows, inserted, updated, unchanged, file=DEMO_FILE_NAME
            )
            store.log_load(store.next_load_id(), summary, digest)
            summaries[name] = summary
    if progress is not None:
        progress(STEP_COUNT, STEP_COUNT, "done")
    return summaries


def generate(
    store: Store,
    tickets: int = p.DEFAULT_TICKETS,
    seed: int = p.DEFAULT_SEED,
    end: date = p.DEFAULT_END,
    *,
    replace: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Generate and load the demo data set; return the number of rows of each table.

    >>> from supportkpi.store import Store
    >>> counts = generate(Store(":memory:"), tickets=50)
    >>> counts["tickets"]
    50
    """
    summaries = load_demo(store, tickets, seed, end, replace=replace, progress=progress)
    return {name: summary.rows_in for name, summary in summaries.items()}
