"""The TOML configuration file (SPEC §7): see :mod:`supportkpi.config.settings`."""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "load_settings"]


def __getattr__(name: str) -> Any:
    # Imported lazily: settings imports the SLA and calendar layers, which import
    # config.durations; an eager import here would be circular.
    if name in __all__:
        from supportkpi.config import settings

        return getattr(settings, name)
    raise AttributeError(name)
