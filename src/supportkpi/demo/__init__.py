"""A realistic, seeded synthetic support operation for every canonical table.

>>> from supportkpi.store import Store
>>> from supportkpi import demo
>>> counts = demo.generate(Store(":memory:"), tickets=100, seed=demo.DEFAULT_SEED)
>>> counts["tickets"], counts["ticket_events"] > counts["tickets"]
(100, True)
"""

from supportkpi.demo.generator import (
    DEMO_FILE_NAME,
    STEP_COUNT,
    Progress,
    build_tables,
    check_arguments,
    content_hash,
    generate,
    load_demo,
)
from supportkpi.demo.parameters import (
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DEMO_TIMEZONE,
    MAX_TICKETS,
    WINDOW_MONTHS,
)

__all__ = [
    "DEFAULT_END",
    "DEFAULT_SEED",
    "DEFAULT_TICKETS",
    "DEMO_FILE_NAME",
    "DEMO_TIMEZONE",
    "MAX_TICKETS",
    "STEP_COUNT",
    "WINDOW_MONTHS",
    "Progress",
    "build_tables",
    "check_arguments",
    "content_hash",
    "generate",
    "load_demo",
]
