"""The canonical data model (SPEC §2), declared once."""

from supportkpi.schema.tables import (
    ACTOR_TYPES,
    EVENT_KINDS,
    SOLVED_STATUSES,
    TABLES,
    Column,
    ColumnType,
    Table,
    get_table,
)

__all__ = [
    "ACTOR_TYPES",
    "EVENT_KINDS",
    "SOLVED_STATUSES",
    "TABLES",
    "Column",
    "ColumnType",
    "Table",
    "get_table",
]
