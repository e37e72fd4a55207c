"""Fixtures of the sync tests: the fake Zendesk on 127.0.0.1 and a config pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_zendesk import TOKEN, FakeZendesk, serve


@pytest.fixture
def zendesk() -> Iterator[FakeZendesk]:
    with serve(FakeZendesk()) as fake:
        yield fake


@pytest.fixture
def config(zendesk: FakeZendesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``[sources.zd]`` as the issue writes it, the token in ``$ZD_TEST_TOKEN``."""
    monkeypatch.setenv("ZD_TEST_TOKEN", TOKEN)
    path = tmp_path / "supportkpi.toml"
    path.write_text(
        f"""[sources.zd]
system = "zendesk"
url = "{zendesk.url}"
email = "agent@example.com"
token_env = "ZD_TEST_TOKEN"
start = "2024-03-04"
timeout_s = 5
""",
        encoding="utf-8",
    )
    return path
