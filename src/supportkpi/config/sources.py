"""``[sources.NAME]``: help desks that ``supportkpi sync NAME`` pulls from (issue 18).

>>> zd = {"system": "zendesk", "url": "https://acme.zendesk.com", "email": "a@example.com",
...       "token_env": "ZENDESK_TOKEN", "start": "2024-01-01"}
>>> parse_sources({"zd": zd}, [])[0].start
datetime.datetime(2024, 1, 1, 0, 0, tzinfo=datetime.timezone.utc)

The secret never sits in the file: ``token_env`` names the environment variable that holds
it, read only when a sync starts. Like every section, the parser appends each problem
(``key: reason``) and never raises.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SYSTEMS = ("zendesk", "freshdesk", "zammad", "chatwoot")
SOURCE_KEYS = ("system", "url", "email", "token_env", "start", "timeout_s")
#: Systems whose API-token login is ``{email}/token:{token}``: they need ``email``.
NEEDS_EMAIL = ("zendesk",)


@dataclass(frozen=True)
class SourceSettings:
    """One ``[sources.NAME]`` table: where the help desk is and how to log in."""

    name: str
    system: str
    url: str
    token_env: str
    start: dt.datetime  # the first sync starts here (UTC)
    email: str | None = None
    timeout_s: float = 30.0


def parse_sources(section: Any, problems: list[str]) -> list[SourceSettings]:
    """Every ``[sources.NAME]`` table, in file order."""
    if section is None:
        return []
    if not isinstance(section, dict):
        problems.append("sources: write each source as a table [sources.NAME]")
        return []
    out = []
    for name, raw in section.items():
        where = f"sources.{name}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: write the source as a table [sources.{name}]")
            continue
        before = len(problems)
        problems += [f"{where}.{k}: unknown setting" for k in raw if k not in SOURCE_KEYS]
        system = str(raw.get("system") or "")
        if system not in SYSTEMS:
            problems.append(f"{where}.system: {system!r} is not one of {', '.join(SYSTEMS)}")
        url = str(raw.get("url") or "").rstrip("/")
        if not url.startswith(("https://", "http://")):
            problems.append(f"{where}.url: {url!r} is not an http(s) URL")
        token_env = str(raw.get("token_env") or "")
        if not token_env:
            problems.append(
                f"{where}.token_env: required (the environment variable holding the token)"
            )
        email = raw.get("email")
        if system in NEEDS_EMAIL and not email:
            problems.append(f"{where}.email: required for {system} API-token login")
        start = _start(raw.get("start"), f"{where}.start", problems)
        timeout = raw.get("timeout_s", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            problems.append(f"{where}.timeout_s: {timeout!r} is not a positive number of seconds")
            timeout = 30.0
        if len(problems) == before and start is not None:
            email_text = str(email) if email else None
            out.append(
                SourceSettings(name, system, url, token_env, start, email_text, float(timeout))
            )
    return out


def _start(value: Any, where: str, problems: list[str]) -> dt.datetime | None:
    """A TOML date or datetime, or their ISO text, as an aware UTC datetime."""
    if value is None:
        problems.append(f"{where}: required (the date the first sync starts from)")
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            problems.append(f"{where}: {value!r} is not a date like 2024-01-01")
            return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    problems.append(f"{where}: {value!r} is not a date like 2024-01-01")
    return None
