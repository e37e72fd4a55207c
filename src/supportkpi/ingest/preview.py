"""A load without the store: what ``ingest --dry-run`` shows before anything is written.

The file is read, mapped and validated exactly as a load would (in an in-memory DuckDB, so
the store is neither opened nor created), and the outcome is summed up: rows that would be
stored and quarantined, the quarantine counts by rule and column, the first rejected rows,
the columns read by name alone, and, for an event log, the source activities that no listed
activity or rule covers (they take the ``[events]`` default, or are rejected without one).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow.compute as pc

from supportkpi.ingest.loader import MappingSource, read_and_validate
from supportkpi.ingest.mapping import load_mapping
from supportkpi.schema import get_table
from supportkpi.store import Store

#: How many rejected rows a preview shows.
SHOWN_REJECTS = 5


@dataclass
class Preview:
    """What loading one file would do. ``rows_in == would_store + would_quarantine``."""

    table: str
    file: str
    rows_in: int
    would_store: int
    would_quarantine: int
    #: (rule, column or None, rows), most frequent first
    by_rule: list[tuple[str, str | None, int]] = field(default_factory=list)
    first_rejects: list[str] = field(default_factory=list)
    #: (source column, canonical column) read by name alone
    implicit_columns: list[tuple[str, str]] = field(default_factory=list)
    #: (source activity, rows) with no listed activity or rule; None when not an event log
    uncovered_activities: list[tuple[str, int]] | None = None
    #: the [events] default covers the uncovered activities (else they are rejected)
    has_default: bool = False
    #: ticket_events: distinct tickets among the rows that would be stored
    tickets: int | None = None
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def preview_file(
    table: str, path: str | Path, mapping: MappingSource = None, format: str | None = None
) -> Preview:
    """Read and validate ``path`` as a load into ``table`` would, writing nothing anywhere."""
    spec = get_table(table)
    resolved = load_mapping(mapping, spec)
    with Store(":memory:") as scratch:
        summary, checked, plan = read_and_validate(
            scratch, spec, resolved, Path(path), format, lambda _stage: None
        )
    rejects = checked.rejects
    counted = Counter(
        zip(rejects.column("rule").to_pylist(), rejects.column("column_name").to_pylist(),
            strict=True)
    )  # fmt: skip
    by_rule = [(rule, column, n) for (rule, column), n in counted.most_common()]
    tickets = None
    if spec.name == "ticket_events":
        tickets = int(pc.count_distinct(checked.good.column("ticket_id")).as_py())
    return Preview(
        table=spec.name,
        file=str(path),
        rows_in=summary.rows_in,
        would_store=checked.good.num_rows,
        would_quarantine=rejects.num_rows,
        by_rule=by_rule,
        first_rejects=rejects.column("message").to_pylist()[:SHOWN_REJECTS],
        implicit_columns=list(plan.implicit),
        uncovered_activities=checked.uncovered if plan.activity is not None else None,
        has_default=plan.activity is not None and plan.activity.default is not None,
        tickets=tickets,
        warnings=summary.warnings,
    )
