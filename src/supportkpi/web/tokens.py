"""API tokens: created once, shown once, stored only as a salted hash in the store's file.

A token reads ``skpi_<id>_<secret>``. The id finds the row of ``_tokens``; the secret is 256
random bits, so a salted SHA-256 is enough to make a stolen file useless (there is nothing to
guess) while keeping a check per request in microseconds, where scrypt would cost ~50 ms.
A token may carry an expiry; after it, the token is refused like an unknown one.

>>> from supportkpi.store import Store
>>> store = Store(":memory:")
>>> token = create_token(store, "viewer")
>>> verify_token(store.con, token)
'viewer'
>>> verify_token(store.con, token + "x") is None
True
>>> [info.role for info in list_tokens(store.con)]
['viewer']
>>> revoke_token(store, token) == token.split("_")[1]
True
>>> verify_token(store.con, token) is None
True
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from supportkpi.calendar.durations import parse_duration
from supportkpi.errors import InputError
from supportkpi.store import Store

TOKENS_TABLE = "_tokens"
#: Roles in increasing power: an admin may do everything a viewer may.
ROLES = ("viewer", "admin")
PREFIX = "skpi"

_TOKENS_DDL = f"""
CREATE TABLE IF NOT EXISTS {TOKENS_TABLE} (
    token_id VARCHAR PRIMARY KEY, role VARCHAR, salt VARCHAR, secret_hash VARCHAR,
    created_at TIMESTAMPTZ, expires_at TIMESTAMPTZ
)"""
# Stores made before tokens could expire hold the table without the column; the next token
# written adds it (NULL: never expires). Readers cope with both shapes, so a read-only server
# on an old store keeps working.
_ADD_EXPIRY = f"ALTER TABLE {TOKENS_TABLE} ADD COLUMN IF NOT EXISTS expires_at TIMESTAMPTZ"
_NO_EXPIRY = "CAST(NULL AS TIMESTAMPTZ)"


@dataclass(frozen=True)
class TokenCheck:
    """What a presented token turned out to be: the role it grants, or none."""

    role: str | None = None
    #: Set only when the secret matched, so it tells nothing to whoever does not hold it.
    expired: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """One stored token as ``token list`` shows it: never its secret or its hash."""

    token_id: str
    role: str
    created_at: datetime
    expires_at: datetime | None
    expired: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "token_id": self.token_id,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "expired": self.expired,
        }


def create_token(store: Store, role: str, expires_at: datetime | None = None) -> str:
    """Store a new token for ``role`` (viewer or admin) and return it; it is not kept.

    ``expires_at`` (timezone-aware, in the future) ends its validity; None means never.
    """
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}; use viewer or admin")
    now = datetime.now(UTC)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InputError(f"the expiry {expires_at.isoformat()} needs a timezone offset")
        if expires_at <= now:
            raise InputError(
                f"the expiry {expires_at.isoformat()} is in the past; "
                "give a later instant or a duration like '30d'"
            )
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    store.con.execute(_TOKENS_DDL)
    store.con.execute(_ADD_EXPIRY)
    store.con.execute(
        f"INSERT INTO {TOKENS_TABLE} (token_id, role, salt, secret_hash, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [token_id, role, salt, _hash(salt, secret), now, expires_at],
    )
    return f"{PREFIX}_{token_id}_{secret}"


def check_token(
    con: duckdb.DuckDBPyConnection, token: str, now: datetime | None = None
) -> TokenCheck:
    """The role ``token`` grants at ``now`` (default: now), or why it grants none.

    Works on a read-only connection and on stores whose table predates expiry.
    """
    token_id, secret = _split(token)
    columns = _token_columns(con)
    if not token_id or not secret or not columns:
        return TokenCheck()
    row = con.execute(
        f"SELECT role, salt, secret_hash, coalesce({_expiry(columns)} <= ?, false) "
        f"FROM {TOKENS_TABLE} WHERE token_id = ?",
        [now or datetime.now(UTC), token_id],
    ).fetchone()
    if row is None:
        return TokenCheck()
    role, salt, expected, expired = row
    if not hmac.compare_digest(_hash(salt, secret), expected):
        return TokenCheck()
    return TokenCheck(expired=True) if expired else TokenCheck(role=str(role))


def verify_token(con: duckdb.DuckDBPyConnection, token: str) -> str | None:
    """The role of ``token``, or None when it is malformed, unknown, wrong or expired."""
    return check_token(con, token).role


def list_tokens(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> list[TokenInfo]:
    """Every stored token, oldest first, with whether it has expired at ``now``."""
    columns = _token_columns(con)
    if not columns:
        return []
    expiry = _expiry(columns)
    rows = con.execute(
        f"SELECT token_id, role, created_at, {expiry}, coalesce({expiry} <= ?, false) "
        f"FROM {TOKENS_TABLE} ORDER BY created_at, token_id",
        [now or datetime.now(UTC)],
    ).fetchall()
    return [
        TokenInfo(str(token_id), str(role), created, expires, bool(expired))
        for token_id, role, created, expires, expired in rows
    ]


def revoke_token(store: Store, token_or_id: str) -> str:
    """Delete a token, named by its id or given whole, and return its id."""
    text = token_or_id.strip()
    token_id = _split(text)[0] if text.startswith(f"{PREFIX}_") else text
    deleted = []
    if token_id and _token_columns(store.con):
        deleted = store.con.execute(
            f"DELETE FROM {TOKENS_TABLE} WHERE token_id = ? RETURNING token_id", [token_id]
        ).fetchall()
    if not deleted:
        raise InputError(
            f"{store.path} has no token with the id {token_id!r}; "
            f"`supportkpi token list --db {store.path}` shows the ids"
        )
    return token_id


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """The instant ``text`` names: a duration from ``now`` (``30d``, ``12h``), an ISO date
    (its start, in UTC) or an ISO instant (in UTC unless it gives an offset)."""
    start = now or datetime.now(UTC)
    try:
        return start + timedelta(seconds=parse_duration(text))
    except OverflowError:
        raise InputError(f"the expiry {text!r} is too far in the future") from None
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"the expiry {text!r} is neither a duration like '30d' nor an ISO date or "
            "instant like '2027-01-01'"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def has_tokens(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store holds at least one token (a read-only connection is enough)."""
    if not _token_columns(con):
        return False
    row = con.execute(f"SELECT count(*) FROM {TOKENS_TABLE}").fetchone()
    return bool(row and row[0])


def role_allows(role: str, needed: str) -> bool:
    """Whether a token of ``role`` may use a route that needs ``needed``."""
    return ROLES.index(role) >= ROLES.index(needed)


def _split(token: str) -> tuple[str, str]:
    """``(id, secret)`` of a token; empty strings where it is not one."""
    prefix, _, rest = token.strip().partition("_")
    token_id, _, secret = rest.partition("_")
    return (token_id, secret) if prefix == PREFIX else ("", "")


def _token_columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The columns of the store's token table; empty when it has none."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() AND schema_name = 'main'",
        [TOKENS_TABLE],
    ).fetchall()
    return {str(name) for (name,) in rows}


def _expiry(columns: set[str]) -> str:
    """The SQL for a token's expiry: its column, or NULL in a table that predates it."""
    return "expires_at" if "expires_at" in columns else _NO_EXPIRY


def _hash(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
