"""Suite-wide test settings.

The suite runs on two pytest-xdist workers (`scripts/test.sh`). Every Spark test goes to one
of them (``--dist loadgroup``): a Spark session, or a Spark Connect server, is a JVM of a
few GB, and one of each is enough. Every other test goes with its module, so that a module's
fixtures (demo stores, a crawled dashboard) are built once, not once per worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CONNECT_TESTS = Path(__file__).parent / "spark_connect"


# tryfirst: xdist reads the groups in its own collection hook, which runs before any
# trylast one; so the Connect folder is recognised by its path here, before its conftest
# marks its tests.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        on_spark = item.get_closest_marker("spark") or CONNECT_TESTS in item.path.parents
        group = "spark" if on_spark else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
