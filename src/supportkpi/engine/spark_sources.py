"""Where the pyspark engine reads the canonical tables: a folder, a lake URI or the catalog.

- a local folder of ``<table>.parquet`` files or folders (what ``supportkpi export`` writes);
- a folder URI that the Spark session can read (``file://``, ``s3a://``, ``hdfs://``,
  ``abfss://``, ...), laid out the same way; the server reads it, so its credentials and
  file-system settings are the session's (``[spark] conf``);
- ``spark:NAMESPACE`` (``spark:catalog.schema``, ``spark:schema``, or ``spark:`` for the
  session's current database and temp views): catalog tables with the canonical names, or the
  names of ``[spark] tables``.

Each table is checked against the canonical schema as it is opened: a missing table, a missing
required column or a column of the wrong type is one line naming the table.

The facts that ``supportkpi facts build`` writes for a source (:mod:`supportkpi.facts.lake`)
are read here too: where they are (:func:`facts_location`), the manifest naming them, and the
fingerprint of the source tables that says whether they are still current.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from supportkpi.engine.spark_settings import SparkSettings
from supportkpi.engine.stored_facts import LAKE_MANIFEST, LAKE_MANIFEST_SCHEMA, SOURCE_TABLES
from supportkpi.errors import InputError
from supportkpi.schema import TABLES, ColumnType

CATALOG_PREFIX = "spark:"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://.+")
_NAMESPACE = re.compile(r"(`[^`]+`|[A-Za-z_][\w$]*)(\.(`[^`]+`|[A-Za-z_][\w$]*)){0,2}")


@dataclass(frozen=True)
class SparkLocation:
    """A source as Spark sees it: ``kind`` is ``folder``, ``uri`` or ``catalog``."""

    kind: str
    where: str  # an absolute folder, a URI, or a catalog namespace ("" for the current one)

    def describe(self, name: str, settings: SparkSettings) -> str:
        """Where table ``name`` is read from, for messages."""
        if self.kind == "catalog":
            return f"catalog table {settings.table_name(name, self.where)}"
        return f"{self.where.rstrip('/')}/{name}.parquet"


def spark_location(source: str) -> SparkLocation:
    """Classify ``source``; a local folder must exist (a URI or a catalog is checked by Spark)."""
    if source.startswith(CATALOG_PREFIX):
        namespace = source[len(CATALOG_PREFIX) :]
        if namespace and not _NAMESPACE.fullmatch(namespace):
            raise InputError(f"{source}: expected spark:catalog.schema, spark:schema or spark:")
        return SparkLocation("catalog", namespace)
    if _URI.fullmatch(source):
        return SparkLocation("uri", source.rstrip("/"))
    path = Path(source)
    if not path.is_dir():
        raise InputError(
            f"the pyspark engine reads a folder of <table>.parquet files, a folder URI or "
            f"spark:catalog.schema; {source} is none of these "
            "(create a folder with `supportkpi export --db DB --to DIR`)"
        )
    # Absolute: a Connect server resolves paths in its own working directory.
    return SparkLocation("folder", str(path.resolve()))


def open_spark_table(
    con: Any, location: SparkLocation, name: str, settings: SparkSettings
) -> ir.Table:
    """Table ``name`` of ``location`` as an Ibis table on the PySpark backend ``con``."""
    session = con._session
    where = location.describe(name, settings)
    try:
        if location.kind == "catalog":
            frame = session.table(settings.table_name(name, location.where))
        else:
            frame = session.read.parquet(where)
        # A uniquely named temp view: two sources in one session never see each other's.
        view = f"src_{name}_{uuid.uuid4().hex[:12]}"
        frame.createOrReplaceTempView(view)
        types = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    except Exception as exc:  # Spark's AnalysisException: no such table or path
        raise InputError(f"cannot read {name!r} from {where}: {_first_line(exc)}") from None
    check_columns(types, name, where)
    return con.table(view)


def facts_location(location: SparkLocation, settings: SparkSettings) -> str | None:
    """Where the stored facts of ``location`` are: ``[spark] facts``, else the folder or URI
    of the source itself; a catalog source has none unless configured."""
    if settings.facts is not None:
        return settings.facts
    return None if location.kind == "catalog" else location.where


def writable_folder(where: str) -> str:
    """A folder to write to, as the server must see it: a URI as it is, a local path made
    absolute (a Connect server resolves a relative one in its own working directory)."""
    return where.rstrip("/") if _URI.fullmatch(where) else str(Path(where).resolve())


def local_folder(where: str) -> Path | None:
    """The local folder of an absolute path or a ``file://`` URI (else None)."""
    if where.startswith("file://"):
        return Path(where[len("file://") :] or "/")
    return None if _URI.fullmatch(where) else Path(where)


def open_fact_file(con: Any, facts_at: str, stem: str) -> ir.Table:
    """The fact file ``<facts_at>/<stem>.parquet`` as an Ibis table (read by the server)."""
    where = f"{facts_at.rstrip('/')}/{stem}.parquet"
    view = f"fact_{stem}_{uuid.uuid4().hex[:12]}"
    try:
        con._session.read.parquet(where).createOrReplaceTempView(view)
    except Exception as exc:  # deleted since the manifest named it
        raise InputError(
            f"cannot read the stored fact {where}: {_first_line(exc)} "
            "(run `supportkpi facts build` again)"
        ) from None
    return con.table(view)


def read_lake_manifest(session: Any, facts_at: str) -> list[dict[str, Any]]:
    """The entries of the facts manifest at ``facts_at`` (none when there is no manifest)."""
    if not _URI.fullmatch(facts_at) and not (Path(facts_at) / LAKE_MANIFEST).exists():
        # A local folder (which this process sees, as spark_location checked): no need to
        # ask Spark, and a failed read is one more operation on a shared Connect session.
        return []
    try:
        frame = session.read.schema(LAKE_MANIFEST_SCHEMA).json(
            f"{facts_at.rstrip('/')}/{LAKE_MANIFEST}"
        )
        return [row.asDict() for row in frame.collect()]
    except Exception:  # no manifest there (PATH_NOT_FOUND), or one that cannot be read
        return []


def source_fingerprint(
    session: Any, location: SparkLocation, settings: SparkSettings
) -> dict[str, str]:
    """A digest per source table of the facts: a changed table changes its digest.

    A table's digest is taken over its files: each one's path, size and modification time, as
    the file system lists them (Spark's ``binaryFile`` source without the content column reads
    no data: one listing job for all tables, on any Hadoop file system). A file rewritten in
    place keeps its name but not its size and time; Spark's writers and table formats write
    new file names. A row count would add nothing that these miss, and Spark counts Parquet
    rows by scanning them. A table without files (a view over in-memory rows) gets a checksum
    of its rows instead (``count`` and the sum of ``xxhash64`` over every row: a full scan).
    """
    files: dict[str, list[str]] = {}
    checksums: dict[str, str] = {}
    for name in SOURCE_TABLES:
        if location.kind == "catalog":
            frame = session.table(settings.table_name(name, location.where))
            found = sorted(frame.inputFiles())
            if found:
                files[name] = found
            else:
                row = frame.selectExpr(
                    "count(*) AS n", "sum(cast(xxhash64(*) AS decimal(38, 0))) AS h"
                ).collect()[0]
                checksums[name] = f"rows {row['n']} checksum {row['h']}"
        else:
            files[name] = [location.describe(name, settings)]
    listed: dict[str, list[str]] = {name: [] for name in files}
    if files:
        scans = [
            session.read.format("binaryFile")
            .load(paths)
            .selectExpr(f"'{name}' AS t", "path", "length", "unix_millis(modificationTime) AS m")
            for name, paths in files.items()
        ]
        for row in functools.reduce(lambda a, b: a.union(b), scans).collect():
            listed[row["t"]].append(f"{row['path']} {row['length']} {row['m']}")
    texts = {**{name: "\n".join(sorted(rows)) for name, rows in listed.items()}, **checksums}
    return {name: hashlib.sha256(texts[name].encode()).hexdigest()[:20] for name in SOURCE_TABLES}


def check_columns(types: dict[str, str], name: str, where: str) -> None:
    """Refuse a table without a required column, or with a column of the wrong type.

    ``types`` maps column names to Spark's type names (``timestamp``, ``array<string>``, ...):
    Ibis gives both Spark timestamp types one type, and only one of them is an instant.
    """
    for column in TABLES[name].columns:
        if column.name not in types:
            if column.required:
                raise InputError(f"{where} ({name}) has no column {column.name!r}")
            continue  # optional columns may be absent (older exports); metrics allow for it
        actual = types[column.name]
        if actual != "void" and not _ACCEPTED[column.type].fullmatch(actual):
            raise InputError(
                f"{where} ({name}): column {column.name!r} is {actual}, expected {column.type}"
            )


_INTEGERS = r"tinyint|smallint|int|bigint"
#: Spark type names each canonical type accepts (``void``, an all-null column, fits any).
_ACCEPTED = {
    ColumnType.STRING: re.compile(r"string|varchar\(\d+\)|char\(\d+\)"),
    # An instant; timestamp_ntz is a wall-clock time without a zone, not one.
    ColumnType.TIMESTAMP: re.compile(r"timestamp"),
    ColumnType.FLOAT: re.compile(rf"double|float|decimal\(\d+,\d+\)|{_INTEGERS}"),
    ColumnType.INTEGER: re.compile(_INTEGERS),
    ColumnType.BOOLEAN: re.compile(r"boolean"),
    ColumnType.DATE: re.compile(r"date"),
    ColumnType.STRING_LIST: re.compile(r"array<string>"),
}


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0][:240] if lines else type(exc).__name__
