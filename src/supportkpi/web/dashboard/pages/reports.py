"""Reports: the config's schedules and alert rules, their next runs, the last runs and their
outcome (from the store's run history), and a preview of each scheduled report.

The page shows what the config and the store say; it sends nothing. Addresses are shown as
the config names them (``email:ADDRESS``, ``webhook:NAME``): a webhook's URL is a secret
(its path is the key), so it never appears, not even inside a recorded error line.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from supportkpi.calendar.cron import next_runs
from supportkpi.config.alerts import AlertRule
from supportkpi.config.reporting import DeliverySettings, Schedule
from supportkpi.engine.periods import zone
from supportkpi.metrics.registry import Unit
from supportkpi.report.format import format_value
from supportkpi.store import run_history
from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import Column, EmptyState, PageView, Section, Table
from supportkpi.web.dashboard.pages.common import csv_url

RUNS_SHOWN = 50
DOCS = "docs/reports.md"


def build(ctx: PageContext) -> PageView:
    view = PageView("reports", "Reports")
    settings = ctx.settings
    now = datetime.now(UTC)
    con = ctx.reader.store.con
    runs = run_history.deliveries(con, newest_first=True, limit=RUNS_SHOWN)
    last = _last_runs(con, [s.name for s in settings.schedules])
    if settings.schedules or settings.alerts:
        view.sections.append(_schedules(ctx, settings.schedules, last, now))
        view.sections.append(_alerts(ctx, settings.alerts, run_history.alert_states(con), now))
    else:
        view.sections.append(
            Section(
                "Schedules and alerts",
                id="setup",
                empty=EmptyState(
                    "The config has no [[schedule]] or [[alert]], so nothing is sent. Add a "
                    f"schedule (a report by e-mail or webhook) or an alert rule as {DOCS} "
                    "shows, then serve the dashboard with that config:",
                    f"supportkpi serve --db {ctx.db_path} --config kpi.toml",
                    action="Then run",
                ),
            )
        )
    view.sections.append(_runs(ctx, runs, settings.delivery))
    return view


def _last_runs(con: Any, names: list[str]) -> dict[str, str]:
    """``name -> "2026-10-19 06:00 UTC: 1 of 2 sent"``: each schedule's latest recorded run
    (its rows share one ``ran_at``: one per address)."""
    out = {}
    for name in names:
        rows = run_history.deliveries(con, name, newest_first=True, limit=RUNS_SHOWN)
        if not rows:
            continue
        latest = [r for r in rows if r["ran_at"] == rows[0]["ran_at"]]
        statuses = {r["status"] for r in latest}
        sent = sum(r["status"] == "sent" for r in latest)
        outcome = statuses.pop() if len(statuses) == 1 else f"{sent} of {len(latest)} sent"
        out[name] = f"{_utc(rows[0]['ran_at']):%Y-%m-%d %H:%M} UTC: {outcome}"
    return out


def _schedules(
    ctx: PageContext, schedules: tuple[Schedule, ...], last: dict[str, str], now: datetime
) -> Section:
    section = Section(
        "Scheduled reports",
        id="schedules",
        intro=(
            "Each [[schedule]] of the config, in its own timezone. A preview builds the report "
            "its next run would send, from this store, as of now (or as of the day after the "
            "data's end); it sends nothing. The filters above do not apply here."
        ),
    )
    if not schedules:
        section.empty = EmptyState(
            f"No [[schedule]] in the config: reports are not sent ({DOCS}, Schedules).",
        )
        return section
    columns = [
        Column("name", "schedule"),
        Column("cron", "cron"),
        Column("timezone", "timezone"),
        Column("report", "report"),
        Column("next_run", "next run"),
        Column("last_run", "last run"),
        Column("to", "recipients"),
        Column("preview", "preview"),
    ]
    # A store whose data ends days ago (a demo, an old export) previews empty periods as of
    # now; a second link previews the periods that end with its data.
    data_end = _data_end(ctx, now)
    if data_end is not None:
        columns.append(Column("preview_data", "at the data's end"))
    rows, links = [], {}
    for index, s in enumerate(schedules):
        spec = s.report
        rows.append(
            {
                "name": s.name,
                "cron": s.cron,
                "timezone": s.timezone,
                "report": spec.period + (f" by {spec.by}" if spec.by else "") + f", {spec.format}",
                "next_run": _when(next_runs(s.cron, s.timezone, now)[0]),
                "last_run": last.get(s.name, "never"),
                "to": recipients(s.to),
                "preview": "preview",
            }
        )
        if s.sync:  # it syncs a source (docs/connectors.md): no report, nothing to preview
            rows[-1].update(report=f"sync [sources.{s.sync}]", to="–", preview="–")
            continue
        links[(index, "preview")] = preview_url(s.name)
        if data_end is not None:
            rows[-1]["preview_data"] = f"as of {data_end.isoformat()}"
            links[(index, "preview_data")] = f"{preview_url(s.name)}?as_of={data_end}"
    section.tables = [
        Table("schedules", "Schedules", columns, rows, links, csv_url=csv_url(ctx, "schedules"))
    ]
    if not ctx.facts.has("tickets"):
        section.notes.append("No tickets are loaded yet, so every report would be empty.")
    return section


def _alerts(
    ctx: PageContext,
    alerts: tuple[AlertRule, ...],
    states: dict[str, run_history.AlertState],
    now: datetime,
) -> Section:
    section = Section(
        "Alert rules",
        id="alerts",
        intro=(
            "Each [[alert]] and its state in the store: an alert is sent once when it starts "
            "firing and once when it recovers."
        ),
    )
    if not alerts:
        section.empty = EmptyState(f"No [[alert]] in the config ({DOCS}, Alerts).")
        return section
    columns = [
        Column("name", "alert"),
        Column("rule", "rule"),
        Column("kpi", "KPI"),
        Column("condition", "condition"),
        Column("next_check", "next check"),
        Column("state", "state"),
        Column("since", "since", "datetime"),
        Column("summary", "last finding"),
        Column("to", "recipients"),
    ]
    rows = []
    for a in alerts:
        state = states.get(a.name)
        rows.append(
            {
                "name": a.name,
                "rule": a.rule,
                "kpi": a.kpi,
                "condition": condition(a),
                "next_check": _when(next_runs(a.cron, a.timezone, now)[0]),
                "state": state.state if state else "not checked yet",
                "since": _utc(state.since) if state else None,
                "summary": state.summary if state else None,
                "to": recipients(a.to),
            }
        )
    section.tables = [Table("alerts", "Alert rules", columns, rows, csv_url=csv_url(ctx, "alerts"))]
    return section


def _runs(ctx: PageContext, runs: list[dict[str, Any]], delivery: DeliverySettings) -> Section:
    section = Section(
        "Last runs",
        id="runs",
        intro=(
            f"The latest {RUNS_SHOWN} deliveries recorded in the store, newest first: one row "
            "per address per run. A failed delivery is never recorded as sent."
        ),
    )
    if not runs:
        section.empty = EmptyState(
            "Nothing has run on this store yet. Send one schedule now with",
            f"supportkpi schedule once NAME --db {ctx.db_path} --config kpi.toml",
            action="For example:",
        )
        return section
    columns = [
        Column("ran_at", "when", "datetime"),
        Column("job", "schedule or alert"),
        Column("kind", "kind"),
        Column("due_at", "due", "datetime"),
        Column("target", "to"),
        Column("status", "outcome"),
        Column("detail", "error"),
    ]
    rows = [
        {
            **run,
            "ran_at": _utc(run["ran_at"]),
            "due_at": _utc(run["due_at"]),
            "target": without_secrets(str(run["target"]), delivery),
            "detail": None if run["detail"] is None else without_secrets(run["detail"], delivery),
        }
        for run in runs
    ]
    section.tables = [Table("runs", "Deliveries", columns, rows, csv_url=csv_url(ctx, "runs"))]
    return section


def _data_end(ctx: PageContext, now: datetime) -> date | None:
    """The day after the data's last day, if the data ends before yesterday (else ``None``)."""
    if not ctx.facts.has_dates:
        return None
    after = ctx.facts.last_day + timedelta(days=1)
    today = now.astimezone(zone(ctx.settings.timezone)).date()
    return after if after < today else None


def preview_url(name: str) -> str:
    return f"/reports/preview/{quote(name, safe='')}"


def recipients(to: tuple[str, ...]) -> str:
    """``email:ADDRESS`` and ``webhook:NAME`` as the config names them (never a URL)."""
    shown = []
    for entry in to:
        channel, _, target = entry.partition(":")
        shown.append(f"{channel}:{target}" if channel in ("email", "webhook") else "(unknown)")
    return ", ".join(shown)


def without_secrets(text: str, delivery: DeliverySettings) -> str:
    """``text`` with every configured webhook URL replaced by its name."""
    for hook in delivery.webhooks.values():
        text = text.replace(hook.url, f"webhook:{hook.name}")
    return text


def condition(alert: AlertRule) -> str:
    """What makes ``alert`` fire, in words."""
    if alert.rule == "target_missed":
        return f"its [targets] bound fails over {alert.period}"
    if alert.rule == "significant_change":
        return f"{alert.direction} at 95% over {alert.period} against the one before"
    if alert.rule == "sla_at_risk":
        horizon = format_value(alert.horizon_s, Unit.SECONDS)
        return f"more than {alert.above} SLA targets due within {horizon}"
    if alert.rule == "stale_data":
        return f"no load for {alert.hours:g} hours"
    return alert.rule


def _when(instant: datetime) -> str:
    return f"{instant:%a %Y-%m-%d %H:%M %Z}"


def _utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value
