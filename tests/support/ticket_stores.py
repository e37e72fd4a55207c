"""Stores of a few hand-written tickets, for tests of the server rather than of the KPIs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from supportkpi.store import Store


def ticket_store(path: Path, **columns: list[object]) -> Path:
    """A store at ``path`` holding one ticket per value of ``ticket_id`` (default: ``t1``,
    created 2024-01-01 09:00 UTC by email); other ``columns`` are given as lists."""
    ids = columns.pop("ticket_id", ["t1"])
    table = {
        "ticket_id": ids,
        "created_at": [datetime(2024, 1, 1 + i, 9, tzinfo=UTC) for i in range(len(ids))],
        "channel": ["email"] * len(ids),
        **columns,
    }
    with Store(path) as store, store.transaction():
        store.upsert("tickets", pa.table(table))
    return path
