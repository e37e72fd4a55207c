"""Jinja2 rendering of the dashboard's templates (autoescaped; specs embedded as JSON)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup

from supportkpi import __version__
from supportkpi.report.rows import plain
from supportkpi.web.dashboard import assets
from supportkpi.web.dashboard.filters import GRAIN_CHOICES, PRESETS
from supportkpi.web.dashboard.model import display


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("supportkpi.web.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["display"] = display
    env.filters["spec_json"] = spec_json
    env.filters["sentence"] = sentence
    env.globals.update(
        presets=PRESETS,
        grain_choices=GRAIN_CHOICES,
        version=__version__,
        asset_url=asset_url,
    )
    return env


def asset_url(name: str) -> str:
    """The URL of one of the dashboard's own files, versioned by its content."""
    return f"/static/{name}?v={assets.own_asset(name).version}"


def spec_json(value: Any) -> Markup:
    """JSON safe inside a ``<script>`` element; NaN and infinity become null (JSON has none)."""
    return htmlsafe_json_dumps(plain(value))


def sentence(text: str) -> str:
    """``text`` with a capital first letter (Jinja's ``capitalize`` lowercases the rest,
    which would turn ``--config FILE`` into ``--config file``)."""
    return text[:1].upper() + text[1:]


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
