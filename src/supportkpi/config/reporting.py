"""Scheduled reports in the config (issue 16): ``[delivery]`` and ``[[schedule]]``; the
``[[alert]]`` rules are in :mod:`supportkpi.config.alerts`.

A schedule either sends a report or, with ``sync = "NAME"``, syncs a ``[sources.NAME]`` of
the same config (issue 18). Each parser appends every problem it finds (``key: reason``) and
never raises, like the other sections of :mod:`supportkpi.config.settings`. Secrets never
live in the file: the SMTP password is read from the environment variable named by
``password_env`` when a mail is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from croniter import croniter

from supportkpi.engine.periods import zone
from supportkpi.errors import SupportKpiError

PERIODS = ("last-day", "last-week", "last-month", "last-quarter")
SECURITY = ("starttls", "ssl", "none")
WEBHOOK_KINDS = ("slack", "json")
MISSED = ("run-once", "skip")


@dataclass(frozen=True)
class EmailSettings:
    """``[delivery.email]``: an SMTP server and the sender."""

    host: str
    port: int
    sender: str
    security: str = "starttls"
    user: str | None = None
    password_env: str | None = None
    timeout_s: float = 20.0


@dataclass(frozen=True)
class WebhookSettings:
    """``[delivery.webhooks.NAME]``: a Slack-compatible incoming webhook or a JSON endpoint."""

    name: str
    url: str
    kind: str = "json"
    timeout_s: float = 10.0


@dataclass(frozen=True)
class DeliverySettings:
    """``[delivery]``: the channels, retries, and the dashboard that alerts link to."""

    email: EmailSettings | None = None
    webhooks: dict[str, WebhookSettings] = field(default_factory=dict)
    attempts: int = 3
    backoff_s: float = 1.0
    dashboard_url: str | None = None


@dataclass(frozen=True)
class ReportSpec:
    """What a scheduled report holds: ``report = {period = "last-week", by = "team", ...}``."""

    period: str = "last-week"
    by: str | None = None
    format: str = "html"


@dataclass(frozen=True)
class Schedule:
    """``[[schedule]]``: a report sent, or a source synced, on a cron schedule in a timezone."""

    name: str
    cron: str
    timezone: str
    report: ReportSpec
    to: tuple[str, ...]
    missed: str = "run-once"  # after downtime: send the last missed run once, or skip it
    #: The ``[sources.NAME]`` this schedule syncs; None for a report (then ``report``, ``to``).
    #: A sync schedule has no recipients and no ``missed``: a sync catches up from its cursor.
    sync: str | None = None


def parse_delivery(section: Any, problems: list[str]) -> DeliverySettings:
    if section is None:
        return DeliverySettings()
    if not isinstance(section, dict):
        problems.append("delivery: must be a table")
        return DeliverySettings()
    known = ("email", "webhooks", "attempts", "backoff", "dashboard_url")
    problems += [f"delivery.{k}: unknown setting" for k in section if k not in known]
    email = _email(section.get("email"), problems)
    hooks: dict[str, WebhookSettings] = {}
    raw_hooks = section.get("webhooks", {})
    if not isinstance(raw_hooks, dict):
        problems.append("delivery.webhooks: must be a table of named webhooks")
        raw_hooks = {}
    for name, hook in raw_hooks.items():
        where = f"delivery.webhooks.{name}"
        if not isinstance(hook, dict) or not str(hook.get("url", "")).startswith(
            ("http://", "https://")
        ):
            problems.append(f'{where}: needs url = "https://..."')
            continue
        kind = str(hook.get("kind", "json"))
        if kind not in WEBHOOK_KINDS:
            problems.append(f"{where}.kind: {kind!r} is not slack or json")
        problems += [
            f"{where}.{k}: unknown setting" for k in hook if k not in ("url", "kind", "timeout")
        ]
        timeout = positive_number(hook.get("timeout", 10), f"{where}.timeout", problems)
        hooks[name] = WebhookSettings(name, str(hook["url"]), kind, timeout)
    attempts = section.get("attempts", 3)
    if not isinstance(attempts, int) or not 1 <= attempts <= 10:
        problems.append("delivery.attempts: must be a whole number from 1 to 10")
        attempts = 3
    backoff = positive_number(section.get("backoff", 1.0), "delivery.backoff", problems, zero=True)
    url = section.get("dashboard_url")
    return DeliverySettings(email, hooks, attempts, backoff, None if url is None else str(url))


def _email(raw: Any, problems: list[str]) -> EmailSettings | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("delivery.email: must be a table")
        return None
    known = ("host", "port", "from", "security", "user", "password_env", "password", "timeout")
    problems += [f"delivery.email.{k}: unknown setting" for k in raw if k not in known]
    if "password" in raw:
        problems.append(
            "delivery.email.password: never put the password in the file; "
            "name an environment variable with password_env"
        )
    for key in ("host", "from"):
        if not raw.get(key):
            problems.append(f"delivery.email.{key}: required")
    security = str(raw.get("security", "starttls"))
    if security not in SECURITY:
        problems.append(f"delivery.email.security: {security!r} is not starttls, ssl or none")
    port = raw.get("port", {"ssl": 465, "none": 25}.get(security, 587))
    if not isinstance(port, int) or not 0 < port < 65536:
        problems.append("delivery.email.port: must be a port number")
        port = 587
    timeout = positive_number(raw.get("timeout", 20), "delivery.email.timeout", problems)
    user, password_env = raw.get("user"), raw.get("password_env")
    if user and not password_env:
        problems.append("delivery.email.password_env: required when user is set")
    return EmailSettings(
        str(raw.get("host", "")),
        port,
        str(raw.get("from", "")),
        security,
        None if user is None else str(user),
        None if password_env is None else str(password_env),
        timeout,
    )


def parse_schedules(
    section: Any,
    delivery: DeliverySettings,
    problems: list[str],
    default_tz: str = "UTC",
    sources: Any = None,
) -> list[Schedule]:
    """``[[schedule]]`` entries; a schedule without ``timezone`` runs in the config's.

    ``sources`` is the config's ``[sources]`` table, which a ``sync = "NAME"`` must name.
    """
    out = []
    for where, raw in entries("schedule", section, problems):
        known = ("name", "cron", "timezone", "report", "to", "missed", "sync")
        problems += [f"{where}.{k}: unknown setting" for k in raw if k not in known]
        name = str(raw.get("name") or "")
        if not name:
            problems.append(f"{where}.name: required")
        cron = cron_field(raw.get("cron"), f"{where}.cron", problems)
        tz = timezone_field(raw.get("timezone", default_tz), f"{where}.timezone", problems)
        if "sync" in raw or "report" not in raw:
            sync = _sync_entry(raw, where, sources, problems)
            out.append(Schedule(name, cron, tz, ReportSpec(), (), sync=sync))
            continue
        report = _report(raw["report"], f"{where}.report", problems)
        to = recipients_field(raw.get("to"), f"{where}.to", delivery, problems)
        missed = str(raw.get("missed", "run-once"))
        if missed not in MISSED:
            problems.append(f"{where}.missed: {missed!r} is not run-once or skip")
        out.append(Schedule(name, cron, tz, report, to, missed))
    unique_names("schedule", [s.name for s in out], problems)
    return out


def _sync_entry(raw: dict[str, Any], where: str, sources: Any, problems: list[str]) -> str:
    """The source a schedule syncs; each problem of a schedule that is not one report."""
    if "sync" not in raw:
        problems.append(
            f'{where}: needs report = {{period = "last-week"}} (a report to send) '
            'or sync = "NAME" (a [sources.NAME] to sync)'
        )
        return ""
    if "report" in raw:
        problems.append(f"{where}: has both report and sync; a schedule does one of them")
    names = sorted(sources) if isinstance(sources, dict) else []
    value = raw["sync"]
    if not isinstance(value, str) or value not in names:
        known = ", ".join(names) or "none"
        problems.append(
            f"{where}.sync: no [sources.{value}] in the config (its sources: {known})"
            if isinstance(value, str)
            else f'{where}.sync: must name a source, like sync = "zd"'
        )
    if "report" not in raw:  # the settings of a report that a sync has no use for
        reasons = {"to": "a sync sends nothing", "missed": "a sync catches up from its cursor"}
        problems += [f"{where}.{k}: {why}; leave it out" for k, why in reasons.items() if k in raw]
    return str(value)


def entries(key: str, section: Any, problems: list[str]) -> list[tuple[str, dict[str, Any]]]:
    if section is None:
        return []
    if not isinstance(section, list) or not all(isinstance(e, dict) for e in section):
        problems.append(f"{key}: write each entry as [[{key}]]")
        return []
    return [(f"{key}[{i}]", entry) for i, entry in enumerate(section)]


def unique_names(key: str, names: list[str], problems: list[str]) -> None:
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append(f"{key}: the name {name!r} is used twice")


def cron_field(value: Any, where: str, problems: list[str]) -> str:
    text = str(value or "")
    if not text or not croniter.is_valid(text):
        problems.append(f"{where}: {text!r} is not a cron expression like '0 8 * * MON'")
    return text


def timezone_field(value: Any, where: str, problems: list[str]) -> str:
    try:
        zone(str(value))
    except SupportKpiError:
        problems.append(f"{where}: unknown timezone {value!r}")
        return "UTC"
    return str(value)


def _report(raw: Any, where: str, problems: list[str]) -> ReportSpec:
    if not isinstance(raw, dict):
        problems.append(f'{where}: must be a table like {{period = "last-week"}}')
        return ReportSpec()
    problems += [
        f"{where}.{k}: unknown setting" for k in raw if k not in ("period", "by", "format")
    ]
    spec = ReportSpec(
        str(raw.get("period", "last-week")), raw.get("by"), str(raw.get("format", "html"))
    )
    if spec.period not in PERIODS:
        problems.append(f"{where}.period: {spec.period!r} is not one of {', '.join(PERIODS)}")
    if spec.format not in ("html", "pdf", "markdown", "json"):
        problems.append(f"{where}.format: {spec.format!r} is not html, pdf, markdown or json")
    return spec


def recipients_field(
    value: Any, where: str, delivery: DeliverySettings, problems: list[str]
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problems.append(f'{where}: list at least one of "email:ADDRESS" or "webhook:NAME"')
        return ()
    for entry in map(str, value):
        channel, _, target = entry.partition(":")
        if channel == "email" and "@" in target:
            if delivery.email is None:
                problems.append(f"{where}: {entry!r} needs a [delivery.email] section")
        elif channel == "webhook" and target:
            if target not in delivery.webhooks:
                problems.append(f"{where}: no [delivery.webhooks.{target}] for {entry!r}")
        else:
            problems.append(f'{where}: {entry!r} is not "email:ADDRESS" or "webhook:NAME"')
    return tuple(map(str, value))


def positive_number(value: Any, where: str, problems: list[str], zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        problems.append(f"{where}: must be a positive number")
        return 1.0
    if value == 0 and not zero:
        problems.append(f"{where}: must be more than 0")
        return 1.0
    return float(value)
