"""The one object behind every route (:class:`ApiState`): the store, its settings, the cache.

Reads share a pool of read-only connections; an ingest takes the store alone (DuckDB cannot
mix read-only and read-write connections to one file in a process), closes the pool, writes,
and lets the next reads reopen. A load by another process (`supportkpi ingest` on the same
file) is met the same way: it announces itself (engine/store_lock.py), and the server closes
its handles until the load is done. KPI answers are cached per query and the store's last load id,
so repeated overview calls cost nothing until new data arrives.

A server can also read its KPIs from a Spark source (``serve --engine pyspark``: a folder, a
lake URI or catalog tables). Its store then only keeps the server's own state (tokens, report
runs); the source is never written, one request reads it at a time (a Spark session runs one
job at a time on its cores anyway, and each reader would compute its own facts), and the
answers are cached until the source's files change (:mod:`supportkpi.engine.source_version`).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from fastapi import Request

from supportkpi.api import Connection
from supportkpi.config import Settings
from supportkpi.engine.source_version import source_version
from supportkpi.engine.store_lock import opening_at_once, wait_for_writers, waiting_writers
from supportkpi.errors import SupportKpiError
from supportkpi.facts import missing_configs, open_store, refresh
from supportkpi.query.request import KpiRequest
from supportkpi.query.runner import KpiResult, run_kpi_partial
from supportkpi.store import Store
from supportkpi.web.cache import AnswerCache

#: Seconds one request may read the store before its queries are cancelled (503).
REQUEST_BUDGET_SECONDS = 30.0
#: The same on Spark, where a first request computes the facts of the whole source.
SPARK_REQUEST_BUDGET_SECONDS = 900.0
#: How often a server on Spark looks whether its source's files changed.
SOURCE_POLL_SECONDS = 30.0
LOOPBACK_NAMES = ("localhost",)
LOG = logging.getLogger("supportkpi.web")


@dataclass(eq=False)  # compared and hashed by identity: the server tracks the lent ones
class Reader:
    """One pooled pair of read-only handles on the store: the KPI connection and raw access."""

    con: Connection
    store: Store

    def interrupt(self) -> None:
        """Cancel whatever either handle is running (the request's time budget is spent)."""
        self.con.backend.interrupt()
        self.store.con.interrupt()

    def resume(self) -> None:
        """Let the KPI connection run queries again (a new request's budget starts)."""
        self.con.backend.resume()

    def close(self) -> None:
        self.con.close()
        self.store.close()


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers so it cannot starve."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class ReadOnlySourceError(SupportKpiError):
    """A load sent to a server that reads a source it does not write (a Spark source)."""

    status = 409


class ApiState:
    """The one object behind every route: the store, its settings, access control, the cache.

    ``source`` is what the KPIs read when it is not the store itself: a Spark source, read
    on ``engine``; the store at ``db_path`` then keeps only the server's own state.
    """

    def __init__(
        self,
        db_path: str | Path,
        settings: Settings,
        open_access: bool,
        budget_s: float = REQUEST_BUDGET_SECONDS,
        source: str | None = None,
        engine: str = "duckdb",
    ) -> None:
        self.db_path = str(db_path)
        self.source = str(db_path) if source is None else source
        self.engine = engine
        self.budget_s = budget_s
        #: A Spark source is read by one request at a time (see the module docstring).
        self._one_reader = threading.Lock() if self.reads_elsewhere else None
        #: The source's files as last seen, and how many times they changed (cache keys).
        self._seen_source: object = None
        self._source_generation = 0
        self.settings = settings
        #: No token needed (see :func:`tokens_required`).
        self.open_access = open_access
        self._lock = ReadWriteLock()
        self._pool: list[Reader] = []
        self._lent: set[Reader] = set()
        self._pool_lock = threading.Lock()
        self.cache = AnswerCache()
        #: ``(thread name, callback)``: each called in a thread of that name once a load has
        #: committed and the store is readable again (the dashboard prepares its default
        #: views again, as they show new data).
        self.after_load: list[tuple[str, Callable[[], None]]] = []

    @property
    def reads_elsewhere(self) -> bool:
        """Whether the KPIs come from a source other than the store (one it never writes)."""
        return self.engine != "duckdb"

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """A read-only handle for one request; many may be out at once (none while the
        watcher steps aside for another process's load: see :meth:`watch_for_loads`)."""
        with self._lock.read(), self._one_reader or contextlib.nullcontext():
            with self._pool_lock:
                reader = self._pool.pop() if self._pool else None
            if reader is None:
                reader = self._open_reader()
            with self._pool_lock:
                self._lent.add(reader)
            try:
                with time_budget(reader, self.budget_s):
                    yield reader
            finally:
                with self._pool_lock:
                    self._lent.discard(reader)
                    self._pool.append(reader)

    @contextmanager
    def writing(self) -> Iterator[Store]:
        """The store opened for writing, with every reader closed; one writer at a time."""
        if self.reads_elsewhere:
            raise ReadOnlySourceError(
                f"this server reads {self.source} on {self.engine} and does not load into "
                "it; write to the source itself, and the server sees the new files"
            )
        with self._lock.write():
            self._close_pool()
            with open_store(self.db_path) as store:
                yield store
            self.cache.clear()
        self._loaded()

    def store_missing_facts(self) -> int:
        """Store the facts this server's options and SLA policies need (say ``include_bots =
        true``, or the SLA clocks of its policies) when the store keeps facts but not for
        them, so that its queries read them; returns how many configurations it stored. A
        store that keeps no facts is left alone, and so is a Spark source (`supportkpi facts
        build --engine pyspark` writes its facts)."""
        if self.reads_elsewhere:
            return 0
        with self.reading() as reader:
            missing = missing_configs(reader.store, self.settings.options, tuple(self.settings.sla))
        if not missing:
            return 0
        with self.writing() as store, store.transaction():
            refresh(store, extra=missing)
        return len(missing)

    def cached(self, key: Hashable, reader: Reader, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` and load of the store (its last load id); see
        web/cache.py for the bounds and the single flight."""
        return self.cache.get((key, self.data_version(reader)), compute)

    def data_version(self, reader: Reader) -> int:
        """What changes when the data does: the store's next load id, or how many times a
        Spark source's files changed."""
        if self.reads_elsewhere:
            return self._source_generation
        return reader.store.next_load_id()

    def kpi(self, reader: Reader, request: KpiRequest) -> KpiResult:
        """One KPI request, computed once per load for every front end that asks it."""
        return self.cached(
            ("kpi", request.key()),
            reader,
            lambda: run_kpi_partial(reader.con.backend, request),
        )

    def step_aside_for_loads(self) -> None:
        """While another process loads into the store, close every read handle and wait.

        Requests that arrive meanwhile wait too, then reopen the store as the load left it:
        they see it before or after the load, never half, and no request fails.
        """
        if not waiting_writers(self.db_path):
            return
        with self._lock.write():
            self._close_pool()
            wait_for_writers(self.db_path)
        self._loaded()

    def look_at_source(self) -> bool:
        """On a Spark source: when its files changed since the last look, close the readers
        (their facts are of the old files), so the next request reads the new ones; returns
        whether they changed. The first look only notes them."""
        if not self.reads_elsewhere:
            return False
        seen = source_version(self.source, self.settings.spark)
        if self._seen_source is None or seen == self._seen_source:
            self._seen_source = seen
            return False
        with self._lock.write():
            self._close_pool()
            self._seen_source = seen
            self._source_generation += 1
            self.cache.clear()
        self._loaded()
        return True

    def _loaded(self) -> None:
        for name, callback in list(self.after_load):
            threading.Thread(target=callback, name=name, daemon=True).start()

    def watch_for_loads(self, interval_s: float = 0.2) -> Callable[[], None]:
        """Step aside for other processes' loads; returns the stop function.

        One thread looks for write intents, so a request does not list the store's folder:
        while it steps aside it holds the write side of the lock, and new requests wait on it
        (a load that comes between two looks just retries its open until then).
        """
        stop = threading.Event()

        def watch() -> None:
            last_look = 0.0
            while not stop.wait(interval_s):
                self.step_aside_for_loads()
                if self.reads_elsewhere and time.monotonic() - last_look >= SOURCE_POLL_SECONDS:
                    last_look = time.monotonic()
                    try:
                        self.look_at_source()
                    except Exception:  # a source gone for a moment: look again later
                        LOG.warning("could not look at %s", self.source, exc_info=True)

        threading.Thread(target=watch, name="watch-loads", daemon=True).start()
        return stop.set

    def interrupt_all(self) -> None:
        """Cancel the queries of every request reading now (the server is stopping)."""
        with self._pool_lock:
            lent = list(self._lent)
        for reader in lent:
            reader.interrupt()

    def close(self) -> None:
        self._close_pool()

    def _close_pool(self) -> None:
        with self._pool_lock:
            readers, self._pool = self._pool, []
        for reader in readers:
            reader.close()

    def _open_reader(self) -> Reader:
        # At once, even when a load is announced: this runs under the read lock, and the
        # watcher needs the write lock to close the other handles that load waits for.
        with opening_at_once():
            store = Store(self.db_path, read_only=True)
            try:
                con = Connection(self.source, engine=self.engine, config=self.settings)
            except BaseException:
                store.close()
                raise
        return Reader(con, store)


class TimeBudgetError(SupportKpiError):
    """A request read the store for longer than the server's time budget."""

    status = 503


@contextmanager
def time_budget(reader: Reader, seconds: float) -> Iterator[None]:
    """Cancel the reader's queries once ``seconds`` have passed; they fail as one 503."""
    spent = threading.Event()
    reader.resume()  # a budget spent by an earlier request does not refuse this one

    def cancel() -> None:
        spent.set()
        reader.interrupt()

    timer = threading.Timer(seconds, cancel)
    timer.daemon = True
    timer.start()
    message = (
        f"the request took longer than this server's budget of {seconds:g} s and was "
        "cancelled; narrow the range, the grain or the filters"
    )
    try:
        yield
    except Exception as exc:
        # DuckDB fails an interrupted statement with InterruptException; Spark with an error
        # of its own, so any failure once the budget ran out is the budget's.
        if not (isinstance(exc, duckdb.InterruptException) or spent.is_set()):
            raise
        raise TimeBudgetError(message) from None
    finally:
        timer.cancel()


def tokens_required(host: str, allowed_hosts: Sequence[str] = (), always: bool = False) -> bool:
    """Whether a server bound to ``host`` and answering ``allowed_hosts`` needs tokens: off
    loopback, and also on loopback when it answers another name (it is then behind a reverse
    proxy, and everyone who reaches the proxy reaches it)."""
    return always or not all(is_loopback(name) for name in (host, *allowed_hosts))


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def api_state(request: Request) -> ApiState:
    """The core object of the app serving ``request`` (a FastAPI dependency)."""
    state: ApiState = request.app.state.api
    return state
