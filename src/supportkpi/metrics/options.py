"""The ``[options]`` of the config file (SPEC §7), declared once.

Each option has a name, a default, a type, optional allowed values and a sentence of help.
:class:`Options` is built from this declaration; the docs and the validation read it too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from supportkpi.errors import ConfigError


@dataclass(frozen=True)
class OptionSpec:
    """One option: its default, type, allowed values and what it changes."""

    name: str
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = 0
    maximum: float | None = None


OPTION_SPECS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "fcr",
        "one_touch",
        "FCR variant of fcr_rate.",
        ("one_touch", "zendesk", "no_customer_followup"),
    ),
    OptionSpec("repeat_contact_days", 7, "Window (days) of repeat_contact_rate."),
    OptionSpec("include_bots", False, "Count bot messages as a first response."),
    OptionSpec("short_abandon_s", 5.0, "Calls abandoned sooner are left out of call rates."),
    OptionSpec("service_level_s", 20.0, "Service-level threshold T (seconds) for calls."),
    OptionSpec(
        "service_level_variant",
        "default",
        "service_level denominator: offered (default), answered_only, or "
        "abandons_count_against (short abandons count too).",
        ("default", "answered_only", "abandons_count_against"),
    ),
    OptionSpec("call_fcr_days", 7, "Window (days) of call_fcr_rate."),
    OptionSpec(
        "handling_states",
        ("handling", "after_call_work"),
        "agent_activity states that count as handling time.",
    ),
    OptionSpec(
        "available_states",
        ("available",),
        "agent_activity states that count as available (idle) time.",
    ),
    OptionSpec(
        "logged_out_states", ("offline",), "agent_activity states that are not logged-in time."
    ),
    OptionSpec("csat_scale_max", 5.0, "Top of the CSAT scale (5 or 10).", minimum=2),
    OptionSpec("csat_satisfied_min", 4.0, "Lowest CSAT score that counts as satisfied."),
    OptionSpec("ces_scale_max", 5.0, "Top of the CES scale (5 or 7).", minimum=2),
    OptionSpec(
        "ces_higher_is",
        "harder",
        "CES direction: a higher score means harder or easier.",
        ("harder", "easier"),
    ),
    OptionSpec(
        "sentiment_threshold",
        -0.5,
        "Customer messages with a sentiment below this are angry.",
        minimum=-1,
        maximum=1,
    ),
    OptionSpec("conversion_days", 7, "Window (days) of conversion_rate."),
    OptionSpec("self_service_hours", 24, "Window (hours) of self_service_success_rate."),
)
SPECS_BY_NAME = {spec.name: spec for spec in OPTION_SPECS}


@dataclass(frozen=True)
class Options:
    """Option values; every field defaults as declared in ``OPTION_SPECS``."""

    fcr: str = "one_touch"
    repeat_contact_days: int = 7
    include_bots: bool = False
    short_abandon_s: float = 5.0
    service_level_s: float = 20.0
    service_level_variant: str = "default"
    call_fcr_days: int = 7
    handling_states: tuple[str, ...] = ("handling", "after_call_work")
    available_states: tuple[str, ...] = ("available",)
    logged_out_states: tuple[str, ...] = ("offline",)
    csat_scale_max: float = 5.0
    csat_satisfied_min: float = 4.0
    ces_scale_max: float = 5.0
    ces_higher_is: str = "harder"
    sentiment_threshold: float = -0.5
    conversion_days: int = 7
    self_service_hours: int = 24

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> Options:
        """Build options from a dict, listing every problem at once."""
        given = dict(values or {})
        problems: list[str] = []
        clean: dict[str, Any] = {}
        for key, value in given.items():
            spec = SPECS_BY_NAME.get(key)
            if spec is None:
                problems.append(f"options.{key}: unknown option")
                continue
            problem = _check(spec, value)
            if problem:
                problems.append(f"options.{key}: {problem}")
            else:
                clean[key] = tuple(value) if isinstance(spec.default, tuple) else value
        if problems:
            raise ConfigError("invalid options", problems)
        return cls(**clean)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check(spec: OptionSpec, value: Any) -> str | None:
    default = spec.default
    if isinstance(default, bool):
        return None if isinstance(value, bool) else "must be true or false"
    if isinstance(default, tuple):
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return None if ok else "must be a list of names"
    if isinstance(default, str):
        if spec.choices and value not in spec.choices:
            return f"{value!r} is not one of {', '.join(spec.choices)}"
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "must be a number"
    if spec.minimum is not None and value < spec.minimum:
        return f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return f"must be at most {spec.maximum:g}"
    return None
