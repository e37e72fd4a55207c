"""``supportkpi serve`` (the HTTP API) and ``supportkpi token create|list|revoke`` (API tokens).

FastAPI, uvicorn and the store (DuckDB) are imported inside the commands, so the rest of the CLI
starts fast.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from supportkpi.errors import InputError

DbOption = Annotated[Path, typer.Option("--db", help="The supportkpi DuckDB file.")]

token_app = typer.Typer(help="API tokens for `serve` on a non-loopback address.")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``token create|list|revoke`` to the ``supportkpi`` app."""
    app.command()(serve)
    app.add_typer(token_app, name="token")
    token_app.command("create")(token_create)
    token_app.command("list")(token_list)
    token_app.command("revoke")(token_revoke)


ServedOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="The supportkpi DuckDB file; with --engine pyspark a Spark source (a folder of "
        "<table>.parquet, a folder URI or spark:catalog.schema).",
    ),
]


def serve(
    db: ServedOption,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs tokens.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    config: Annotated[Path | None, typer.Option(help="TOML config file (SPEC §7).")] = None,
    max_upload_mb: Annotated[
        float, typer.Option(help="Largest accepted upload (POST /api/ingest), in MB.")
    ] = 50.0,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            help="Another Host name to answer (repeatable), e.g. the public name a reverse "
            "proxy forwards; a name that is not loopback makes tokens required."
        ),
    ] = None,
    require_tokens: Annotated[
        bool, typer.Option(help="Require tokens on loopback too (behind a reverse proxy).")
    ] = False,
    request_timeout: Annotated[
        float | None,
        typer.Option(
            help="Seconds one request may query the store before a 503 [default: 30; 900 on Spark]."
        ),
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (--db is a store) or pyspark (--db is a Spark source: a folder, a "
            "lake URI or spark:catalog.schema, read and never written; docs/spark.md)."
        ),
    ] = "duckdb",
    store: Annotated[
        Path | None,
        typer.Option(
            help="With --engine pyspark: the supportkpi DuckDB file keeping this server's "
            "tokens and report runs [default: a temporary one]."
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI description at /docs)."""
    from supportkpi.web import create_app, tokens_required
    from supportkpi.web.server import run_server

    state_db = _state_store(db, engine, store, config)
    names = tuple(allowed_host or ())
    if tokens_required(host, names, require_tokens):
        _require_tokens(host, names, Path(db) if engine == "duckdb" else state_db)
    app = create_app(
        db,
        host=host,
        config=config,
        max_upload_mb=max_upload_mb,
        allowed_host_names=names,
        budget_s=request_timeout,
        require_tokens=require_tokens,
        engine=engine,
        state_db=state_db,
    )
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"supportkpi dashboard on http://{shown}:{port}/ (API docs at /docs)", err=True)
    run_server(app, host, port)


def token_create(
    db: DbOption,
    role: Annotated[str, typer.Option(help="viewer (read) or admin (read and ingest).")],
    expires: Annotated[
        str | None,
        typer.Option(
            help="When it stops working: a duration (30d, 12h) or an ISO date or instant "
            "(2027-01-01 means its start, UTC). Default: never."
        ),
    ] = None,
) -> None:
    """Print a new API token once; only a salted hash of it is stored."""
    from supportkpi.store import Store
    from supportkpi.web.tokens import create_token, parse_expiry

    expires_at = parse_expiry(expires) if expires else None
    _require_store(db)
    with Store(db) as store:
        token = create_token(store, role, expires_at)
    typer.echo(token)
    typer.echo("Keep this token now: it cannot be shown again.", err=True)
    if expires_at:
        typer.echo(f"It expires at {expires_at.isoformat()}.", err=True)


def token_list(
    db: DbOption,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The stored tokens: id, role, created, expiry (never a secret)."""
    from rich.console import Console
    from rich.table import Table

    from supportkpi.store import Store
    from supportkpi.web.tokens import list_tokens

    if format_ not in ("table", "json"):
        raise InputError(f"unknown format {format_!r}; use table or json")
    _require_store(db)
    with Store(db, read_only=True) as store:
        tokens = list_tokens(store.con)
    if format_ == "json":
        typer.echo(json.dumps({"rows": [t.as_dict() for t in tokens]}, indent=2))
        return
    if not tokens:  # an empty table would look like a failure to print
        typer.echo(f"{db} has no tokens; create one with `supportkpi token create`.", err=True)
        return
    table = Table(header_style="bold")
    for col in ("token_id", "role", "created (UTC)", "expires (UTC)", "status"):
        table.add_column(col)
    for t in tokens:
        expiry = _utc_minute(t.expires_at) if t.expires_at else "never"
        status = "[red]expired[/]" if t.expired else "[green]valid[/]"
        table.add_row(t.token_id, t.role, _utc_minute(t.created_at), expiry, status)
    Console().print(table)


def token_revoke(
    db: DbOption,
    token_id: Annotated[str, typer.Argument(help="The id from `token list`, or the token.")],
) -> None:
    """Delete a token; a running server refuses it from its next request on."""
    from supportkpi.store import Store
    from supportkpi.web.tokens import revoke_token

    _require_store(db)
    with Store(db) as store:
        revoked = revoke_token(store, token_id)
    typer.echo(f"Revoked token {revoked}.")


def _require_tokens(host: str, names: tuple[str, ...], store: Path | None) -> None:
    """Refuse to serve beyond loopback when ``store`` (the server's own: None for the new,
    empty one of a Spark source) holds no API token."""
    from supportkpi.store import Store
    from supportkpi.web import has_tokens

    needs = f"serving on {host} (or for {', '.join(names) or 'other hosts'}) needs an API token"
    if store is None:
        raise InputError(
            f"{needs}, kept in a store of its own on Spark: create one with `supportkpi token "
            "create --db server.duckdb --role admin` and pass --store server.duckdb"
        )
    with Store(store, read_only=True) as handle:
        if not has_tokens(handle.con):
            raise InputError(
                f"{needs}, and {store} has none; create one with `supportkpi token create "
                f"--db {store} --role admin`"
            )


def _state_store(db: str, engine: str, store: Path | None, config: Path | None) -> Path | None:
    """The server's own store when it reads a Spark source (None: ``db`` is the store).

    The source is opened once here, so that a Connect server that is down, a wrong URL or a
    missing table is one line before the server starts, not an error on every page.
    """
    if engine == "duckdb":
        if store is not None:
            raise InputError("--store is for --engine pyspark; with duckdb --db is the store")
        _require_store(Path(db))
        return None
    if store is not None:
        _require_store(store)
    from supportkpi.api import Connection

    with Connection(db, engine=engine, config=config) as con:
        con.backend.table("tickets")
    return store


def _utc_minute(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _require_store(db: Path) -> None:
    if not db.is_file():
        raise InputError(
            f"database {db} does not exist; create it with `supportkpi demo` or `supportkpi ingest`"
        )
