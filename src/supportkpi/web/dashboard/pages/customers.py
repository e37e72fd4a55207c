"""stub"""

from __future__ import annotations

from supportkpi.web.dashboard.context import PageContext
from supportkpi.web.dashboard.model import PageView


def build(ctx: PageContext) -> PageView:
    return PageView("customers", "customers")
