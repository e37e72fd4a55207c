"""The profiles, found once: every module of this package that is not ``base``, ``runner``
or private (``_name``) exposes one ``PROFILE``; adding a profile is adding a module."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from supportkpi.errors import InputError
from supportkpi.ingest.profiles.base import Profile

_PACKAGE = "supportkpi.ingest.profiles"
#: Modules of the package that are not profiles.
_NOT_PROFILES = frozenset({"base", "runner"})


def _discover() -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name in _NOT_PROFILES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_PACKAGE}.{info.name}")
        profile = getattr(module, "PROFILE", None)
        if not isinstance(profile, Profile):
            raise TypeError(f"{module.__name__} has no module-level PROFILE: Profile")
        found[profile.name] = profile
    return dict(sorted(found.items()))


#: Every import profile, by kind, sorted by name.
PROFILES: dict[str, Profile] = _discover()


def get_profile(name: str) -> Profile:
    """The profile of ``name``; an :class:`InputError` listing the known kinds otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise InputError(
            f"unknown import kind {name!r}; known kinds: {', '.join(PROFILES)}"
        ) from None
