"""`supportkpi token create|list|revoke` as a user runs them: output, exit codes, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import CliResult, run_cli

from supportkpi.store import Store
from supportkpi.web.tokens import TOKENS_TABLE, verify_token


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "tokens.duckdb"
    Store(path).close()
    return str(path)


def _ok(result: CliResult) -> CliResult:
    assert result.code == 0, result.err
    return result


def _one_line_error(result: CliResult, fragment: str) -> None:
    assert result.code == 2, result.out
    assert result.err.startswith("Error: ") and fragment in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def _create(capsys: pytest.CaptureFixture[str], db: str, *extra: str) -> str:
    result = _ok(run_cli(capsys, "token", "create", "--db", db, "--role", "viewer", *extra))
    return result.out.strip()


def _listed(capsys: pytest.CaptureFixture[str], db: str) -> list[dict[str, object]]:
    result = _ok(run_cli(capsys, "token", "list", "--db", db, "--format", "json"))
    rows: list[dict[str, object]] = json.loads(result.out)["rows"]
    return rows


def test_create_with_a_duration_sets_the_expiry(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    before = datetime.now(UTC)
    result = _ok(
        run_cli(capsys, "token", "create", "--db", db, "--role", "admin", "--expires", "30d")
    )
    token = result.out.strip()
    assert "It expires at " in result.err
    [row] = _listed(capsys, db)
    expiry = datetime.fromisoformat(str(row["expires_at"]))
    assert before + timedelta(days=30) <= expiry <= datetime.now(UTC) + timedelta(days=30)
    assert (row["token_id"], row["role"], row["expired"]) == (token.split("_")[1], "admin", False)


def test_create_with_a_date_expires_at_its_start_in_utc(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    _create(capsys, db, "--expires", "2999-01-01")
    [row] = _listed(capsys, db)
    assert row["expires_at"] == "2999-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("expires", "fragment"),
    [
        ("2020-01-01", "the expiry 2020-01-01T00:00:00+00:00 is in the past"),
        ("0s", "is in the past"),
        ("someday", "is neither a duration like '30d' nor an ISO date"),
    ],
)
def test_create_refuses_a_past_or_unreadable_expiry(
    capsys: pytest.CaptureFixture[str], db: str, expires: str, fragment: str
) -> None:
    result = run_cli(
        capsys, "token", "create", "--db", db, "--role", "viewer", "--expires", expires
    )
    _one_line_error(result, fragment)
    assert result.out == ""
    assert _listed(capsys, db) == []


def test_list_shows_no_secret_in_either_format(capsys: pytest.CaptureFixture[str], db: str) -> None:
    tokens = [_create(capsys, db), _create(capsys, db, "--expires", "2999-01-01")]
    with Store(db, read_only=True) as store:
        stored = store.con.execute(f"SELECT salt, secret_hash FROM {TOKENS_TABLE}").fetchall()
    table = _ok(run_cli(capsys, "token", "list", "--db", db)).out
    raw = _ok(run_cli(capsys, "token", "list", "--db", db, "--format", "json")).out
    for token in tokens:
        assert token.split("_")[1] in table and token.split("_")[1] in raw
    assert "never" in table and "2999-01-01 00:00" in table and "valid" in table
    secrets = [t.split("_", 2)[2] for t in tokens] + [v for row in stored for v in row]
    for secret in secrets:
        assert secret not in table and secret not in raw
    assert {key for row in json.loads(raw)["rows"] for key in row} == {
        "token_id", "role", "created_at", "expires_at", "expired",
    }  # fmt: skip


def test_list_marks_an_expired_token(capsys: pytest.CaptureFixture[str], db: str) -> None:
    token = _create(capsys, db, "--expires", "1h")
    with Store(db) as store:
        store.con.execute(
            f"UPDATE {TOKENS_TABLE} SET expires_at = ?", [datetime.now(UTC) - timedelta(hours=1)]
        )
    assert "expired" in _ok(run_cli(capsys, "token", "list", "--db", db)).out
    assert [row["expired"] for row in _listed(capsys, db)] == [True]
    with Store(db, read_only=True) as store:
        assert verify_token(store.con, token) is None


def test_list_on_a_store_without_tokens_says_so(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    result = _ok(run_cli(capsys, "token", "list", "--db", db))
    assert result.out == "" and "has no tokens" in result.err
    assert _listed(capsys, db) == []


def test_list_refuses_an_unknown_format(capsys: pytest.CaptureFixture[str], db: str) -> None:
    result = run_cli(capsys, "token", "list", "--db", db, "--format", "xml")
    _one_line_error(result, "unknown format 'xml'; use table or json")


def test_revoke_by_id_or_token_and_refuse_an_unknown_id(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    first, second, kept = (_create(capsys, db) for _ in range(3))
    first_id = first.split("_")[1]
    result = _ok(run_cli(capsys, "token", "revoke", "--db", db, first_id))
    assert result.out == f"Revoked token {first_id}.\n"
    _ok(run_cli(capsys, "token", "revoke", "--db", db, second))
    assert [row["token_id"] for row in _listed(capsys, db)] == [kept.split("_")[1]]
    with Store(db, read_only=True) as store:
        assert verify_token(store.con, first) is None and verify_token(store.con, second) is None
        assert verify_token(store.con, kept) == "viewer"
    again = run_cli(capsys, "token", "revoke", "--db", db, first_id)
    _one_line_error(again, f"has no token with the id '{first_id}'")


def test_token_commands_need_an_existing_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "missing.duckdb")
    for args in (["list"], ["revoke", "abc"], ["create", "--role", "viewer"]):
        result = run_cli(capsys, "token", *args[:1], "--db", missing, *args[1:])
        _one_line_error(result, "does not exist")
    assert not Path(missing).exists()
