"""The engine seam: open a backend, hand out its tables as Ibis expressions, run, close.

DuckDB (a ``.duckdb`` file or a folder of ``<table>.parquet`` files) and PySpark (such a
folder, a lake URI or catalog tables; local mode or Spark Connect) are the two
implementations. Metric code receives Ibis tables and never learns which engine runs it.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from supportkpi.engine.spark_session import close_at_exit, spark_session
from supportkpi.engine.spark_settings import SparkSettings
from supportkpi.engine.spark_sources import (
    facts_location,
    open_fact_file,
    open_spark_table,
    read_lake_manifest,
    source_fingerprint,
    spark_location,
)
from supportkpi.engine.store_lock import open_with_retry
from supportkpi.engine.stored_facts import FactSpec, current_facts, lake_facts, parquet_facts
from supportkpi.engine.templates import SqlTemplate, frame_from_arrow
from supportkpi.errors import CancelledError, InputError, NotFoundError, UnsupportedError
from supportkpi.schema import TABLES

ENGINES = ("duckdb", "pyspark")


class Backend:
    """An open engine with the canonical tables of one source."""

    name = "base"

    def __init__(self, con: Any, source: str) -> None:
        self.con = con
        self.source = source
        self._tables: dict[str, ir.Table] = {}
        self._materialized: dict[Any, ir.Table] = {}
        #: The stored facts of the source: ``(name, config_key, version)`` -> table or file.
        self._stored: dict[tuple[str, str, int], str] = {}
        #: Set by :meth:`interrupt`: every later query fails too, until :meth:`resume`.
        self._cancelled = False

    def table(self, name: str) -> ir.Table:
        """The canonical table ``name`` as an Ibis table (empty tables included)."""
        if name not in TABLES:
            raise NotFoundError(f"unknown table {name!r}")
        if name not in self._tables:
            self._tables[name] = self._open_table(name)
        return self._tables[name]

    def _open_table(self, name: str) -> ir.Table:
        raise NotImplementedError

    def execute(self, expr: ir.Table) -> pd.DataFrame:
        self._refuse_when_cancelled()
        return self.con.execute(expr)

    #: Whether :meth:`compile_tree` and :meth:`run_template` work here (see
    #: :mod:`supportkpi.engine.templates`); elsewhere each query is compiled afresh.
    supports_templates = False

    def compile_tree(self, expr: ir.Table) -> Any:
        """The sqlglot tree this engine would run for ``expr``."""
        raise UnsupportedError(f"the {self.name} engine does not run compiled statements")

    def run_template(self, template: SqlTemplate, values: dict[str, Any]) -> pd.DataFrame:
        """Run a compiled statement with its parameters bound to ``values``."""
        raise UnsupportedError(f"the {self.name} engine does not run compiled statements")

    def register_inputs(self, expr: ir.Table) -> None:
        """Make the in-memory tables ``expr`` reads known to the engine (as a run would)."""

    def template_scope(self) -> tuple[Any, frozenset[str]] | None:
        """Where this backend's compiled statements may be shared: a key that every open
        backend reading the same data under the same stored facts has, and the tables any
        of them can read (a statement naming another table, a temporary one, is kept by
        this backend alone). ``None``: nothing is shared."""
        return None

    def interrupt(self) -> None:
        """Cancel the query running now and refuse the next ones, from another thread.

        Refusing matters as much as cancelling: a KPI runs several queries, and an engine
        interrupt between two of them is lost (the next one would run to its end).
        """
        self._cancelled = True
        self._interrupt_running()

    def resume(self) -> None:
        """Run queries again after :meth:`interrupt` (the next request's turn)."""
        self._cancelled = False

    def _interrupt_running(self) -> None:
        """Cancel the engine's running query (a no-op where the engine cannot)."""

    def _refuse_when_cancelled(self) -> None:
        if self._cancelled:
            raise CancelledError(f"the queries on {self.source} were cancelled")

    def epoch_seconds(self, column: ir.TimestampValue) -> ir.IntegerValue:
        """Whole epoch seconds (floor) of an instant."""
        return column.epoch_seconds().cast("int64")

    def materialize(self, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once for the queries that share it (a temp table or a cache)."""
        return expr.cache()

    def materialized(
        self, key: Any, build: Callable[[], ir.Table], stored: FactSpec | None = None
    ) -> ir.Table:
        """The materialised result of ``build()``, computed once per key for this backend.

        ``stored`` names the fact a store may already hold, current with its last load; then
        that table is read instead and nothing is computed.
        """
        if stored is not None:
            table = self.stored_fact(stored)
            if table is not None:
                return table
        if key not in self._materialized:
            self._materialized[key] = self.materialize(build())
        return self._materialized[key]

    def stored_fact(self, spec: FactSpec) -> ir.Table | None:
        """The stored table of ``spec`` when the source holds it, current (else None)."""
        name = self._stored.get((spec.name, spec.config_key, spec.version))
        return None if name is None else self._fact_table(name)

    def _fact_table(self, name: str) -> ir.Table:
        """A stored fact's table or file ``name``, as listed in ``_stored``."""
        raise NotImplementedError

    def close(self) -> None:
        # Drop materialised tables while the connection is open; ibis would otherwise try
        # from a finalizer after it closed. Newest first: a later one may be built on an
        # earlier one, and Spark Connect checks a released table's plan, which names it.
        for table in reversed(list(self._materialized.values())):
            release = getattr(table, "release", None)
            if release is not None:
                # Already gone with a closed session: nothing to free.
                with contextlib.suppress(Exception):
                    release()
        self._tables.clear()
        self._materialized.clear()


def _checked_size(text: str) -> str:
    """A DuckDB size like ``2GB``; anything else is refused (it goes into a SET statement)."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise InputError(f"SUPPORTKPI_DUCKDB_MEMORY={text!r} is not a size like '2GB'")
    return text.strip()


@ibis.udf.scalar.builtin(name="epoch_us")
def _duckdb_epoch_us(ts: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[valid-type]
    """DuckDB's own microseconds since the epoch of a TIMESTAMPTZ."""


class DuckDBBackend(Backend):
    name = "duckdb"

    def epoch_seconds(self, column: ir.TimestampValue) -> ir.IntegerValue:
        # Ibis compiles epoch_seconds() on a TIMESTAMPTZ through a cast to TIMESTAMP, a
        # per-row timezone conversion that costs 10x the scan; epoch_us reads the instant.
        return (_duckdb_epoch_us(column) // 1_000_000).cast("int64")

    def __init__(self, source: str) -> None:
        path = Path(source)
        if path.is_dir():
            con = ibis.duckdb.connect()
            self._parquet_dir: Path | None = path
        elif path.exists():
            con = open_with_retry(
                path, lambda: ibis.duckdb.connect(str(path), read_only=True), read_only=True
            )
            self._parquet_dir = None
        else:
            raise InputError(
                f"source {source} does not exist "
                "(expected a .duckdb file or a folder of <table>.parquet files)"
            )
        # Progress bars would go to a server's log or into piped JSON output.
        con.raw_sql("SET enable_progress_bar = false")
        # Bounded memory on request: DuckDB then spills to disk instead of growing.
        limit = os.environ.get("SUPPORTKPI_DUCKDB_MEMORY", "")
        if limit:
            con.raw_sql(f"SET memory_limit = '{_checked_size(limit)}'")
        super().__init__(con, source)
        self._template_scope: tuple[Any, frozenset[str]] | None = None
        # Read once: a read-only store cannot change under this connection.
        self._stored = (
            parquet_facts(self._parquet_dir)
            if self._parquet_dir is not None
            else current_facts(con.con)
        )

    def _fact_table(self, name: str) -> ir.Table:
        if self._parquet_dir is not None:
            return _read_parquet_table(self.con, self._parquet_dir, name)
        return self.con.table(name)

    def _open_table(self, name: str) -> ir.Table:
        if self._parquet_dir is not None:
            return _read_parquet_table(self.con, self._parquet_dir, name)
        try:
            return self.con.table(name)
        except Exception as exc:  # missing table in an old or foreign file
            raise InputError(
                f"{self.source} has no table {name!r}; is it a supportkpi store?"
            ) from exc

    supports_templates = True

    def compile_tree(self, expr: ir.Table) -> Any:
        return self.con.compiler.to_sqlglot(expr)

    def register_inputs(self, expr: ir.Table) -> None:
        # What ibis does before it runs an expression: register its memtables and UDFs.
        self.con._run_pre_execute_hooks(expr)

    def template_scope(self) -> tuple[Any, frozenset[str]] | None:
        if self._parquet_dir is not None:
            return None  # a folder's tables are views of this connection
        if self._template_scope is None:
            # Read once: a read-only store cannot change under this connection. The stored
            # facts in use are part of the key: a statement reading one is valid for every
            # connection that reads the same one (it is kept current by each load).
            rows = self.con.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
            ).fetchall()
            key = ("duckdb", os.path.realpath(self.source), frozenset(self._stored.items()))
            self._template_scope = (key, frozenset(name for (name,) in rows))
        return self._template_scope

    def run_template(self, template: SqlTemplate, values: dict[str, Any]) -> pd.DataFrame:
        # The memtables a template reads were registered before its first run
        # (register_inputs), and template.source keeps them alive.
        self._refuse_when_cancelled()
        result = self.con.con.sql(template.sql, params=template.bind(values))
        return frame_from_arrow(result.to_arrow_table(), template.schema)

    def _interrupt_running(self) -> None:
        # The running statement fails with duckdb.InterruptException; an idle connection
        # is not affected (its next statement runs normally: interrupt() refuses it).
        self.con.con.interrupt()

    def close(self) -> None:
        super().close()
        self.con.disconnect()


def _read_parquet_table(con: Any, folder: Path, name: str) -> ir.Table:
    file = folder / f"{name}.parquet"
    if not file.exists():
        raise InputError(f"{folder} has no {name}.parquet; export a store with `supportkpi export`")
    # Spark registers views session-wide: a unique name keeps two connections apart.
    return con.read_parquet(str(file), table_name=f"src_{name}_{uuid.uuid4().hex[:12]}")


class SparkBackend(Backend):
    """The canonical tables of a folder, a lake URI or a catalog namespace, on Spark (local
    mode or Spark Connect: :mod:`supportkpi.engine.spark_session`)."""

    name = "pyspark"

    def __init__(
        self, source: str, settings: SparkSettings | None = None, read_facts: bool = True
    ) -> None:
        """``read_facts=False`` computes every fact (what ``supportkpi facts build`` does)."""
        self._settings = settings or SparkSettings()
        self.location = spark_location(source)
        self._persisted: list[tuple[str, Any]] = []
        super().__init__(ibis.pyspark.connect(spark_session(self._settings)), source)
        close_at_exit(self)
        #: Where the stored facts listed in ``_stored`` are (a folder or URI), if anywhere.
        self.facts_at = facts_location(self.location, self._settings)
        if read_facts:
            self._stored = self._current_lake_facts()
            if not self._stored and self.location.kind == "folder":
                self.facts_at = self.location.where
                self._stored = parquet_facts(Path(self.facts_at))

    @property
    def session(self) -> Any:
        """The Spark session (local, or a Spark Connect client)."""
        return self.con._session

    def fingerprint(self) -> dict[str, str]:
        """The digests of the source tables that the stored facts are computed from."""
        return source_fingerprint(self.session, self.location, self._settings)

    def _current_lake_facts(self) -> dict[tuple[str, str, int], str]:
        """The facts of ``supportkpi facts build`` at ``facts_at``, if built from these tables."""
        entries = [] if self.facts_at is None else read_lake_manifest(self.session, self.facts_at)
        if not entries:
            return {}
        try:
            fingerprint = self.fingerprint()
        except Exception:  # a table that cannot be listed: the query will say which, once
            return {}
        return lake_facts(entries, fingerprint)

    def _fact_table(self, name: str) -> ir.Table:
        assert self.facts_at is not None  # _stored is empty without a facts location
        return open_fact_file(self.con, self.facts_at, name)

    def spark_frame(self, expr: ir.Table) -> Any:
        """The Spark DataFrame of ``expr``, for Spark's own writers and actions."""
        self.con._run_pre_execute_hooks(expr)
        return self.session.sql(self.con.compile(expr))

    def _open_table(self, name: str) -> ir.Table:
        return open_spark_table(self.con, self.location, name, self._settings)

    def _interrupt_running(self) -> None:
        # Cancels every running operation of the session, which a server reading Spark
        # lends to one request at a time (web/state.py). Where the session cannot (older
        # local mode), the query runs to its end.
        with contextlib.suppress(Exception):
            self.session.interruptAll()

    def materialize(self, expr: ir.Table) -> ir.Table:
        # Persisted and named here rather than with ibis's cache(): on Spark Connect that
        # asserts the result reports itself cached, which fails for some plans.
        frame = self.spark_frame(expr).persist()
        view = f"kpi_cached_{uuid.uuid4().hex[:12]}"
        frame.createOrReplaceTempView(view)
        self._persisted.append((view, frame))
        return self.con.table(view)

    def close(self) -> None:
        super().close()
        # Newest first: a later result may be built on an earlier one's view.
        for view, frame in reversed(self._persisted):
            with contextlib.suppress(Exception):  # a session already gone
                self.con._session.catalog.dropTempView(view)
                frame.unpersist()
        self._persisted.clear()


def open_backend(
    source: str, engine: str = "duckdb", spark: SparkSettings | None = None
) -> Backend:
    """Open ``source`` on ``engine``; ``spark`` says where Spark runs (the ``[spark]`` config)."""
    if engine == "duckdb":
        return DuckDBBackend(source)
    if engine == "pyspark":
        return SparkBackend(source, spark)
    raise InputError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
