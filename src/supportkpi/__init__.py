"""supportkpi: customer-service KPIs with exact, documented definitions.

>>> import supportkpi
>>> supportkpi.__version__
'0.1.0'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from supportkpi.api import Connection


def connect(source: str, engine: str = "duckdb", **options: Any) -> Connection:
    """Open a ``.duckdb`` file or a folder of ``<table>.parquet`` files for KPI queries."""
    from supportkpi.api import Connection

    return Connection(source, engine=engine, **options)


__all__ = ["__version__", "connect"]
