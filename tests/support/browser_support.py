"""Helpers of the browser tests: a watched page and screenshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


@dataclass
class Watched:
    """A page and what went wrong on it: console errors, exceptions, outside requests."""

    page: Any
    base: str
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path, wait_until="networkidle", timeout=90_000)
        wait_for_charts(self.page)


def wait_for_charts(page: Any) -> None:
    """Until every chart box holds a drawn SVG (or says why it could not draw)."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.vega[data-spec]'))
                 .every(box => box.querySelector('svg') || box.querySelector('.chart-error'))""",
        timeout=30_000,
    )


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ``artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
