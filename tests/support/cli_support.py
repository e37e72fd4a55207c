"""Run the `supportkpi` CLI in-process, as a user would call it, and capture its output."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from supportkpi.cli.main import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    argv = sys.argv
    sys.argv = ["supportkpi", *args]
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)
