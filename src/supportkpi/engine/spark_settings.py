"""The ``[spark]`` config section: where Spark runs and how it is tuned (SPEC §6, §7).

```toml
[spark]
remote = "sc://spark-connect.internal:15002"   # Spark Connect; SPARK_REMOTE overrides it
conf = { "spark.sql.shuffle.partitions" = "64" }
tables = { tickets = "raw.zendesk_tickets" }    # names of a `--db spark:NAMESPACE` source
facts = "s3a://lake/support/facts/"             # where `supportkpi facts build` writes
```

Without ``remote`` (and without ``SPARK_REMOTE``) the engine starts local-mode Spark in this
process. The section is parsed here, beside the session code that uses it, so the engine needs
nothing from the config layer; :mod:`supportkpi.config.settings` calls :func:`parse_spark`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from supportkpi.schema import TABLES

KEYS = ("remote", "conf", "tables", "facts")
#: ``sc://host``, ``sc://host:port`` and ``sc://host:port/;param=value...`` (Connect's URL).
_REMOTE = re.compile(r"sc://[^\s/:;]+(:\d{1,5})?(/.*)?")
#: Ibis's PySpark backend sets the session timezone to UTC and reads timestamps back as UTC;
#: another value would shift every instant it returns. The report timezone is `timezone`.
FIXED_CONF = {"spark.sql.session.timeZone": "UTC"}
#: A folder URI Spark can write (``file://``, ``s3a://``, ``hdfs://``, ``abfss://``, ...).
_FOLDER_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://.+")
#: A catalog table name: dotted identifiers, optionally back-quoted.
_TABLE_NAME = re.compile(r"(`[^`]+`|[A-Za-z_][\w$]*)(\.(`[^`]+`|[A-Za-z_][\w$]*))*")


@dataclass(frozen=True)
class SparkSettings:
    """How to reach Spark: a Connect URL (or local mode), session settings, table names."""

    remote: str | None = None
    conf: tuple[tuple[str, str], ...] = ()
    #: Canonical table -> its name in the catalog (bare, or fully qualified).
    tables: dict[str, str] = field(default_factory=dict)
    #: Where the facts of ``supportkpi facts build`` are (a folder URI or an absolute path);
    #: unset: a folder or URI source's own location, and none for a catalog source.
    facts: str | None = None

    def table_name(self, canonical: str, namespace: str) -> str:
        """The catalog name of ``canonical``: mapped or canonical, qualified by ``namespace``
        unless the mapped name is already qualified."""
        name = self.tables.get(canonical, canonical)
        if "." in name or not namespace:
            return name
        return f"{namespace}.{name}"


def valid_remote(url: str) -> bool:
    """Whether ``url`` has the shape of a Spark Connect URL."""
    return _REMOTE.fullmatch(url) is not None


def parse_spark(raw: Any, problems: list[str]) -> SparkSettings:
    """The ``[spark]`` section as settings; every problem is appended to ``problems``."""
    if raw is None:
        return SparkSettings()
    if not isinstance(raw, dict):
        problems.append("spark: must be a table")
        return SparkSettings()
    problems.extend(f"spark.{key}: unknown setting" for key in raw if key not in KEYS)
    remote = raw.get("remote")
    if remote is not None and not (isinstance(remote, str) and valid_remote(remote)):
        problems.append(f"spark.remote: {remote!r} is not a Spark Connect URL (sc://host:port)")
        remote = None
    return SparkSettings(
        remote,
        _parse_conf(raw.get("conf"), problems),
        _parse_tables(raw.get("tables"), problems),
        _parse_facts(raw.get("facts"), problems),
    )


def _parse_facts(raw: Any, problems: list[str]) -> str | None:
    """A folder URI or an absolute path: the server resolves a relative one elsewhere."""
    if raw is None:
        return None
    if isinstance(raw, str) and (_FOLDER_URI.fullmatch(raw) or raw.startswith("/")):
        return raw.rstrip("/") or "/"
    problems.append(
        f"spark.facts: {raw!r} is not a folder URI (s3a://..., file:///...) or an absolute path"
    )
    return None


def _parse_conf(raw: Any, problems: list[str]) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append('spark.conf: must be a table of settings, like {"spark.x" = "1"}')
        return ()
    conf = []
    for key, value in raw.items():
        if isinstance(value, dict | list):
            problems.append(f"spark.conf.{key}: must be a string, number or boolean")
        elif key in FIXED_CONF and str(value) != FIXED_CONF[key]:
            problems.append(
                f"spark.conf.{key}: is fixed to {FIXED_CONF[key]} (the engine reads instants "
                "as UTC); set the report timezone with `timezone`"
            )
        else:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            conf.append((str(key), text))
    return tuple(conf)


def _parse_tables(raw: Any, problems: list[str]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append('spark.tables: must be a table like {tickets = "raw.tickets"}')
        return {}
    tables = {}
    for key, value in raw.items():
        if key not in TABLES:
            problems.append(f"spark.tables.{key}: not a canonical table")
        elif not (isinstance(value, str) and _TABLE_NAME.fullmatch(value)):
            problems.append(f"spark.tables.{key}: {value!r} is not a table name")
        else:
            tables[key] = value
    return tables
