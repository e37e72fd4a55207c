"""``docs/metrics.md``, generated from the registry (`supportkpi metrics --markdown`)."""

from __future__ import annotations

from itertools import groupby

from supportkpi.metrics.registry import FAMILY_MODULES, Metric, all_metrics

HEADER = """# KPI catalogue

Generated from the metric registry by `supportkpi metrics --markdown`; do not edit by hand.
Durations are seconds (default statistic: median), rates are fractions in [0, 1] with a 95%
Wilson interval, and every result carries `n`. See `docs/ticket-kpis.md` for the exact ticket
semantics.
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
            lines.append(
                f"| `{m.id}` | {m.title} | {m.unit}{stat} | {m.kind} | {m.good or ''} | "
                f"{m.definition}{options} | {', '.join(m.seeds)} |"
            )
        lines.append("")
    return "\n".join(lines)
