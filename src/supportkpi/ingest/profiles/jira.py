"""Jira Service Management: the issue CSV export, and the REST issues JSON with changelog.

Files are told apart by their content. A CSV with an ``Issue key`` column is the issue
navigator's "Export CSV (all fields)": it gives the tickets, read by the ordinary loader
(repeated columns such as several ``Labels`` are read as ``Labels``, ``Labels.17``, ...
and joined into the tags). A JSON file is the REST search result (``{"issues": [...]}``,
``GET /rest/api/2/search?expand=changelog``) or a list of such issues: its
``changelog.histories[].items[]`` give a status event per ``status`` item (``toString``)
and an assignment event per ``assignee`` item; without a CSV its ``fields`` give the
tickets too. Jira statuses are named per workflow: they are read by name, then by status
category (see :mod:`._jira_statuses`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from supportkpi.errors import InputError
from supportkpi.ingest.profiles._export_files import csv_header, require_columns
from supportkpi.ingest.profiles._jira_statuses import status_values, ticket_status
from supportkpi.ingest.profiles.base import Part, Profile
from supportkpi.ingest.raw_table import unique_names
from supportkpi.ingest.readers import read_raw

EXPECTS = (
    "a Jira issue export (the issue navigator's CSV with an 'Issue key' column, or the "
    "REST search JSON with 'issues')"
)
REQUIRED = ("Issue key", "Summary", "Status", "Created")
#: Jira's CSV dates ("12/Mar/24 9:41 AM") are in the exporting user's time zone.
DATE_FORMATS = ["%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%Y-%m-%d %H:%M"]
PRIORITIES = {
    "Highest": "urgent", "Blocker": "urgent", "Critical": "urgent", "High": "high",
    "Major": "high", "Medium": "normal", "Low": "low", "Minor": "low", "Lowest": "low",
    "Trivial": "low",
}  # fmt: skip
#: Columns whose values, in every repetition, become the ticket's tags.
TAG_COLUMNS = ("Labels", "Component/s", "Custom field (Request Type)")
CHANNEL = {"channel": "unknown"}  # the CSV does not say how a request came in


def plan(files: Sequence[Path], workdir: Path) -> list[Part]:
    """The CSV's tickets (or the JSON's), then the JSON changelog's events."""
    csvs = [p for p in files if not _is_json(p)]
    issues = [issue for p in files if _is_json(p) for issue in _read_issues(p)]
    parts = [Part("tickets", path, csv_tickets_mapping(path)) for path in csvs]
    if issues and not csvs:
        tickets = workdir / "jira_issues.parquet"
        pq.write_table(json_tickets(issues), tickets)
        parts.append(Part("tickets", tickets, _converted(CHANNEL, PRIORITIES), "parquet",
                          _label(files, "issues")))  # fmt: skip
    if issues:
        events = workdir / "jira_changelog.parquet"
        pq.write_table(changelog_events(issues), events)
        parts.append(Part("ticket_events", events, _converted(), "parquet",
                          _label([p for p in files if _is_json(p)], "changelog")))  # fmt: skip
    return parts


def csv_tickets_mapping(path: Path) -> dict[str, Any]:
    """The mapping of one issue CSV, built from its header and its status names."""
    header = csv_header(path, EXPECTS)
    require_columns(path, header, REQUIRED, EXPECTS)
    names, _ = unique_names(header)  # as the loader names repeated columns
    tags = [n for n, h in zip(names, header, strict=True) if h in TAG_COLUMNS]
    columns = {
        "ticket_id": "Issue key",
        "created_at": "Created",
        "subject": "Summary",
        "status": "Status",
    }
    optional = {"priority": "Priority", "assignee_id": "Assignee", "customer_id": "Reporter",
                "solved_at": "Resolved", "updated_at": "Updated"}  # fmt: skip
    columns.update({k: v for k, v in optional.items() if v in names})
    mapping: dict[str, Any] = {
        "source": {"date_format": DATE_FORMATS, "implicit_columns": False},
        "columns": columns,
        "constants": CHANNEL,
        "values": {"status": _csv_statuses(path), "priority": PRIORITIES},
    }
    if tags:
        mapping["computed"] = {"tags": {"join": tags, "separator": ";"}}
    return mapping


def _csv_statuses(path: Path) -> dict[str, str]:
    table = read_raw(path, "csv").table
    names = table.column("Status").to_pylist()
    categories = (table.column("Status Category").to_pylist()
                  if "Status Category" in table.column_names else [None] * len(names))  # fmt: skip
    return status_values({(n, c) for n, c in zip(names, categories, strict=True) if n})


def _is_json(path: Path) -> bool:
    if path.suffix.lower() == ".json":
        return True
    with open(path, "rb") as fh:
        return fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _read_issues(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not {EXPECTS}: not valid JSON ({exc})") from None
    issues = data.get("issues") if isinstance(data, dict) else data
    if isinstance(data, dict) and "key" in data and issues is None:
        issues = [data]  # one issue: GET /rest/api/2/issue/KEY?expand=changelog
    if not isinstance(issues, list) or not all(
        isinstance(i, dict) and "key" in i and ("fields" in i or "changelog" in i) for i in issues
    ):
        raise InputError(
            f"{path.name}: not {EXPECTS}: no 'issues' list of objects with 'key' and "
            "'fields' or 'changelog'"
        )
    return issues


def json_tickets(issues: list[dict[str, Any]]) -> pa.Table:
    """One row per issue from its ``fields``, in canonical column names."""
    rows = []
    for issue in issues:
        fields = issue.get("fields") or {}
        status = fields.get("status") or {}
        category = (status.get("statusCategory") or {}).get("key")
        rows.append({
            "ticket_id": issue["key"],
            "created_at": fields.get("created"),
            "subject": fields.get("summary"),
            "status": ticket_status(status.get("name"), category),
            "priority": (fields.get("priority") or {}).get("name"),
            "assignee_id": _person(fields.get("assignee")),
            "customer_id": _person(fields.get("reporter")),
            "solved_at": fields.get("resolutiondate"),
            "updated_at": fields.get("updated"),
            "tags": ";".join(fields.get("labels") or []) or None,
        })  # fmt: skip
    return _text_table(
        rows,
        (
            "ticket_id",
            "created_at",
            "subject",
            "status",
            "priority",
            "assignee_id",
            "customer_id",
            "solved_at",
            "updated_at",
            "tags",
        ),
    )


def changelog_events(issues: list[dict[str, Any]]) -> pa.Table:
    """A status event per ``status`` item and an assignment per ``assignee`` item; the
    issue's reporter acting is the customer (reopening by reply), anyone else an agent."""
    rows = []
    for issue in issues:
        reporter = _person((issue.get("fields") or {}).get("reporter"))
        for history in (issue.get("changelog") or {}).get("histories") or []:
            author = _person(history.get("author"))
            for n, item in enumerate(history.get("items") or [], start=1):
                field = item.get("field")
                if field not in ("status", "assignee"):
                    continue
                status = field == "status"
                rows.append({
                    "event_id": f"{issue['key']}/{history.get('id')}/{n}",
                    "ticket_id": issue["key"],
                    "at": history.get("created"),
                    "kind": "status" if status else "assignment",
                    "actor_type": "customer" if author and author == reporter else "agent",
                    "actor_id": author,
                    "status": ticket_status(item.get("toString")) if status else None,
                    "assignee_id": None if status else item.get("toString"),
                })  # fmt: skip
    return _text_table(rows, ("event_id", "ticket_id", "at", "kind", "actor_type", "actor_id",
                              "status", "assignee_id"))  # fmt: skip


def _person(user: Any) -> str | None:
    """A Jira user as the CSV shows it: the display name (else the account id or name)."""
    if not isinstance(user, dict):
        return None
    return user.get("displayName") or user.get("accountId") or user.get("name")


def _text_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in columns})


def _converted(constants: dict[str, str] | None = None,
               priorities: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """A converted part's mapping: its columns carry canonical names already."""
    mapping: dict[str, Any] = {"source": {"format": "parquet"}}
    if constants:
        mapping["constants"] = constants
    if priorities:
        mapping["values"] = {"priority": priorities}
    return mapping


def _label(files: Sequence[Path], what: str) -> str:
    first = files[0].name
    return f"{first} ({what})" if len(files) == 1 else f"{first} and {len(files) - 1} more ({what})"


PROFILE = Profile(
    name="jira",
    summary="Jira Service Management: issue CSV export, REST issues JSON with changelog",
    expects=EXPECTS,
    plan=plan,
)
