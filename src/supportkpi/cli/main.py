"""Entry point of the `supportkpi` command.

Each command module registers its commands on the one Typer app. Library errors
(`SupportKpiError`) become one clear line on stderr and exit code 2 (1 is kept for
"a KPI target was missed"), never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from supportkpi.errors import SupportKpiError

app = typer.Typer(
    name="supportkpi",
    help="Customer-service KPIs with exact definitions, from help-desk exports to a dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Command modules, each with a `register(app)` function.
COMMAND_MODULES = (
    "supportkpi.cli.data_commands",
    "supportkpi.cli.import_command",
    "supportkpi.cli.demo_command",
    "supportkpi.cli.kpi_commands",
    "supportkpi.cli.staffing_command",
    "supportkpi.cli.forecast_command",
    "supportkpi.cli.sla_commands",
    "supportkpi.cli.customer_commands",
    "supportkpi.cli.web_commands",
    "supportkpi.cli.schema_command",
    "supportkpi.cli.facts_command",
    "supportkpi.cli.schedule_command",
    "supportkpi.cli.sync_command",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    """Run the CLI, turning library errors into one line on stderr."""
    try:
        # Without standalone mode the parser returns an Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except SupportKpiError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        # Usage errors of the command-line parser (typer vendors click) print their own message.
        show = getattr(exc, "show", None)
        if callable(show) and hasattr(exc, "exit_code"):
            show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
