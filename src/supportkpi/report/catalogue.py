"""``docs/metrics.md``, generated from the registry (`supportkpi metrics --markdown`)."""

from __future__ import annotations

from itertools import groupby

from supportkpi.metrics.registry import FAMILY_MODULES, Metric, all_metrics

HEADER = """# KPI catalogue

Generated from the metric registry by `supportkpi metrics --markdown`; do not edit by hand.
Durations are seconds (default statistic: median), rates are fractions in [0, 1] with a 95%
Wilson interval, and every result carries `n`. See `docs/ticket-kpis.md` for the exact ticket
semantics.

**Notes.** A KPI *needs* some kind of input (listed under each definition). When the whole
source has none of it — no message events for a reply KPI, no surveys of its kind, no calls —
the KPI is not computed: its one row has `value: null`, `n: 0` and a `note` saying what is
missing (`"no message events in the data"`), whatever the grain or breakdown. A range or filter
that selects no rows is an ordinary empty result and has no note. A few KPIs also note why a
computed value is null (CLV when nobody churned).

**Per-metric errors.** `supportkpi kpi` and `GET /api/kpi` compute every metric they can: one
that cannot be computed (`sla_compliance` without `[[sla]]` policies) is reported in `errors`
as `{"metric", "error", "status"}` next to the other metrics' `rows` (the CLI also prints it on
stderr and exits with 2). When no requested metric can be computed, the answer is that error.
"""


def catalogue_markdown() -> str:
    """The catalogue as Markdown, one section per family."""
    lines = [HEADER]
    registered = all_metrics()
    order = {m.id: i for i, m in enumerate(registered)}

    def reading_order(m: Metric) -> tuple[str, int, int]:
        # Registration order depends on which module was imported first; the family module
        # list does not, so the page is the same whoever generates it.
        module = m.build.__module__
        rank = FAMILY_MODULES.index(module) if module in FAMILY_MODULES else len(FAMILY_MODULES)
        return (m.family, rank, order[m.id])

    metrics = sorted(registered, key=reading_order)
    for family, members in groupby(metrics, key=lambda m: m.family):
        lines.append(f"## {family}\n")
        lines.append("| id | title | unit | kind | good | definition | seeds |")
        lines.append("|---|---|---|---|---|---|---|")
        for m in members:
            stat = f" (default `{m.default_stat}`)" if m.default_stat else ""
            options = f" Options: {', '.join(f'`{o}`' for o in m.options)}." if m.options else ""
            needs = f" Needs: {'; '.join(b.what for b in m.needs)}." if m.needs else ""
            lines.append(
                f"| `{m.id}` | {m.title} | {m.unit}{stat} | {m.kind} | {m.good or ''} | "
                f"{m.definition}{options}{needs} | {', '.join(m.seeds)} |"
            )
        lines.append("")
    return "\n".join(lines)
