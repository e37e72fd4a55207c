"""``supportkpi serve`` (the HTTP API) and ``supportkpi token create`` (API tokens).

FastAPI, uvicorn and the store (DuckDB) are imported inside the commands, so the rest of the CLI
starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from supportkpi.errors import InputError

DbOption = Annotated[Path, typer.Option("--db", help="The supportkpi DuckDB file.")]

token_app = typer.Typer(help="API tokens for `serve` on a non-loopback address.")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``token create`` to the ``supportkpi`` app."""
    app.command()(serve)
    app.add_typer(token_app, name="token")
    token_app.command("create")(token_create)


def serve(
    db: DbOption,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback needs tokens.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    config: Annotated[Path | None, typer.Option(help="TOML config file (SPEC §7).")] = None,
    max_upload_mb: Annotated[
        float, typer.Option(help="Largest accepted upload (POST /api/ingest), in MB.")
    ] = 50.0,
) -> None:
    """Serve the HTTP API (OpenAPI description at /docs)."""
    import uvicorn

    from supportkpi.store import Store
    from supportkpi.web import create_app, has_tokens, is_loopback

    _require_store(db)
    if not is_loopback(host):
        with Store(db, read_only=True) as store:
            tokens_exist = has_tokens(store.con)
        if not tokens_exist:
            raise InputError(
                f"serving on {host} needs an API token, and {db} has none; create one with "
                f"`supportkpi token create --db {db} --role admin` (or bind to 127.0.0.1)"
            )
    app = create_app(db, host=host, config=config, max_upload_mb=max_upload_mb)
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"supportkpi dashboard on http://{shown}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info")


def token_create(
    db: DbOption,
    role: Annotated[str, typer.Option(help="viewer (read) or admin (read and ingest).")],
) -> None:
    """Print a new API token once; only a salted hash of it is stored."""
    from supportkpi.store import Store
    from supportkpi.web.tokens import create_token

    _require_store(db)
    with Store(db) as store:
        token = create_token(store, role)
    typer.echo(token)
    typer.echo("Keep this token now: it cannot be shown again.", err=True)


def _require_store(db: Path) -> None:
    if not db.is_file():
        raise InputError(
            f"database {db} does not exist; create it with `supportkpi demo` or `supportkpi ingest`"
        )
