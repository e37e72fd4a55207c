"""Jira workflow statuses as ticket statuses: Jira's names are per project, so by name, then
by status category (To Do, In Progress, Done), and a status nobody knows is open."""

from __future__ import annotations

#: Common status names of Jira Service Management and Jira Software workflows (casefolded).
BY_NAME = {
    "new": "new",
    "open": "open",
    "to do": "open",
    "backlog": "open",
    "reopened": "open",
    "in progress": "open",
    "work in progress": "open",
    "waiting for support": "open",
    "escalated": "open",
    "under investigation": "open",
    "under review": "open",
    "waiting for customer": "pending",
    "pending": "pending",
    "waiting for approval": "pending",
    "on hold": "on_hold",
    "waiting for third party": "on_hold",
    "waiting for vendor": "on_hold",
    "resolved": "solved",
    "done": "solved",
    "completed": "solved",
    "canceled": "solved",
    "cancelled": "solved",
    "declined": "solved",
    "won't do": "solved",
    "closed": "closed",
}
#: Jira's three status categories, by name (CSV "Status Category") or key (REST).
BY_CATEGORY = {
    "to do": "open",
    "new": "open",
    "in progress": "open",
    "indeterminate": "open",
    "done": "solved",
}


def ticket_status(name: str | None, category: str | None = None) -> str | None:
    """The ticket status of a Jira status; ``None`` for no status at all."""
    if name is None or not name.strip():
        return None
    known = BY_NAME.get(name.strip().casefold())
    if known is not None:
        return known
    return BY_CATEGORY.get((category or "").strip().casefold(), "open")


def status_values(names_and_categories: set[tuple[str, str | None]]) -> dict[str, str]:
    """A ``[values.status]`` table for the status names an export holds."""
    return {
        name: status
        for name, category in sorted(names_and_categories, key=lambda nc: (nc[0], nc[1] or ""))
        if (status := ticket_status(name, category)) is not None
    }
