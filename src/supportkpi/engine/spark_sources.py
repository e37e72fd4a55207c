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
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from supportkpi.engine.spark_settings import SparkSettings
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
