"""The Python API: one core object over a source, with thin methods.

>>> import supportkpi
>>> con = supportkpi.connect("demo.duckdb")                      # doctest: +SKIP
>>> con.kpi(["first_response_time", "fcr_rate"], grain="month")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from supportkpi.query.session import Session


class Connection(Session):
    """An open source (``.duckdb`` file or Parquet folder) on an engine: :class:`Session`'s
    requests, plus the Arrow form of the results (SPEC §6: "Arrow/pandas tables")."""

    def kpi_arrow(self, *args: Any, **kwargs: Any) -> pa.Table:
        """:meth:`kpi` as an Arrow table."""
        return pa.Table.from_pandas(self.kpi(*args, **kwargs), preserve_index=False)
