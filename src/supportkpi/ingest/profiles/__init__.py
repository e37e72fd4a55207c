"""Import profiles: `supportkpi import KIND FILE...` for the exports of named help desks.

Each module of this package (except :mod:`.base`, :mod:`.runner` and names starting with
``_``) exposes one ``PROFILE: Profile`` (see :mod:`.base`); they are found with
:mod:`pkgutil`, so adding a profile is adding a module. :func:`run_import` plans a kind's
files and loads them; :func:`preview_import` shows what that would do.

>>> from supportkpi.ingest.profiles import PROFILES
>>> "servicenow" in PROFILES
True
"""

from __future__ import annotations

from supportkpi.ingest.profiles._registry import PROFILES, get_profile
from supportkpi.ingest.profiles.base import Part, Profile
from supportkpi.ingest.profiles.runner import preview_import, run_import

__all__ = ["PROFILES", "Part", "Profile", "get_profile", "preview_import", "run_import"]
