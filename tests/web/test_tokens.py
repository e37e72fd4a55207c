"""API tokens (stored hashed, expiring, listed, revoked), `supportkpi token create` and
`supportkpi serve`."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from supportkpi.cli import web_commands
from supportkpi.errors import InputError
from supportkpi.store import Store
from supportkpi.web import create_app
from supportkpi.web.tokens import (
    TOKENS_TABLE,
    check_token,
    create_token,
    has_tokens,
    list_tokens,
    parse_expiry,
    revoke_token,
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


# -- expiry ------------------------------------------------------------------------------------
def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _error(response: object, status: int) -> str:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body == {"ok": False, "error": body["error"], "status": status}
    return str(body["error"])


def _age(db: str, token: str, expires_at: datetime) -> None:
    """Move a token's expiry, as if the clock had moved past it."""
    with Store(db) as store:
        store.con.execute(
            f"UPDATE {TOKENS_TABLE} SET expires_at = ? WHERE token_id = ?",
            [expires_at, token.split("_")[1]],
        )


def test_an_expiry_in_the_past_or_without_a_timezone_is_refused(db: str) -> None:
    with Store(db) as store:
        with pytest.raises(InputError, match="is in the past"):
            create_token(store, "viewer", datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(InputError, match="needs a timezone offset"):
            create_token(store, "viewer", datetime(2999, 1, 1))
        assert not has_tokens(store.con)


def test_a_token_works_until_its_expiry_and_not_after(db: str) -> None:
    expiry = datetime.now(UTC) + timedelta(hours=1)
    with Store(db) as store:
        token = create_token(store, "admin", expiry)
        forever = create_token(store, "viewer")
        assert check_token(store.con, token).role == "admin"
        later = check_token(store.con, token, now=expiry)
        assert later.role is None and later.expired
        assert check_token(store.con, forever, now=expiry + timedelta(days=9999)).role == "viewer"
        # Only the holder of the secret learns that the token expired.
        # (A different last character: "A" itself would leave one token in 64 unchanged.)
        wrong = check_token(
            store.con, token[:-1] + ("B" if token.endswith("A") else "A"), now=expiry
        )
        assert wrong.role is None and not wrong.expired


def test_an_expired_token_gets_401_saying_so(db: str) -> None:
    with Store(db) as store:
        token = create_token(store, "viewer", datetime.now(UTC) + timedelta(hours=1))
    _age(db, token, datetime.now(UTC) - timedelta(minutes=1))
    with TestClient(create_app(db, host="0.0.0.0"), base_url="http://127.0.0.1") as client:
        expired = client.get("/api/metrics", headers=_bearer(token))
        assert _error(expired, 401) == "the bearer token has expired"
        assert expired.headers["www-authenticate"] == "Bearer"
        wrong = client.get("/api/metrics", headers=_bearer(token + "x"))
        assert _error(wrong, 401) == "the bearer token is not valid"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", datetime(2026, 7, 1, 12, tzinfo=UTC)),
        ("1h30m", datetime(2026, 6, 1, 13, 30, tzinfo=UTC)),
        ("2027-01-01", datetime(2027, 1, 1, tzinfo=UTC)),
        ("2027-01-01T08:00", datetime(2027, 1, 1, 8, tzinfo=UTC)),
        ("2027-01-01T08:00+02:00", datetime(2027, 1, 1, 6, tzinfo=UTC)),
    ],
)
def test_parse_expiry(text: str, expected: datetime) -> None:
    assert parse_expiry(text, now=datetime(2026, 6, 1, 12, tzinfo=UTC)) == expected


@pytest.mark.parametrize("text", ["soon", "30", "-1d", "2027-13-01", "99999999999d"])
def test_parse_expiry_refuses_what_is_neither(text: str) -> None:
    with pytest.raises(InputError, match=r"the expiry .* (neither|too far)"):
        parse_expiry(text)


# -- list and revoke ---------------------------------------------------------------------------
def test_list_shows_ids_roles_and_expiry_but_no_secret(db: str) -> None:
    expiry = datetime.now(UTC) + timedelta(days=30)
    with Store(db) as store:
        assert list_tokens(store.con) == []
        first = create_token(store, "admin")
        second = create_token(store, "viewer", expiry)
        salts = [row[0] for row in store.con.execute(f"SELECT salt FROM {TOKENS_TABLE}").fetchall()]
    with Store(db, read_only=True) as store:
        tokens = list_tokens(store.con)
        later = list_tokens(store.con, now=expiry + timedelta(seconds=1))
    assert [(t.token_id, t.role, t.expires_at, t.expired) for t in tokens] == [
        (first.split("_")[1], "admin", None, False),
        (second.split("_")[1], "viewer", expiry, False),
    ]
    assert [t.expired for t in later] == [False, True]
    shown = json.dumps([t.as_dict() for t in tokens])
    for secret in [first.split("_", 2)[2], second.split("_", 2)[2], *salts]:
        assert secret not in shown
    assert set(tokens[0].as_dict()) == {"token_id", "role", "created_at", "expires_at", "expired"}


def test_revoke_by_id_or_whole_token(db: str) -> None:
    with Store(db) as store:
        by_id, whole, kept = (create_token(store, "viewer") for _ in range(3))
        assert revoke_token(store, by_id.split("_")[1]) == by_id.split("_")[1]
        assert revoke_token(store, f"  {whole}\n") == whole.split("_")[1]
        assert verify_token(store.con, by_id) is None
        assert verify_token(store.con, whole) is None
        assert verify_token(store.con, kept) == "viewer"
        with pytest.raises(
            InputError, match=r"has no token with the id '[0-9a-f]{12}'; `supportkpi"
        ):
            revoke_token(store, by_id)


def test_revoke_on_a_store_without_tokens_is_an_input_error(db: str) -> None:
    with Store(db) as store, pytest.raises(InputError, match="no token with the id 'nope'"):
        revoke_token(store, "nope")


def test_a_revoke_from_another_process_reaches_a_running_server(db: str) -> None:
    """The CLI's write announces itself; the server closes its read handles, then reopens."""
    with Store(db) as store:
        revoked = create_token(store, "viewer")
        kept = create_token(store, "viewer")
    with TestClient(create_app(db, host="0.0.0.0"), base_url="http://127.0.0.1") as client:
        assert client.get("/api/metrics", headers=_bearer(revoked)).status_code == 200
        cli = subprocess.run(
            [sys.executable, "-m", "supportkpi.cli.main", "token", "revoke", "--db", db,
             revoked.split("_")[1]],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert _error(client.get("/api/metrics", headers=_bearer(revoked)), 401)
        assert client.get("/api/metrics", headers=_bearer(kept)).status_code == 200


# -- stores made before tokens could expire ----------------------------------------------------
OLD_ID, OLD_SECRET, OLD_SALT = "0123456789ab", "old-secret", "5a17"
OLD_TOKEN = f"skpi_{OLD_ID}_{OLD_SECRET}"


@pytest.fixture
def old_db(db: str) -> str:
    """A store whose ``_tokens`` has the first shape (no ``expires_at``), written by hand."""
    con = duckdb.connect(db)
    con.execute(
        "CREATE TABLE _tokens (token_id VARCHAR PRIMARY KEY, role VARCHAR, salt VARCHAR, "
        "secret_hash VARCHAR, created_at TIMESTAMPTZ)"
    )
    digest = hashlib.sha256(f"{OLD_SALT}:{OLD_SECRET}".encode()).hexdigest()
    con.execute(
        "INSERT INTO _tokens VALUES (?, 'admin', ?, ?, ?)",
        [OLD_ID, OLD_SALT, digest, datetime(2024, 1, 1, tzinfo=UTC)],
    )
    con.close()
    return db


def _columns(db: str) -> list[str]:
    with Store(db, read_only=True) as store:
        rows = store.con.execute(f"DESCRIBE {TOKENS_TABLE}").fetchall()
    return [str(row[0]) for row in rows]


def test_an_old_token_table_reads_on_a_read_only_connection(old_db: str) -> None:
    with Store(old_db, read_only=True) as store:
        assert has_tokens(store.con)
        assert verify_token(store.con, OLD_TOKEN) == "admin"
        assert verify_token(store.con, OLD_TOKEN + "x") is None
        [info] = list_tokens(store.con)
    assert (info.token_id, info.role, info.expires_at, info.expired) == (
        OLD_ID, "admin", None, False,
    )  # fmt: skip
    assert "expires_at" not in _columns(old_db)
    with TestClient(create_app(old_db, host="0.0.0.0"), base_url="http://127.0.0.1") as client:
        assert client.get("/api/metrics", headers=_bearer(OLD_TOKEN)).status_code == 200


def test_creating_a_token_migrates_an_old_table(old_db: str) -> None:
    with Store(old_db) as store:
        new = create_token(store, "viewer", datetime.now(UTC) + timedelta(days=1))
    assert _columns(old_db)[-1] == "expires_at"
    with Store(old_db, read_only=True) as store:
        assert verify_token(store.con, OLD_TOKEN) == "admin"
        assert verify_token(store.con, new) == "viewer"
        assert [t.expires_at is None for t in list_tokens(store.con)] == [True, False]
    with Store(old_db) as store:
        revoke_token(store, OLD_ID)
        assert verify_token(store.con, OLD_TOKEN) is None
