"""Property: any mixture of good and malformed rows reconciles, and every input row is either
stored or quarantined — never both, never neither."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportkpi.ingest import ingest_file
from supportkpi.store import Store

HEADER = ["ticket_id", "created_at", "channel", "status", "reopens"]

# Each generated row is a kind; the test computes the expected outcome itself.
GOOD = "good"
BAD = {
    "bad_timestamp": ("created_at", "2024-13-45"),
    "no_id": ("ticket_id", ""),
    "bad_status": ("status", "dormant"),
    "bad_integer": ("reopens", "1.5"),
    "no_channel": ("channel", "  "),
}
MALFORMED = "malformed"
DUPLICATE = "duplicate"  # a valid row repeating an earlier row's ticket id

row_kinds = st.sampled_from([GOOD, GOOD, GOOD, MALFORMED, DUPLICATE, *BAD])


def render(kinds: list[str], dup_targets: list[int]) -> tuple[str, dict[int, str | None]]:
    """The CSV text and, per 1-based row, the ticket id it carries (None when it has none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    ids: dict[int, str | None] = {}
    for number, kind in enumerate(kinds, start=1):
        ticket = f"T{number}"
        if kind == DUPLICATE:
            ticket = f"T{1 + dup_targets[number - 1] % number}"  # any row up to this one
        row = [ticket, f"2024-01-{1 + number % 28:02d} 10:00", "web", "open", "0"]
        if kind in BAD:
            column, value = BAD[kind]
            row[HEADER.index(column)] = value
        ids[number] = row[0] or None
        if kind == MALFORMED:
            out.write(f"{ticket},2024-01-01\n")  # two fields instead of five
            continue
        writer.writerow(row)
    return out.getvalue(), ids


def expected_outcome(kinds: list[str], ids: dict[int, str | None]) -> tuple[set[int], set[int]]:
    """(stored rows, rejected rows): a valid row is kept unless a kept row has its id."""
    kept_ids: set[str] = set()
    stored, rejected = set(), set()
    for number, kind in enumerate(kinds, start=1):
        ticket = ids[number]
        if kind == MALFORMED or kind in BAD or ticket in kept_ids:
            rejected.add(number)
        else:
            assert ticket is not None
            kept_ids.add(ticket)
            stored.add(number)
    return stored, rejected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(row_kinds, min_size=0, max_size=40),
    dup_targets=st.lists(st.integers(0, 1000), min_size=40, max_size=40),
)
def test_every_row_is_stored_or_quarantined(
    tmp_path: Path, kinds: list[str], dup_targets: list[int]
) -> None:
    text, ids = render(kinds, dup_targets)
    path = tmp_path / "mixed.csv"
    path.write_text(text, encoding="utf-8")
    store = Store(":memory:")
    summary = ingest_file(store, "tickets", path)

    assert summary.rows_in == len(kinds)
    assert summary.rows_in == (
        summary.inserted + summary.updated + summary.unchanged + summary.rejected
    )
    stored_ids = {r[0] for r in store.con.execute("SELECT ticket_id FROM tickets").fetchall()}
    quarantined = [r[0] for r in store.con.execute("SELECT row_number FROM _quarantine").fetchall()]
    assert len(quarantined) == len(set(quarantined)) == summary.rejected  # one entry per row

    want_stored, want_rejected = expected_outcome(kinds, ids)
    assert set(quarantined) == want_rejected
    assert stored_ids == {ids[n] for n in want_stored}
    assert summary.inserted == len(want_stored)

    again = ingest_file(store, "tickets", path)
    assert (again.inserted, again.updated, again.unchanged, again.rejected) == (
        0, 0, len(want_stored), len(want_rejected))  # fmt: skip
