"""The options commands share, declared once: the source (``--db``, ``--engine``, ``--tz``,
``--config``) and the request (``--from``, ``--to``, ``--grain``, ``--by``, ``--where``,
``--cohort``, ``--business-hours``).

``@source_options`` and ``@request_options`` add them to a command, which receives them as
one :class:`SourceOptions` (``source``) or :class:`RequestOptions` (``request``) argument.
Typer reads a command's parameters from its signature; the decorators rewrite it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_type_hints

import typer

if TYPE_CHECKING:
    from supportkpi.api import Connection

F = TypeVar("F", bound=Callable[..., Any])

Source = Annotated[
    str,
    typer.Option(
        "--db",
        help="A .duckdb store or a folder of <table>.parquet files; with --engine pyspark also "
        "a folder URI (s3a://, hdfs://, file://...) or catalog tables (spark:catalog.schema).",
    ),
]
Engine = Annotated[
    str,
    typer.Option(
        help="duckdb or pyspark (local Spark, or Spark Connect via SPARK_REMOTE or the "
        "config's spark.remote)."
    ),
]
Timezone = Annotated[str | None, typer.Option(help="Report timezone (IANA); overrides the config.")]
ConfigFile = Annotated[Path | None, typer.Option(help="TOML config file (SPEC §7).")]
FromDate = Annotated[
    str | None, typer.Option("--from", help="First local date (inclusive), YYYY-MM-DD.")
]
ToDate = Annotated[
    str | None, typer.Option("--to", help="Last local date (exclusive), YYYY-MM-DD.")
]
Grain = Annotated[str | None, typer.Option(help="day, week, month, quarter or year.")]
By = Annotated[
    str | None,
    typer.Option(help="Dimensions, comma-separated: channel,team,agent,priority,segment."),
]
Where = Annotated[list[str] | None, typer.Option(help="Filter DIM=V or DIM=V1,V2 (repeatable).")]
Cohort = Annotated[str, typer.Option(help="event (date outcomes when they happen) or created.")]
BusinessHours = Annotated[
    bool, typer.Option("--business-hours", help="Durations in business time.")
]


@dataclass(frozen=True)
class SourceOptions:
    """Where the data is and how to read it."""

    db: Source
    engine: Engine = "duckdb"
    tz: Timezone = None
    config: ConfigFile = None

    def connect(self) -> Connection:
        """The source opened with its config; ``--tz`` overrides the config's timezone."""
        from supportkpi.api import Connection

        return Connection(self.db, engine=self.engine, tz=self.tz, config=self.config)


@dataclass(frozen=True)
class RequestOptions:
    """Which numbers: range, grain, breakdown, filters, dating rule, business hours."""

    from_: FromDate = None
    to: ToDate = None
    grain: Grain = None
    by: By = None
    where: Where = None
    cohort: Cohort = "event"
    business_hours: BusinessHours = False

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of :meth:`supportkpi.api.Connection.query`."""
        from supportkpi.query.request import parse_where

        return {
            "start": self.from_,
            "end": self.to,
            "grain": self.grain,
            "by": [d.strip() for d in self.by.split(",") if d.strip()] if self.by else [],
            "where": parse_where(self.where or []),
            "cohort": self.cohort,
            "business_hours": self.business_hours,
        }


def _options_of(cls: type) -> list[inspect.Parameter]:
    hints = get_type_hints(cls, include_extras=True)
    return [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=hints[f.name],
            default=inspect.Parameter.empty if f.default is MISSING else f.default,
        )
        for f in fields(cls)
    ]


def _gathering(argument: str, cls: type) -> Callable[[F], F]:
    """A decorator: ``cls``'s fields become the command's options, passed as ``argument``."""
    options = _options_of(cls)
    names = [p.name for p in options]

    def decorate(command: F) -> F:
        hints = get_type_hints(command, include_extras=True)
        own = [
            p.replace(annotation=hints.get(p.name, p.annotation))
            for p in inspect.signature(command).parameters.values()
            if p.name != argument
        ]
        # The shared options are keyword-only, so they may follow anything the command has.
        signature = inspect.Signature([*own, *options])

        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            gathered = cls(**{name: kwargs.pop(name) for name in names if name in kwargs})
            return command(*args, **{argument: gathered}, **kwargs)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        return wrapper  # type: ignore[return-value]

    return decorate


source_options = _gathering("source", SourceOptions)
request_options = _gathering("request", RequestOptions)
