"""What a source looks like right now, to tell whether it changed: its files' names, sizes and
times.

A server reading a Spark source (``serve --engine pyspark``) never hears of the loads that
write it, so it looks again now and then and compares. A local folder is listed by this
process (each ``<table>.parquet`` file, or every file of such a folder, with its size and
modification time); a lake URI or a catalog table is listed by Spark itself (the files its
plan reads, ``DataFrame.inputFiles()``), since only the session can reach it. Writers of
Parquet on a lake add new file names rather than rewrite files in place, so a changed list
is a changed table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from supportkpi.engine.spark_settings import SparkSettings
from supportkpi.engine.spark_sources import SparkLocation, spark_location
from supportkpi.schema import TABLES


def source_version(source: str, settings: SparkSettings | None = None) -> Any:
    """A value that is equal for two looks at ``source`` exactly when its tables' files are."""
    location = spark_location(source)
    if location.kind == "folder":
        return tuple(_folder_files(Path(location.where), name) for name in TABLES)
    return tuple(_spark_files(location, name, settings or SparkSettings()) for name in TABLES)


def _folder_files(folder: Path, name: str) -> tuple[tuple[str, int, int], ...]:
    path = folder / f"{name}.parquet"
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    found = []
    for file in files:
        try:
            stat = file.stat()
        except OSError:  # not there (an optional table), or removed while listing
            continue
        found.append((os.fspath(file), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def _spark_files(location: SparkLocation, name: str, settings: SparkSettings) -> tuple[str, ...]:
    from supportkpi.engine.spark_session import spark_session

    session = spark_session(settings)
    try:
        if location.kind == "catalog":
            frame = session.table(settings.table_name(name, location.where))
        else:
            frame = session.read.parquet(location.describe(name, settings))
        return tuple(sorted(frame.inputFiles()))
    except Exception:  # a table that is not there (yet): its absence is its state
        return ()
