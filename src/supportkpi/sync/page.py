"""One page of a help desk's export, as every connector hands it to the sync."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One response page: its records, and the cursor that follows it once it is stored."""

    stream: str
    number: int
    records: list[dict[str, Any]]
    cursor: str
    #: How far the page reaches (unix seconds), for the progress bar; None when it cannot say.
    reached: float | None
    #: Records fetched alongside, by kind (Freshdesk: each ticket's conversations).
    extra: tuple[dict[str, Any], ...] = ()
