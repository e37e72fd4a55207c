"""Suite-wide test settings.

The suite runs on two pytest-xdist workers (`scripts/test.sh`). Every Spark test goes to one
of them (``--dist loadgroup``): a Spark session, or a Spark Connect server, is a JVM of a
few GB, and one is enough. Every other test goes with its module, so that a module's fixtures
(demo stores, a crawled dashboard) are built once, not once per worker.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(trylast=True)  # after the folders' own hooks have marked their tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("spark") or item.get_closest_marker("spark_connect"):
            item.add_marker(pytest.mark.xdist_group("spark"))
        else:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
