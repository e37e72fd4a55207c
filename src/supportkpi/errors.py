"""One error hierarchy: every user-facing failure is a ``SupportKpiError``.

The CLI and the HTTP API turn these into one clear sentence (and a non-zero exit code or a
JSON error body); anything else is a bug and may show a traceback.
"""

from __future__ import annotations


class SupportKpiError(Exception):
    """Base class of every error a user can cause and fix."""

    #: HTTP status used by the API when this error surfaces there.
    status: int = 400


class InputError(SupportKpiError):
    """Bad input: a missing file, an unknown table, a malformed value or argument."""


class ConfigError(SupportKpiError):
    """An invalid config or mapping file; ``problems`` lists every issue found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        if self.problems:
            message = message + "\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message)


class DataError(SupportKpiError):
    """The stored data cannot answer the question (e.g. a table the metric needs is empty)."""

    status = 422


class UnsupportedError(SupportKpiError):
    """A valid request this version cannot serve (e.g. an engine that is not installed)."""

    status = 501


class DeliveryError(SupportKpiError):
    """A report or alert could not be sent (SMTP or webhook down, refused, timed out)."""

    status = 502


class CancelledError(SupportKpiError):
    """A query was cancelled from another thread (a server's time budget ran out)."""

    status = 503


class NotFoundError(InputError):
    """A named thing (metric, table, file, route) does not exist."""

    status = 404
