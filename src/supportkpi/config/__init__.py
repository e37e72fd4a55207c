"""The TOML configuration file (SPEC §7): see :mod:`supportkpi.config.settings`."""

from supportkpi.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
