"""`supportkpi tables`: the canonical data model (SPEC §2)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from supportkpi.schema import TABLES


def register(app: typer.Typer) -> None:
    @app.command()
    def tables(
        markdown: Annotated[bool, typer.Option("--markdown", help="Print docs/schema.md.")] = False,
        json_: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """The canonical tables and their columns (what `ingest` expects)."""
        if markdown:
            from supportkpi.report.schema_docs import schema_markdown

            typer.echo(schema_markdown(), nl=False)
            return
        if json_:
            payload = {
                t.name: {
                    "key": list(t.key),
                    "columns": [
                        {"name": c.name, "type": str(c.type), "required": c.required,
                         "values": list(c.enum), "open": c.open_enum}
                        for c in t.columns
                    ],
                }
                for t in TABLES.values()
            }  # fmt: skip
            typer.echo(json.dumps(payload, indent=2))
            return
        for t in TABLES.values():
            table = Table(title=f"{t.name} — {t.doc}", header_style="bold", title_justify="left")
            for col in ("column", "type", "required", "values"):
                table.add_column(col)
            for c in t.columns:
                table.add_row(c.name, str(c.type), "yes" if c.required else "", ", ".join(c.enum))
            Console().print(table)
