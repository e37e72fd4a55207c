"""``docs/schema.md``, generated from the canonical schema (`supportkpi tables --markdown`)."""

from __future__ import annotations

from supportkpi.schema import TABLES

HEADER = """# Canonical tables

Generated from `supportkpi.schema` by `supportkpi tables --markdown`; do not edit by hand.
Timestamps are instants stored in UTC (naive input is read in the mapping's source timezone).
IDs are strings. Unknown extra columns in a file are ignored. Enumerated columns marked *open*
accept other values (lower-cased); closed ones reject rows with other values into the
quarantine.
"""


def schema_markdown() -> str:
    """Every canonical table and column as Markdown."""
    lines = [HEADER]
    for table in TABLES.values():
        key = ", ".join(f"`{k}`" for k in table.key)
        hashed = " (a stable hash of the row when `event_id` is absent)" if table.hashed_key else ""
        lines.append(f"## `{table.name}`\n\n{table.doc} Key: {key}{hashed}.\n")
        lines.append("| column | type | required | values | meaning |")
        lines.append("|---|---|---|---|---|")
        for c in table.columns:
            values = ", ".join(c.enum) + (" (open)" if c.open_enum and c.enum else "")
            if c.default is not None:
                values = (values + "; " if values else "") + f"default {c.default}"
            lines.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else ''} | {values} | {c.doc} |"
            )
        lines.append("")
    return "\n".join(lines)
