"""The Spark session behind the pyspark engine: local mode, or a Spark Connect server.

A Connect URL comes from ``SPARK_REMOTE`` or from ``[spark] remote`` (the environment wins, so
one run can point elsewhere without editing the config). Without one, Spark runs in local mode
inside this process. Only the DataFrame/SQL API that both share is used here: Spark Connect has
no ``sparkContext``, no ``_jvm`` and no RDDs.

The session timezone is set to UTC (Ibis's PySpark backend reads instants back as UTC); report
timezones are applied in the query (:mod:`supportkpi.engine.periods`), never by the session.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
import warnings
import weakref
from typing import Any

from supportkpi.engine.spark_settings import FIXED_CONF, SparkSettings, valid_remote
from supportkpi.errors import ConfigError, InputError, UnsupportedError

INSTALL_HINT = "the pyspark engine needs `pip install supportkpi[spark]` and Java 17"
#: Retries while the first request checks that the server answers: a server that is down
#: fails in about a second instead of after Connect's default ten minutes of retries.
PROBE_RETRIES = 3

_LOCAL: Any = None
#: Connect sessions by (URL, settings): two sources with different settings stay apart.
_REMOTE_SESSIONS: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
#: Open backends on a Connect session, closed at exit (see :func:`close_at_exit`).
_OPEN: weakref.WeakSet[Any] = weakref.WeakSet()
_HOOKED = False


def close_at_exit(backend: Any) -> None:
    """Close ``backend`` at interpreter exit if nobody did.

    Ibis drops its cached tables from finalizers at exit; on Spark Connect each drop needs the
    client's thread pool, which Python stops before any ``atexit`` hook runs, so the drops print
    tracebacks. Closing the backends while threads still run (a ``threading`` exit hook, which
    runs first) drops them in order and leaves no finalizer behind.
    """
    global _HOOKED
    if not _HOOKED:
        register = getattr(threading, "_register_atexit", atexit.register)
        register(_close_open_backends)
        _HOOKED = True
    _OPEN.add(backend)


def _close_open_backends() -> None:
    for backend in list(_OPEN):
        with contextlib.suppress(Exception):  # a server already gone: nothing left to free
            backend.close()


def remote_url(settings: SparkSettings | None = None) -> str | None:
    """The Spark Connect URL in force: ``SPARK_REMOTE``, else ``[spark] remote``, else None."""
    url = os.environ.get("SPARK_REMOTE") or (settings.remote if settings else None)
    return url or None


def spark_session(settings: SparkSettings | None = None) -> Any:
    """A Spark session for ``settings``: shared per Connect URL, or the one local session."""
    settings = settings or SparkSettings()
    url = remote_url(settings)
    if url is None:
        return _local_session(settings.conf)
    key = (url, settings.conf)
    if key not in _REMOTE_SESSIONS:
        _REMOTE_SESSIONS[key] = _connect(url, settings.conf)
    return _REMOTE_SESSIONS[key]


def _local_session(conf: tuple[tuple[str, str], ...]) -> Any:
    global _LOCAL
    if _LOCAL is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise UnsupportedError(INSTALL_HINT) from None
        # An empty SPARK_REMOTE means local mode here, but pyspark refuses a master beside it.
        if os.environ.get("SPARK_REMOTE") == "":
            del os.environ["SPARK_REMOTE"]
        # Python workers must run this interpreter (with pandas and pyarrow), not `python3`.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.appName("supportkpi")
            .master(os.environ.get("SUPPORTKPI_SPARK_MASTER", "local[2]"))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            # What sparkContext.setLogLevel did, as a setting (no JVM handle needed).
            .config("spark.log.level", "ERROR")
            .config(
                "spark.sql.shuffle.partitions", os.environ.get("SUPPORTKPI_SPARK_PARTITIONS", "4")
            )
            .config("spark.driver.memory", os.environ.get("SUPPORTKPI_SPARK_MEMORY", "2g"))
        )
        for key, value in (*conf, *FIXED_CONF.items()):
            builder = builder.config(key, value)
        _LOCAL = builder.getOrCreate()
    else:
        # Static settings only take effect at start; runtime ones apply to the running session.
        _apply_conf(_LOCAL, conf, "the local Spark session")
    return _LOCAL


def shown(url: str) -> str:
    """``url`` for messages: without its ``;param=value`` part, which may hold a token."""
    return url.split(";", 1)[0].rstrip("/") if ";" in url else url


def _connect(url: str, conf: tuple[tuple[str, str], ...]) -> Any:
    if not valid_remote(url):
        raise InputError(
            f"{shown(url)!r} is not a Spark Connect URL (expected sc://host:port; "
            "for local-mode Spark leave SPARK_REMOTE and [spark] remote unset)"
        )
    try:
        from pyspark.sql.connect.client.retries import DefaultPolicy
        from pyspark.sql.connect.session import SparkSession as ConnectSession
    except ImportError:
        raise UnsupportedError(INSTALL_HINT) from None
    # Ibis uploads in-memory tables with verifySchema=False, which Connect ignores, warning on
    # stderr at every upload: noise in the CLI's output, and nothing the user can act on.
    warnings.filterwarnings("ignore", message="'verifySchema' is ignored", category=UserWarning)
    try:
        session = ConnectSession.builder.remote(url).create()
    except Exception as exc:  # a URL pyspark cannot parse (bad parameters)
        raise InputError(
            f"{shown(url)} is not a usable Spark Connect URL: {_reason(exc)}"
        ) from None
    session.client.set_retry_policies([DefaultPolicy(max_retries=PROBE_RETRIES)])
    try:
        # The first request: fails here, with the URL, when the server cannot be reached.
        session.conf.set("spark.sql.session.timeZone", FIXED_CONF["spark.sql.session.timeZone"])
    except Exception as exc:
        raise InputError(
            f"cannot reach the Spark Connect server at {shown(url)}: {_reason(exc)}"
        ) from None
    session.client.set_retry_policies([DefaultPolicy()])
    _apply_conf(session, conf, f"the Spark Connect server at {shown(url)}")
    return session


def _apply_conf(session: Any, conf: tuple[tuple[str, str], ...], where: str) -> None:
    for key, value in conf:
        try:
            if session.conf.get(key, None) != value:
                session.conf.set(key, value)
        except Exception as exc:  # a static setting, or one the server refuses
            raise ConfigError(
                f"spark.conf.{key}: cannot be set on {where} ({_reason(exc)}); "
                "static settings belong where the server starts"
            ) from None


def _reason(exc: BaseException) -> str:
    """A short cause: the gRPC status details under Connect's wrappers, else the message."""
    seen: BaseException | None = exc
    while seen is not None:
        details = getattr(seen, "details", None)
        if callable(details):
            try:
                text = details()
            except Exception:  # not a gRPC error after all
                text = None
            if text:
                return str(text).splitlines()[0]
        seen = seen.__cause__ or seen.__context__
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__
