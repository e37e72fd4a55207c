"""Run an import profile: plan the user's files, merge ``--map`` on top, load each part.

>>> from supportkpi.store import Store
>>> # summaries = run_import(Store("support.duckdb"), "servicenow", ["incident_event_log.csv"])

Each part is one ordinary load (:func:`supportkpi.ingest.loader.ingest_file`): the same
upserts, quarantine, fact refresh and load log as ``supportkpi ingest``, and ``rows_in ==
stored + quarantined`` for every part. Converters write into a temporary directory that is
gone when the import returns.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest.loader import Progress, ingest_file
from supportkpi.ingest.mapping import parse_mapping
from supportkpi.ingest.mapping_model import Mapping
from supportkpi.ingest.preview import Preview, preview_file
from supportkpi.ingest.profiles._registry import get_profile
from supportkpi.ingest.profiles.base import Part
from supportkpi.schema import TABLES, get_table
from supportkpi.store import LoadSummary, Store

#: ``--map``: a TOML path, or its parsed form ``{table: mapping sections}``.
ExtraMapping = str | Path | dict[str, Any] | None


@dataclass(frozen=True)
class PlannedPart:
    """A part with its merged, validated mapping, ready to load or preview."""

    part: Part
    mapping: Mapping

    @property
    def label(self) -> str:
        return self.part.label or str(self.part.path)


def run_import(
    store: Store,
    kind: str,
    paths: Sequence[str | Path],
    extra_mapping: ExtraMapping = None,
    progress: Progress | None = None,
) -> list[LoadSummary]:
    """Load the export ``paths`` of help desk ``kind`` into ``store``, one load per part.

    Every file, the plan and every merged mapping are checked before the first load, so a
    wrong file or a bad ``--map`` writes nothing.
    """
    with planned_parts(kind, paths, extra_mapping) as planned:
        return load_planned(store, planned, progress)


def load_planned(
    store: Store, planned: Sequence[PlannedPart], progress: Progress | None = None
) -> list[LoadSummary]:
    """Load parts made by :func:`planned_parts`, one atomic load each, in order."""
    return [
        ingest_file(store, p.part.table, p.part.path, p.mapping, p.part.format, progress, p.label)
        for p in planned
    ]


def preview_import(
    kind: str, paths: Sequence[str | Path], extra_mapping: ExtraMapping = None
) -> list[Preview]:
    """What :func:`run_import` would store and quarantine, per part; writes nothing."""
    with planned_parts(kind, paths, extra_mapping) as planned:
        previews = [preview_file(p.part.table, p.part.path, p.mapping, p.part.format)
                    for p in planned]  # fmt: skip
        for preview, p in zip(previews, planned, strict=True):
            preview.file = p.label
        return previews


def check_import(
    kind: str, paths: Sequence[str | Path], extra_mapping: ExtraMapping = None
) -> dict[str, dict[str, Any]]:
    """Fail early, before the store is opened: unknown kind, missing file, bad ``--map``."""
    get_profile(kind)
    if not paths:
        raise InputError(f"supportkpi import {kind} needs at least one file")
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"{path}: file not found")
    return read_extra_mapping(extra_mapping)


@contextmanager
def planned_parts(
    kind: str, paths: Sequence[str | Path], extra_mapping: ExtraMapping = None
) -> Iterator[list[PlannedPart]]:
    """The profile's parts with ``--map`` merged in, while their converted files exist."""
    extra = check_import(kind, paths, extra_mapping)
    profile = get_profile(kind)
    with TemporaryDirectory(prefix=f"supportkpi-import-{kind}-") as workdir:
        parts = profile.plan([Path(p) for p in paths], Path(workdir))
        tables = {part.table for part in parts}
        unused = sorted(set(extra) - tables)
        if unused:
            raise InputError(
                f"--map names table {', '.join(unused)}, which supportkpi import {kind} "
                f"does not load (it loads {', '.join(sorted(tables))})"
            )
        named = Path(extra_mapping).name if isinstance(extra_mapping, str | Path) else "--map"
        yield [
            PlannedPart(part, _merged(kind, part, extra.get(part.table), named)) for part in parts
        ]


def _merged(kind: str, part: Part, extra: dict[str, Any] | None, named: str) -> Mapping:
    """The part's mapping with ``--map`` on top, validated; errors name where it came from."""
    origin = f"{kind} profile's {part.table} mapping" + (f" with {named}" if extra else "")
    return parse_mapping(merge_mapping(part.mapping, extra) or {}, get_table(part.table), origin)


def read_extra_mapping(source: ExtraMapping) -> dict[str, dict[str, Any]]:
    """Parse ``--map``: top-level tables named by canonical table, e.g. ``[tickets.columns]``."""
    if source is None:
        return {}
    origin = "--map"
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        origin = path.name
        if not path.is_file():
            raise InputError(f"{path}: mapping file not found")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{origin}: invalid TOML: {exc}") from None
    problems = [
        f"[{key}] is not a canonical table (one of {', '.join(TABLES)}); an import mapping "
        f"names the table first, e.g. [tickets.columns]"
        for key, value in data.items()
        if key not in TABLES or not isinstance(value, dict)
    ]
    if problems:
        raise ConfigError(f"{origin}: invalid import mapping", problems)
    return data


def merge_mapping(
    base: dict[str, Any] | None, extra: dict[str, Any] | None
) -> dict[str, Any] | None:
    """``extra`` on top of ``base``: nested tables merge, any other value replaces."""
    if extra is None:
        return base
    merged = dict(base or {})
    for key, value in extra.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = merge_mapping(old, value)
        else:
            merged[key] = value
    return merged
