"""Facts kept in the store (per-ticket facts, status events, backlog deltas, surveys, SLA
clocks), current with every load.

>>> from supportkpi.facts import open_store
"""

from __future__ import annotations

from pathlib import Path

from supportkpi.facts.refresh import (
    differences,
    fact_config,
    keep_facts_current,
    missing_configs,
    refresh,
)
from supportkpi.store import Store


def open_store(path: str | Path, read_only: bool = False, create: bool = True) -> Store:
    """A store whose every load keeps its stored facts current (the writers' way in)."""
    store = Store(path, read_only=read_only, create=create)
    if not read_only:
        store.before_commit.append(keep_facts_current)
    return store


__all__ = [
    "differences",
    "fact_config",
    "keep_facts_current",
    "missing_configs",
    "open_store",
    "refresh",
]
