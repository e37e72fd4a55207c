"""The TOML configuration file (SPEC §7)."""

from supportkpi.config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
