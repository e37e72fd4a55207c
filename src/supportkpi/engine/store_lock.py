"""Sharing one DuckDB file between processes: a server that reads, loads that write.

DuckDB lets many processes read a file, or one process write it, never both at once. A load
therefore announces itself before it opens the file for writing: it leaves a *write intent*
beside the store (``<store>.loading-<pid>``) for as long as it waits for the lock and holds it.
Readers that see a live intent step aside: the server closes its read handles between two
requests and waits for the load to end; other readers wait before they open. Every open that
meets the lock retries until a timeout (``SUPPORTKPI_LOCK_TIMEOUT`` seconds, 30 by default) and
then fails with one sentence naming the process that holds the store.

An intent whose process is gone (a load killed with SIGKILL) is ignored and cleaned up; DuckDB
itself rolls the killed load back, so readers see the store as it was before it.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from supportkpi.errors import SupportKpiError

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 30.0
#: Set by a reader that steps aside by itself (a server's watcher): it opens at once.
_OPENS_AT_ONCE: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "opens_at_once", default=False
)
_POLL_S = 0.05
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


class StoreBusyError(SupportKpiError):
    """The store stayed locked by another process for longer than the lock timeout."""

    status = 503


def lock_timeout() -> float:
    """Seconds an open waits for the store's lock (``SUPPORTKPI_LOCK_TIMEOUT``)."""
    text = os.environ.get("SUPPORTKPI_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(text)) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def _intent_prefix(path: str | Path) -> Path:
    return Path(str(path) + ".loading-")


def _started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot; empty where /proc is absent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces; the fields after it are plain.
    return stat.rpartition(")")[2].split()[19]


def _alive(pid: int, started: str = "") -> bool:
    """Whether the process that wrote an intent still runs (not a later one with its pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, alive
        pass
    return not started or _started(pid) in ("", started)


def waiting_writers(path: str | Path) -> list[int]:
    """The live processes (other than this one) that want to write ``path`` or are writing it."""
    prefix = _intent_prefix(path)
    found: list[int] = []
    for intent in prefix.parent.glob(prefix.name + "*"):
        suffix = intent.name[len(prefix.name) :]
        if not suffix.isdigit():
            continue
        pid = int(suffix)
        if pid == os.getpid():
            continue
        try:
            started = intent.read_text().strip()
        except OSError:  # removed meanwhile: that load is done
            continue
        if _alive(pid, started):
            found.append(pid)
        else:  # left behind by a killed load
            with contextlib.suppress(OSError):
                intent.unlink()
    return found


@contextlib.contextmanager
def write_intent(path: str | Path) -> Iterator[None]:
    """Announce a load of ``path`` to its readers while the block runs."""
    if str(path) == ":memory:":
        yield
        return
    intent = Path(f"{_intent_prefix(path)}{os.getpid()}")
    try:
        intent.write_text(_started(os.getpid()))
    except OSError:  # a read-only folder: the open below reports what matters
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            intent.unlink()


def wait_for_writers(path: str | Path, timeout: float | None = None) -> None:
    """Return once no other process wants to write ``path`` (or after ``timeout``)."""
    deadline = time.monotonic() + (lock_timeout() if timeout is None else timeout)
    while waiting_writers(path) and time.monotonic() < deadline:
        time.sleep(_POLL_S)


def is_lock_conflict(exc: BaseException) -> bool:
    return "Conflicting lock" in str(exc) or "Could not set lock" in str(exc)


@contextlib.contextmanager
def opening_at_once() -> Iterator[None]:
    """Read-only opens in the block do not wait for announced loads first.

    For a reader that steps aside for loads by itself (a server, web/state.py): it opens while
    holding the server's read lock, and waiting there would keep the server from closing its
    other handles, which the load waits for, until the lock timeout.
    """
    token = _OPENS_AT_ONCE.set(True)
    try:
        yield
    finally:
        _OPENS_AT_ONCE.reset(token)


def open_with_retry(path: str | Path, open_file: Callable[[], T], read_only: bool) -> T:
    """``open_file()``, retried while another process holds the lock, up to the timeout.

    A reader first lets announced loads finish, so a steady stream of reads cannot keep a
    load waiting for ever (unless it steps aside by itself: :func:`opening_at_once`).
    """
    timeout = lock_timeout()
    deadline = time.monotonic() + timeout
    if read_only and not _OPENS_AT_ONCE.get():
        wait_for_writers(path, timeout)
    while True:
        try:
            return open_file()
        except Exception as exc:
            if not is_lock_conflict(exc):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusyError(busy_message(path, exc, timeout, read_only)) from None
            time.sleep(_POLL_S)


def busy_message(path: str | Path, exc: BaseException, timeout: float, read_only: bool) -> str:
    """One sentence: which process holds the store, and what to do about it."""
    match = _HOLDER.search(str(exc))
    holder = "another process"
    if match:
        pid = int(match["pid"])
        holder = f"another process (PID {pid}: {_command_line(pid) or match['program']})"
    action = "read" if read_only else "load into"
    return (
        f"cannot {action} {path}: it has been held by {holder} for more than {timeout:g} s; "
        "wait for it to finish, or stop it, and try again (a running `supportkpi serve` "
        "steps aside for loads by itself; SUPPORTKPI_LOCK_TIMEOUT sets the wait)"
    )


def _command_line(pid: int) -> str:
    """The process's command line, shortened to the supportkpi command when it is one."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    args = [a for a in raw.decode(errors="replace").split("\0") if a]
    for i, arg in enumerate(args):
        if arg.endswith("supportkpi") or arg == "supportkpi.cli":
            args = ["supportkpi", *args[i + 1 : i + 4]]
            break
    # One line, short: a `python -c` program would otherwise bring its whole text along.
    text = " ".join(" ".join(args[:4]).split())
    return text if len(text) <= 60 else text[:59] + "…"
