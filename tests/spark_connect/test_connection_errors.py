"""A Spark Connect server that is down, or a URL that is not one: one line naming the URL,
exit 2, no traceback. And the ``[spark]`` section's checks (SPEC §7: every problem at once)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import run_cli

from supportkpi.config.settings import parse_settings
from supportkpi.engine.spark_server import free_port
from supportkpi.errors import ConfigError


def _kpi(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_cli(
        capsys, "kpi", "ticket_volume", "--db", str(folder), "--engine", "pyspark", *extra
    )


@pytest.fixture
def no_remote(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPARK_REMOTE", raising=False)


def test_a_server_that_is_down_is_one_line_naming_the_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sc://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("SPARK_REMOTE", url)
    result = _kpi(capsys, tmp_path)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert f"cannot reach the Spark Connect server at {url}" in lines[0]
    assert "Traceback" not in result.err + result.out


def test_the_config_remote_is_used_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_remote: None
) -> None:
    url = f"sc://127.0.0.1:{free_port()}"
    config = tmp_path / "kpi.toml"
    config.write_text(f'[spark]\nremote = "{url}"\n')
    result = _kpi(capsys, tmp_path, "--config", str(config))
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        line for line in result.err.strip().splitlines() if url in line
    ]
    assert "Traceback" not in result.err


def test_a_url_that_is_not_a_connect_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPARK_REMOTE", "http://spark.example:15002")
    result = _kpi(capsys, tmp_path)
    assert result.code == 2
    assert len(result.err.strip().splitlines()) == 1
    assert "'http://spark.example:15002' is not a Spark Connect URL" in result.err


def test_the_spark_section_lists_every_problem() -> None:
    raw = {
        "spark": {
            "remote": "localhost:15002",  # no sc:// scheme
            "conf": {"spark.sql.session.timeZone": "Europe/Berlin", "spark.x": {"a": 1}},
            "tables": {"tikets": "raw.tickets", "calls": "no spaces allowed"},
            "master": "yarn",
        }
    }
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    problems = caught.value.problems
    assert any(p.startswith("spark.remote:") for p in problems)
    assert any(
        p.startswith("spark.conf.spark.sql.session.timeZone: is fixed to UTC") for p in problems
    )
    assert any(p.startswith("spark.conf.spark.x:") for p in problems)
    assert "spark.tables.tikets: not a canonical table" in problems
    assert any(p.startswith("spark.tables.calls:") for p in problems)
    assert "spark.master: unknown setting" in problems
    assert len(problems) == 6


def test_a_valid_spark_section() -> None:
    settings = parse_settings(
        {
            "spark": {
                "remote": "sc://spark.internal:15002/;use_ssl=true",
                "conf": {"spark.sql.shuffle.partitions": 64, "spark.sql.adaptive.enabled": True},
                "tables": {"tickets": "raw.zendesk_tickets", "calls": "calls_v2"},
            }
        }
    ).spark
    assert settings.remote == "sc://spark.internal:15002/;use_ssl=true"
    assert settings.conf == (
        ("spark.sql.shuffle.partitions", "64"),
        ("spark.sql.adaptive.enabled", "true"),
    )
    # A qualified mapped name is used as is; a bare one goes into the source's namespace.
    assert settings.table_name("tickets", "lake.support") == "raw.zendesk_tickets"
    assert settings.table_name("calls", "lake.support") == "lake.support.calls_v2"
    assert settings.table_name("agents", "lake.support") == "lake.support.agents"
    assert settings.table_name("agents", "") == "agents"


def test_a_static_setting_on_a_running_server_is_one_clear_error(
    connect_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_remote: None
) -> None:
    # Driver memory is fixed when the server starts; a client cannot change it.
    config = tmp_path / "kpi.toml"
    config.write_text(
        f'[spark]\nremote = "{connect_url}"\nconf = {{ "spark.driver.memory" = "1g" }}\n'
    )
    result = _kpi(capsys, tmp_path, "--config", str(config))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert (
        "spark.conf.spark.driver.memory: cannot be set on the Spark Connect server at" in lines[0]
    )
