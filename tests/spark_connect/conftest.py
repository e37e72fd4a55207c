"""A real Spark Connect server for the tests in this folder, started from the installed pyspark.

The server runs in another JVM on a free local port, for the whole test session, with a session
timezone and a JVM timezone that are not UTC: results must not depend on either (SPEC §1).
Without Java (or without the Connect client) every test here is skipped.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Not UTC, and with DST: a query that leaned on the session's zone would shift its buckets.
SERVER_TZ = "America/New_York"


@dataclass(frozen=True)
class ConnectServer:
    url: str
    warehouse: Path  # where saveAsTable writes the server's catalog tables


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.spark)
            item.add_marker(pytest.mark.spark_connect)


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConnectServer]:
    if shutil.which("java") is None:
        pytest.skip("Spark Connect needs Java 17")
    if importlib.util.find_spec("grpc") is None:
        pytest.skip("the Spark Connect client needs `pip install supportkpi[spark]`")
    from supportkpi.engine.spark_server import free_port, start_server, stop_server

    root = tmp_path_factory.mktemp("spark-connect")
    port = free_port()
    conf = {
        "spark.sql.session.timeZone": SERVER_TZ,
        "spark.sql.warehouse.dir": str(root / "warehouse"),
    }
    process = start_server(port, root / "server.log", conf=conf, env={"TZ": SERVER_TZ})
    try:
        yield ConnectServer(f"sc://127.0.0.1:{port}", root / "warehouse")
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def connect_url(connect_server: ConnectServer) -> str:
    return connect_server.url
