"""``/api/rejects``, ``/api/loads``, ``/api/sync`` and ``POST /api/ingest/{table}`` (admin):
the data layer."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse

from supportkpi.ingest.loader import check_inputs, ingest_file
from supportkpi.ingest.readers import FORMATS
from supportkpi.report.rows import plain
from supportkpi.store.quarantine import quarantine_entries
from supportkpi.store.store import SUMMARY_KEYS
from supportkpi.store.sync_state import sync_status
from supportkpi.web.auth import requires
from supportkpi.web.state import ApiState, api_state

router = APIRouter(tags=["data"])
State = Annotated[ApiState, Depends(api_state)]
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@router.get("/api/rejects", dependencies=[Depends(requires("viewer"))])
def rejects(
    state: State,
    limit: Annotated[int | None, Query(ge=1, description="At most N rows.")] = None,
    include_resolved: Annotated[
        bool, Query(alias="all", description="Also entries a later load resolved.")
    ] = False,
    load: Annotated[int | None, Query(description="Only the entries of load N.")] = None,
    table: Annotated[str | None, Query(description="Only the entries of this table.")] = None,
) -> JSONResponse:
    """The open quarantine entries, newest loads first, each with its rule, key and source
    row (`supportkpi rejects --json`)."""
    with state.reading() as reader:
        rows = quarantine_entries(reader.store.con, include_resolved, load, table)
    return JSONResponse({"rows": plain(rows[:limit] if limit else rows)})


@router.get("/api/loads", dependencies=[Depends(requires("viewer"))])
def loads(state: State) -> JSONResponse:
    """The load log: one row per load, with its counts and warnings, oldest first."""
    with state.reading() as reader:
        rows = reader.store.load_log().to_pylist()
    return JSONResponse({"rows": plain(rows)})


@router.get("/api/sync", dependencies=[Depends(requires("viewer"))])
def syncs(state: State) -> JSONResponse:
    """The live sources synced into the store (`supportkpi sync`): per source and stream the
    last sync, the pages it stored, the newest record time and its age in seconds; `sources`
    is empty when the store never synced."""
    with state.reading() as reader:
        sources = sync_status(reader.store.con)
    now = datetime.now(UTC)
    return JSONResponse({"sources": plain([s.as_dict(now) for s in sources])})


@router.post("/api/ingest/{table}", dependencies=[Depends(requires("admin"))])
def ingest(
    state: State,
    table: str,
    file: Annotated[
        UploadFile,
        File(description="CSV, TSV, Parquet, JSON Lines, Excel (.xlsx) or XES event log file."),
    ],
    mapping: Annotated[
        UploadFile | None, File(description="Mapping file (TOML): columns, values, events.")
    ] = None,
    format: Annotated[str | None, Form(description=", ".join(FORMATS) + ".")] = None,
) -> JSONResponse:
    """Load one file into a canonical table; the summary of `supportkpi ingest --json`."""
    with tempfile.TemporaryDirectory(prefix="supportkpi-upload-") as tmp:
        data = _save(file, Path(tmp), "upload")
        rules = _save(mapping, Path(tmp), "mapping") if mapping is not None else None
        checked = check_inputs(table, [data], rules)
        with state.writing() as store:
            summary = ingest_file(store, table, data, checked, format or None)
    result: dict[str, Any] = summary.as_dict()
    return JSONResponse({key: result[key] for key in SUMMARY_KEYS})


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    """Copy an upload into ``folder`` under a safe form of its name (its suffix is the format)."""
    name = _UNSAFE.sub("_", Path(upload.filename or fallback).name).lstrip(".") or fallback
    target = folder / name
    if target.exists():
        target = folder / f"{fallback}-{name}"
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out)
    return target
