"""The ten canonical tables of SPEC §2.

This module is the single source for the loaders (which columns to expect and how to parse
them), the validation (required columns, enums) and the docs (``docs/schema.md`` is generated
from it). Nothing else declares a column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from supportkpi.errors import NotFoundError


class ColumnType(StrEnum):
    """Logical column types; the store maps them to DuckDB types."""

    STRING = "string"
    TIMESTAMP = "timestamp"  # timezone-aware instant, stored as UTC
    FLOAT = "float"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    STRING_LIST = "string_list"
    DATE = "date"


DUCKDB_TYPES: dict[ColumnType, str] = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.TIMESTAMP: "TIMESTAMPTZ",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.STRING_LIST: "VARCHAR[]",
    ColumnType.DATE: "DATE",
}


@dataclass(frozen=True)
class Column:
    """One canonical column: its type, whether it is required, and its allowed values."""

    name: str
    type: ColumnType
    required: bool = False
    doc: str = ""
    #: Allowed values. ``open_enum`` columns accept other values too (lower-cased).
    enum: tuple[str, ...] = ()
    open_enum: bool = False
    default: str | bool | None = None
    #: Values are lower-cased and stripped at load (channel, priority, status, ...).
    lower: bool = False

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Table:
    """One canonical table; ``key`` is its primary key (a tuple of column names)."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: When the key column is optional and missing, a stable hash of the row is used.
    hashed_key: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise NotFoundError(f"table {self.name!r} has no column {name!r}")


EVENT_KINDS = ("message", "status", "assignment", "escalation", "priority", "note")
ACTOR_TYPES = ("customer", "agent", "bot", "system")
TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
#: Statuses that end a ticket's open life; reaching one of them from another state is a solve.
SOLVED_STATUSES = ("solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "phone", "chat", "social", "web", "api", "messaging")
SURVEY_KINDS = ("csat", "nps", "ces", "asat")
#: The widest scale each survey kind may use (whole numbers); scores outside are rejected at
#: load. The configured scale (options csat_scale_max, ces_scale_max) narrows it in metrics.
SURVEY_SCALES: dict[str, tuple[int, int]] = {
    "csat": (1, 10),
    "nps": (0, 10),
    "ces": (1, 7),
    "asat": (1, 10),
}

_S, _T, _F, _I, _B = (
    ColumnType.STRING,
    ColumnType.TIMESTAMP,
    ColumnType.FLOAT,
    ColumnType.INTEGER,
    ColumnType.BOOLEAN,
)


def _c(name: str, type_: ColumnType, required: bool = False, doc: str = "", **kw: object) -> Column:
    return Column(name, type_, required, doc, **kw)  # type: ignore[arg-type]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "tickets",
            "One row per support ticket (conversation).",
            (
                _c("ticket_id", _S, True, "Ticket id."),
                _c("created_at", _T, True, "When the ticket was created."),
                _c(
                    "channel",
                    _S,
                    True,
                    "Contact channel.",
                    enum=CHANNELS,
                    open_enum=True,
                    lower=True,
                ),
                _c("customer_id", _S, doc="Requesting customer."),
                _c("assignee_id", _S, doc="Assigned agent."),
                _c("team", _S, doc="Assigned team (group)."),
                _c("priority", _S, doc="Priority.", enum=PRIORITIES, open_enum=True, lower=True),
                _c("status", _S, doc="Current status.", enum=TICKET_STATUSES, lower=True),
                _c("subject", _S, doc="Subject line."),
                _c("tags", ColumnType.STRING_LIST, doc="Tags (a list; `a;b` or `a,b` in CSV)."),
                _c("first_response_at", _T, doc="First public agent reply (fallback column)."),
                _c("solved_at", _T, doc="Last solve (fallback column)."),
                _c("closed_at", _T, doc="When the ticket was closed."),
                _c("reopens", _I, doc="Number of reopens (fallback column)."),
                _c("escalated", _B, doc="Was the ticket escalated (fallback column)."),
                _c("updated_at", _T, doc="Last update."),
                _c("derived", _B, doc="Set by the loader: row derived from ticket_events."),
            ),
            key=("ticket_id",),
        ),
        Table(
            "ticket_events",
            "The history of each ticket: messages, status changes, assignments, escalations.",
            (
                _c("event_id", _S, doc="Event id; a stable hash of the row when absent."),
                _c("ticket_id", _S, True, "Ticket the event belongs to."),
                _c("at", _T, True, "When it happened."),
                _c("kind", _S, True, "Event kind.", enum=EVENT_KINDS, lower=True),
                _c("actor_type", _S, True, "Who acted.", enum=ACTOR_TYPES, lower=True),
                _c("actor_id", _S, doc="Agent, customer or bot id."),
                _c("public", _B, doc="Public message (default true).", default=True),
                _c("channel", _S, doc="Channel of a message.", open_enum=True, lower=True),
                _c(
                    "status",
                    _S,
                    doc="New status (kind=status).",
                    enum=TICKET_STATUSES,
                    lower=True,
                ),
                _c("assignee_id", _S, doc="New assignee (kind=assignment)."),
                _c("team", _S, doc="New team (kind=assignment)."),
                _c("level", _I, doc="Escalation tier (kind=escalation)."),
                _c("body", _S, doc="Message text."),
                _c(
                    "sentiment",
                    _F,
                    doc="Sentiment of a customer message, -1 to 1 (VADER compound); "
                    "scored from the body at load when the source gives none.",
                ),
            ),
            key=("event_id",),
            hashed_key=True,
        ),
        Table(
            "calls",
            "Inbound and outbound phone calls, one row per call offered to a queue.",
            (
                _c("call_id", _S, True, "Call id."),
                _c("queue", _S, doc="Queue (skill group)."),
                _c(
                    "direction",
                    _S,
                    doc="inbound or outbound.",
                    enum=("inbound", "outbound"),
                    default="inbound",
                    lower=True,
                ),
                _c("customer_id", _S, doc="Calling customer."),
                _c("agent_id", _S, doc="Answering agent."),
                _c("ticket_id", _S, doc="Related ticket."),
                _c("offered_at", _T, True, "When the call entered the queue."),
                _c("answered_at", _T, doc="When an agent answered (null = not answered)."),
                _c("ended_at", _T, doc="When the call ended (or the caller hung up)."),
                _c("talk_s", _F, doc="Talk time, seconds."),
                _c("hold_s", _F, doc="Hold time, seconds."),
                _c("acw_s", _F, doc="After-call work, seconds."),
                _c("resolved", _B, doc="Resolved on this call."),
                _c("ivr_resolved", _B, doc="Resolved in the IVR without an agent."),
            ),
            key=("call_id",),
        ),
        Table(
            "surveys",
            "Survey invitations and responses (CSAT, NPS, CES, agent satisfaction).",
            (
                _c("response_id", _S, True, "Response (or invitation) id."),
                _c("kind", _S, True, "Survey kind.", enum=SURVEY_KINDS, lower=True),
                _c("score", _F, doc="Score; null = sent but not answered."),
                _c("sent_at", _T, doc="When the survey was sent."),
                _c("responded_at", _T, doc="When it was answered."),
                _c("ticket_id", _S, doc="Surveyed ticket."),
                _c("customer_id", _S, doc="Responding customer."),
                _c("agent_id", _S, doc="Agent (for asat: the responding agent)."),
                _c("comment", _S, doc="Free-text comment."),
            ),
            key=("response_id",),
        ),
        Table(
            "agents",
            "Support agents.",
            (
                _c("agent_id", _S, True, "Agent id."),
                _c("name", _S, doc="Display name."),
                _c("team", _S, doc="Team."),
                _c("hourly_cost", _F, doc="Fully loaded cost per hour."),
                _c("active_from", _T, doc="Start of employment."),
                _c("active_to", _T, doc="End of employment."),
            ),
            key=("agent_id",),
        ),
        Table(
            "agent_activity",
            "Agent state intervals (handling, available, break, ...) from the phone or chat tool.",
            (
                _c("agent_id", _S, True, "Agent id."),
                _c("start_at", _T, True, "Start of the state."),
                _c("end_at", _T, True, "End of the state."),
                _c(
                    "state",
                    _S,
                    True,
                    "Agent state.",
                    enum=(
                        "handling",
                        "after_call_work",
                        "available",
                        "break",
                        "training",
                        "meeting",
                        "offline",
                    ),
                    open_enum=True,
                    lower=True,
                ),
            ),
            key=("agent_id", "start_at", "state"),
        ),
        Table(
            "customers",
            "Customers (accounts).",
            (
                _c("customer_id", _S, True, "Customer id."),
                _c("created_at", _T, True, "When the customer joined."),
                _c("churned_at", _T, doc="When the customer left (null = still a customer)."),
                _c("segment", _S, doc="Tier or segment.", lower=True),
                _c("country", _S, doc="Country code."),
            ),
            key=("customer_id",),
        ),
        Table(
            "orders",
            "Customer orders (revenue).",
            (
                _c("order_id", _S, True, "Order id."),
                _c("customer_id", _S, True, "Ordering customer."),
                _c("ordered_at", _T, True, "When the order was placed."),
                _c("amount", _F, True, "Order value."),
            ),
            key=("order_id",),
        ),
        Table(
            "costs",
            "Support costs per period (labor, tooling, overhead, ...).",
            (
                _c("period_start", ColumnType.DATE, True, "First day of the cost period."),
                _c("period_end", ColumnType.DATE, True, "Last day of the cost period (inclusive)."),
                _c("amount", _F, True, "Cost amount."),
                _c("category", _S, doc="Cost category.", lower=True),
            ),
            key=("period_start", "period_end", "category"),
        ),
        Table(
            "kb_sessions",
            "Knowledge-base (self-service) sessions.",
            (
                _c("session_id", _S, True, "Session id."),
                _c("at", _T, True, "When the session started."),
                _c("customer_id", _S, doc="Known customer, if logged in."),
                _c("article_id", _S, doc="Article viewed."),
                _c("helpful", _B, doc="Marked helpful."),
            ),
            key=("session_id",),
        ),
    )
}


def get_table(name: str) -> Table:
    """Return the canonical table called ``name`` or raise a clear error."""
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise NotFoundError(f"unknown table {name!r}; known tables: {known}") from None
