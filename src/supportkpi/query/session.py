"""A session: one open source with its settings, and the requests made on it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from supportkpi.config.settings import Settings, load_settings
from supportkpi.engine.backends import Backend, open_backend
from supportkpi.engine.periods import parse_date
from supportkpi.metrics.options import Options
from supportkpi.query.drilldown import Page, rows_behind
from supportkpi.query.request import KpiRequest
from supportkpi.query.runner import run_kpi


class Session:
    """An open source (``.duckdb`` file or Parquet folder) on an engine, with its settings.

    The settings give the defaults of every request (timezone, options, business calendar, SLA
    policies); the report layer and the front ends build on a session.
    """

    def __init__(
        self,
        source: str,
        engine: str = "duckdb",
        options: Mapping[str, Any] | None = None,
        tz: str | None = None,
        config: str | Path | Settings | None = None,
    ) -> None:
        self.source = str(source)
        self.engine = engine
        self.settings = config if isinstance(config, Settings) else load_settings(config)
        merged = {**self.settings.options.as_dict(), **dict(options or {})}
        self.default_options = Options.from_mapping(merged)
        self.default_tz = tz or self.settings.timezone
        self.backend: Backend = open_backend(self.source, engine, self.settings.spark)

    def kpi(
        self,
        metrics: Sequence[str] | str,
        start: str | date | None = None,
        end: str | date | None = None,
        grain: str | None = None,
        by: Sequence[str] | str = (),
        where: Mapping[str, Sequence[str] | str] | None = None,
        tz: str | None = None,
        cohort: str = "event",
        business_hours: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Compute KPIs; one row per metric, period and dimension value (see SPEC §6)."""
        query = self.query(
            metrics, start, end, grain, by, where, tz, cohort, business_hours, options
        )
        return run_kpi(self.backend, query)

    def query(
        self,
        metrics: Sequence[str] | str,
        start: str | date | None = None,
        end: str | date | None = None,
        grain: str | None = None,
        by: Sequence[str] | str = (),
        where: Mapping[str, Sequence[str] | str] | None = None,
        tz: str | None = None,
        cohort: str = "event",
        business_hours: bool = False,
        options: Mapping[str, Any] | None = None,
    ) -> KpiRequest:
        """Build and validate a :class:`KpiRequest` from loose arguments."""
        merged = {**self.default_options.as_dict(), **dict(options or {})}
        query = KpiRequest(
            metrics=[metrics] if isinstance(metrics, str) else list(metrics),
            start=parse_date(start, "from"),
            end=parse_date(end, "to"),
            grain=grain or None,
            by=[by] if isinstance(by, str) else list(by),
            where={k: [v] if isinstance(v, str) else list(v) for k, v in (where or {}).items()},
            tz=tz or self.default_tz,
            cohort=cohort,
            business_hours=business_hours,
            calendar=self.settings.business_hours,
            sla_policies=self.settings.sla,
            options=Options.from_mapping(merged),
        )
        query.validate()
        return query

    def rows_behind(
        self,
        metric: str,
        period: str | date | None = None,
        page: int = 1,
        page_size: int = 50,
        **query: Any,
    ) -> Page:
        """The items (tickets, ...) behind one KPI value; ``query`` takes :meth:`kpi`'s filters."""
        q = self.query([metric], **query)
        return rows_behind(self.backend, q, parse_date(period, "period"), page, page_size)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
