"""API tokens: created once, shown once, stored only as a salted hash in the store's file.

A token reads ``skpi_<id>_<secret>``. The id finds the row of ``_tokens``; the secret is 256
random bits, so a salted SHA-256 is enough to make a stolen file useless (there is nothing to
guess) while keeping a check per request in microseconds, where scrypt would cost ~50 ms.

>>> from supportkpi.store import Store
>>> store = Store(":memory:")
>>> token = create_token(store, "viewer")
>>> verify_token(store.con, token)
'viewer'
>>> verify_token(store.con, token + "x") is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import duckdb

from supportkpi.errors import InputError
from supportkpi.store import Store

TOKENS_TABLE = "_tokens"
#: Roles in increasing power: an admin may do everything a viewer may.
ROLES = ("viewer", "admin")
PREFIX = "skpi"

_TOKENS_DDL = f"""
CREATE TABLE IF NOT EXISTS {TOKENS_TABLE} (
    token_id VARCHAR PRIMARY KEY, role VARCHAR, salt VARCHAR, secret_hash VARCHAR,
    created_at TIMESTAMPTZ
)"""


def create_token(store: Store, role: str) -> str:
    """Store a new token for ``role`` (viewer or admin) and return it; it is not kept."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; use viewer or admin")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    store.con.execute(_TOKENS_DDL)
    store.con.execute(
        f"INSERT INTO {TOKENS_TABLE} VALUES (?, ?, ?, ?, ?)",
        [token_id, role, salt, _hash(salt, secret), datetime.now(UTC)],
    )
    return f"{PREFIX}_{token_id}_{secret}"


def verify_token(con: duckdb.DuckDBPyConnection, token: str) -> str | None:
    """The role of ``token``, or None when it is malformed, unknown or wrong."""
    prefix, _, rest = token.strip().partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not token_id or not secret or not has_tokens(con):
        return None
    row = con.execute(
        f"SELECT role, salt, secret_hash FROM {TOKENS_TABLE} WHERE token_id = ?", [token_id]
    ).fetchone()
    if row is None:
        return None
    role, salt, expected = row
    return str(role) if hmac.compare_digest(_hash(salt, secret), expected) else None


def has_tokens(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store holds at least one token (a read-only connection is enough)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT temporary",
        [TOKENS_TABLE],
    ).fetchone()
    if not exists or not exists[0]:
        return False
    row = con.execute(f"SELECT count(*) FROM {TOKENS_TABLE}").fetchone()
    return bool(row and row[0])


def role_allows(role: str, needed: str) -> bool:
    """Whether a token of ``role`` may use a route that needs ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
