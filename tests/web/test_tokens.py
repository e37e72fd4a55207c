"""API tokens (stored hashed), `supportkpi token create` and `supportkpi serve`."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from supportkpi.cli import web_commands
from supportkpi.errors import InputError
from supportkpi.store import Store
from supportkpi.web.tokens import (
    TOKENS_TABLE,
    create_token,
    has_tokens,
    role_allows,
    verify_token,
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "tokens.duckdb"
    Store(path).close()
    return str(path)


def _cli() -> typer.Typer:
    app = typer.Typer()
    web_commands.register(app)
    return app


def test_tokens_verify_with_their_role_and_nothing_else(db: str) -> None:
    with Store(db) as store:
        assert not has_tokens(store.con)
        viewer = create_token(store, "viewer")
        admin = create_token(store, "admin")
        assert has_tokens(store.con)
        assert verify_token(store.con, viewer) == "viewer"
        assert verify_token(store.con, admin) == "admin"
        prefix, token_id, secret = viewer.split("_", 2)
        assert prefix == "skpi" and len(secret) >= 40  # 32 random bytes, URL-safe base64
        for wrong in (
            viewer[:-1],
            f"skpi_{token_id}_{secret[::-1]}",
            f"skpi_ffffffffffff_{secret}",
            secret,
            "",
            "skpi__",
            f"other_{token_id}_{secret}",
        ):
            assert verify_token(store.con, wrong) is None, wrong
        # An admin secret under the viewer's id is not the admin.
        assert verify_token(store.con, f"skpi_{token_id}_{admin.split('_', 2)[2]}") is None


def test_only_a_salted_hash_is_stored(db: str) -> None:
    with Store(db) as store:
        tokens = [create_token(store, "viewer") for _ in range(2)]
        rows = store.con.execute(f"SELECT * FROM {TOKENS_TABLE}").fetchall()
    stored = json.dumps([[str(v) for v in row] for row in rows])
    for token in tokens:
        assert token.split("_", 2)[2] not in stored
    salts = {row[2] for row in rows}
    hashes = {row[3] for row in rows}
    assert len(salts) == 2 and len(hashes) == 2 and all(len(h) == 64 for h in hashes)


def test_unknown_role_is_refused(db: str) -> None:
    with Store(db) as store, pytest.raises(InputError, match="unknown role 'root'"):
        create_token(store, "root")


def test_roles_are_ordered() -> None:
    assert role_allows("admin", "viewer") and role_allows("admin", "admin")
    assert role_allows("viewer", "viewer") and not role_allows("viewer", "admin")


def test_a_read_only_store_without_tokens_answers_none(db: str) -> None:
    with Store(db, read_only=True) as store:
        assert not has_tokens(store.con)
        assert verify_token(store.con, "skpi_abcdefabcdef_secret") is None


def test_token_create_prints_a_working_token_once(db: str) -> None:
    result = CliRunner().invoke(_cli(), ["token", "create", "--db", db, "--role", "admin"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert "\n" not in token
    with Store(db, read_only=True) as store:
        assert verify_token(store.con, token) == "admin"


def test_token_create_needs_an_existing_store(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    result = CliRunner().invoke(
        _cli(), ["token", "create", "--db", str(missing), "--role", "admin"]
    )
    assert isinstance(result.exception, InputError)
    assert not missing.exists()


def test_serve_off_loopback_refuses_without_tokens(db: str) -> None:
    result = CliRunner().invoke(_cli(), ["serve", "--db", db, "--host", "0.0.0.0"])
    assert isinstance(result.exception, InputError)
    assert "supportkpi token create" in str(result.exception)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_uvicorn_on_loopback(db: str, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    code = (
        "import sys; from pathlib import Path; from supportkpi.cli.web_commands import serve; "
        f"serve(Path(sys.argv[1]), port={port})"
    )
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", code, db], stdout=out, stderr=out)
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/metrics") as response:
                    body = json.load(response)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert body is not None, log.read_text()
        assert "metrics" in body
    finally:
        server.terminate()
        server.wait(timeout=10)
