"""`supportkpi facts build`: the stored facts of a Spark source, written to the lake once.

A Spark source (a folder, a folder URI or catalog tables) has no store to keep facts in, so
every connection computes the per-ticket facts from every event. This builds each fact of
:data:`supportkpi.facts.refresh.FACTS` with the same Ibis definitions, on the source's own
Spark session, for the default configuration and the config's options and SLA policies, and
writes each once through Spark's DataFrame writer to ``<destination>/<stem>.parquet``. A
manifest (:data:`supportkpi.engine.stored_facts.LAKE_MANIFEST`) then says which fact is in
which file and carries the fingerprint of the source tables they were computed from: later
connections read the files while the tables keep that fingerprint
(:class:`supportkpi.engine.backends.SparkBackend`), and compute the facts again once a table
changed (stale, never wrong).

Everything is written by the server, so the destination may be any URI the session can write.
When it is the source's own local folder and this process sees the written files, the
``_facts.json`` of ``supportkpi export`` is written too, so the DuckDB engine reads them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportkpi.config.settings import Settings
from supportkpi.engine.backends import SparkBackend
from supportkpi.engine.spark_sources import (
    facts_location,
    local_folder,
    spark_location,
    writable_folder,
)
from supportkpi.engine.stored_facts import (
    LAKE_MANIFEST,
    LAKE_MANIFEST_COLUMNS,
    LAKE_MANIFEST_SCHEMA,
    SOURCE_TABLES,
    FactSpec,
    lake_manifest_row,
    parquet_facts,
    table_stats,
    write_parquet_manifest,
)
from supportkpi.errors import InputError
from supportkpi.facts.refresh import FACTS, fact_config
from supportkpi.metrics.context import MetricContext
from supportkpi.metrics.options import Options
from supportkpi.sla.policy import policies_of_key


@dataclass(frozen=True)
class LakeBuild:
    """What a build wrote, and whether later queries will find it."""

    destination: str
    #: One manifest row per fact file (name, config_key, version, file, rows, sources).
    facts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    #: Whether ``_facts.json`` was written too (the DuckDB engine reads the files then).
    duckdb_manifest: bool = False
    #: Whether queries of this source with these settings look for facts at ``destination``.
    found_by_queries: bool = True


def build_lake_facts(source: str, settings: Settings, to: str | None = None) -> LakeBuild:
    """Compute every stored fact of ``source`` on Spark and write it to ``to`` (by default
    where the source's queries look: ``[spark] facts``, else the source's own folder)."""
    started = time.monotonic()
    where = to if to is not None else facts_location(spark_location(source), settings.spark)
    if where is None:
        raise InputError(
            f"{source}: a catalog source has no folder to keep its facts in; give --to URI "
            "(and [spark] facts = URI in the config, for its queries to read them)"
        )
    destination = writable_folder(where)
    backend = SparkBackend(source, settings.spark, read_facts=False)
    try:
        for name in SOURCE_TABLES:
            backend.table(name)  # a missing table or a wrong column: one line naming it
        # Taken before any row is read: a table that changes during the build then makes
        # these facts stale instead of passing for current.
        fingerprint = backend.fingerprint()
        local = _duckdb_folder(backend, destination)
        stats = table_stats(local) if local is not None else None
        # No manifest while files are replaced: a reader in between computes its facts.
        _write_manifest(backend, destination, [])
        rows = [
            _write_fact(backend, spec, table, destination, fingerprint)
            for spec, table in _facts_to_build(backend, settings)
        ]
        _write_manifest(backend, destination, rows)
        duckdb = stats is not None and local is not None and _write_duckdb(local, rows, stats)
    finally:
        backend.close()
    return LakeBuild(
        destination,
        rows,
        round(time.monotonic() - started, 2),
        duckdb,
        found_by_queries=_found_by_queries(source, settings, destination),
    )


def _facts_to_build(backend: SparkBackend, settings: Settings) -> list[tuple[FactSpec, Any]]:
    """Each stored fact once, as ``refresh`` stores them: for the default configuration and
    the one the config's options and SLA policies need (a None spec has nothing to store)."""
    wanted = []
    done: set[tuple[str, str]] = set()
    for config in ({}, fact_config(settings.options, tuple(settings.sla))):
        ctx = _context(backend, config)
        for fact in FACTS:
            spec = fact.spec(ctx)
            if spec is None or (spec.name, spec.config_key) in done:
                continue  # the same stored fact under a fuller configuration
            done.add((spec.name, spec.config_key))
            wanted.append((spec, fact.build(ctx)))
    return wanted


def _context(backend: SparkBackend, config: dict[str, Any]) -> MetricContext:
    """The context of a fact's configuration, as ``refresh`` builds it: only the parts the
    fact is keyed by (``include_bots``, the SLA policies' matching rules) are set."""
    options = {key: value for key, value in config.items() if key != "sla"}
    policies = policies_of_key(config["sla"]) if "sla" in config else ()
    return MetricContext(
        backend=backend, options=Options.from_mapping(options), sla_policies=policies
    )


def _write_fact(
    backend: SparkBackend, spec: FactSpec, table: Any, destination: str, sources: dict[str, str]
) -> dict[str, Any]:
    # Spark and Hadoop skip files whose names start with "_" (as hidden); the stem is the
    # one `supportkpi export` writes, so both name the same fact the same way.
    stem = spec.table_name.lstrip("_")
    frame = backend.spark_frame(table)  # persisted by the build: written and counted once
    frame.write.mode("overwrite").parquet(f"{destination}/{stem}.parquet")
    return lake_manifest_row(spec, stem, int(frame.count()), sources)


def _write_manifest(backend: SparkBackend, destination: str, rows: list[dict[str, Any]]) -> None:
    frame = backend.session.createDataFrame(
        [tuple(row[c] for c in LAKE_MANIFEST_COLUMNS) for row in rows], LAKE_MANIFEST_SCHEMA
    )
    frame.coalesce(1).write.mode("overwrite").json(f"{destination}/{LAKE_MANIFEST}")


def _duckdb_folder(backend: SparkBackend, destination: str) -> Path | None:
    """The source's folder when the facts go there (so ``_facts.json`` can name them)."""
    local = local_folder(destination)
    if backend.location.kind != "folder" or local is None:
        return None
    return local if local.resolve() == Path(backend.location.where) else None


def _write_duckdb(local: Path, rows: list[dict[str, Any]], stats: dict[str, list[int]]) -> bool:
    """Write ``_facts.json`` for the files written, keeping the other fact files it named
    that are still current; False when this process does not see the written files (a
    server on another machine)."""
    if not all((local / f"{row['file']}.parquet").exists() for row in rows):
        return False
    keep = {(r["name"], r["config_key"], r["version"]) for r in rows}
    entries = [
        {"name": name, "config_key": key, "version": version, "file": file}
        for (name, key, version), file in parquet_facts(local).items()
        if (name, key, version) not in keep
    ]
    entries += [{k: row[k] for k in ("name", "config_key", "version", "file")} for row in rows]
    write_parquet_manifest(local, entries, stats)
    return True


def _found_by_queries(source: str, settings: Settings, destination: str) -> bool:
    where = facts_location(spark_location(source), settings.spark)
    if where is None:
        return False
    # A local folder is the same whether it is named by its path or its file:// URI.
    here, there = local_folder(writable_folder(where)), local_folder(destination)
    if here is not None and there is not None:
        return here.resolve() == there.resolve()
    return writable_folder(where) == destination
