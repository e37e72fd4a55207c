"""Load the TOML config file (SPEC §7), listing every problem at once.

This version reads ``timezone`` and ``[options]``; the business-hours, SLA and targets
sections are accepted and kept for the layers that use them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportkpi.engine.periods import zone
from supportkpi.errors import ConfigError, InputError, SupportKpiError
from supportkpi.metrics.context import Options

KNOWN_SECTIONS = ("timezone", "business_hours", "sla", "targets", "options", "surveys", "spark")


@dataclass(frozen=True)
class Settings:
    """A parsed, validated config file."""

    timezone: str = "UTC"
    options: Options = field(default_factory=Options)
    raw: dict[str, Any] = field(default_factory=dict)


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate ``path``; no path gives the defaults."""
    if path is None:
        return Settings()
    file = Path(path)
    if not file.exists():
        raise InputError(f"config file {file} does not exist")
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    problems = [f"{key}: unknown setting" for key in raw if key not in KNOWN_SECTIONS]
    tz = raw.get("timezone", "UTC")
    try:
        zone(str(tz))
    except SupportKpiError:
        problems.append(f"timezone: unknown timezone {tz!r}")
    options = Options()
    try:
        options = Options.from_mapping(raw.get("options"))
    except ConfigError as exc:
        problems.extend(exc.problems)
    if problems:
        raise ConfigError(f"{file}: invalid config", problems)
    return Settings(timezone=str(tz), options=options, raw=raw)
