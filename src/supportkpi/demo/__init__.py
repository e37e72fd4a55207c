"""A realistic, seeded synthetic support operation for every canonical table.

>>> from supportkpi.store import Store
>>> from supportkpi import demo
>>> counts = demo.generate(Store(":memory:"), tickets=100, seed=demo.DEFAULT_SEED)
>>> counts["tickets"], counts["ticket_events"] > counts["tickets"]
(100, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportkpi.demo.parameters import (
    DEFAULT_END,
    DEFAULT_SEED,
    DEFAULT_TICKETS,
    DEMO_TIMEZONE,
    MAX_TICKETS,
    WINDOW_MONTHS,
)

if TYPE_CHECKING:
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

#: Names of :mod:`supportkpi.demo.generator`, imported on first use: the generator pulls in
#: numpy, pyarrow and VADER, which the CLI must not pay for just to show ``demo --help``.
_GENERATOR_NAMES = frozenset(
    (
        "DEMO_FILE_NAME",
        "STEP_COUNT",
        "Progress",
        "build_tables",
        "check_arguments",
        "content_hash",
        "generate",
        "load_demo",
    )
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


def __getattr__(name: str) -> Any:
    if name in _GENERATOR_NAMES:
        from supportkpi.demo import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
