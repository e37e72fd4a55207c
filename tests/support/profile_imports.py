"""Shared steps of the import-profile tests: load a sample export into a fresh store, and
check that every part's rows reconcile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from supportkpi.facts import open_store
from supportkpi.ingest.profiles import run_import
from supportkpi.store import LoadSummary


def import_sample(
    tmp_path_factory: pytest.TempPathFactory, kind: str, files: Sequence[Path]
) -> tuple[Path, list[LoadSummary]]:
    """``supportkpi import KIND FILES`` into a new store; its path and the load summaries."""
    db = tmp_path_factory.mktemp(kind) / f"{kind}.duckdb"
    with open_store(db) as store:
        return db, run_import(store, kind, files)


def assert_reconciled(summaries: Sequence[LoadSummary]) -> None:
    """Every input row of every part is stored (new, updated, unchanged) or quarantined."""
    for s in summaries:
        assert s.rows_in == s.inserted + s.updated + s.unchanged + s.rejected
