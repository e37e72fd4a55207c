"""What an import profile is: a named help-desk export turned into loads of canonical tables.

A profile names the export it expects and plans its loads: each :class:`Part` is one
ordinary load of a file (the user's own, or one its converter wrote) into one canonical
table, with a mapping in the language of ``ingest --map``. :mod:`.runner` runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Part:
    """One load the profile asks for: a file the normal loader reads into one canonical table."""

    table: str  # canonical table name: tickets, ticket_events, surveys, agents, customers, ...
    path: Path  # the user's file itself, or a converter's output in the workdir
    mapping: dict[str, Any] | None  # same language as `ingest --map` TOML, or None
    format: str | None = None  # loader format override (csv, jsonl, parquet, xes, xlsx, ...)
    label: str | None = None  # the user's file name to show when path is a converted file


@dataclass(frozen=True)
class Profile:
    """A help-desk export that `supportkpi import KIND` understands."""

    name: str  # the KIND of `supportkpi import KIND`
    summary: str  # one line for `supportkpi import --help`
    expects: str  # which export it expects, one sentence (used in errors and docs)
    #: ``plan(user_files, workdir)`` checks the files (InputError naming the file and what is
    #: missing when a file is not this system's export) and returns the parts to load, in order.
    plan: Callable[[Sequence[Path], Path], list[Part]]
