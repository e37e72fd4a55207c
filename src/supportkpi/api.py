"""The Python API: one core object over a source, with thin methods.

>>> import supportkpi
>>> con = supportkpi.connect("demo.duckdb")                      # doctest: +SKIP
>>> con.kpi(["first_response_time", "fcr_rate"], grain="month")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from supportkpi.config.settings import Settings, load_settings
from supportkpi.engine.backends import Backend, open_backend
from supportkpi.engine.drilldown import Page, rows_behind
from supportkpi.engine.periods import parse_date
from supportkpi.engine.query import KpiQuery, run_kpi
from supportkpi.metrics.options import Options


class Connection:
    """An open source (``.duckdb`` file or Parquet folder) on an engine."""

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
        self.backend: Backend = open_backend(self.source, engine)

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

    def kpi_arrow(self, *args: Any, **kwargs: Any) -> pa.Table:
        """:meth:`kpi` as an Arrow table."""
        return pa.Table.from_pandas(self.kpi(*args, **kwargs), preserve_index=False)

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
    ) -> KpiQuery:
        """Build and validate a :class:`KpiQuery` from loose arguments."""
        merged = {**self.default_options.as_dict(), **dict(options or {})}
        query = KpiQuery(
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

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
