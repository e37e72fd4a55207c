"""``supportkpi import``: the kinds, ``--map`` on top of a profile, ``--json``, the errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import run_cli

from supportkpi.errors import ConfigError, InputError
from supportkpi.ingest.profiles import PROFILES, get_profile, preview_import
from supportkpi.ingest.profiles.runner import merge_mapping, read_extra_mapping
from supportkpi.store import Store

SAMPLES = Path(__file__).parent / "samples"
TWCS = SAMPLES / "twitter" / "twcs.csv"
SHIPPED = {"servicenow", "jira", "twitter", "xes"}  # this file's profiles; others add more


def test_help_lists_every_kind(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = run_cli(capsys, "import", "--help")
    assert result.code == 0
    assert set(PROFILES) >= SHIPPED
    for profile in PROFILES.values():
        assert f"{profile.name} " in result.out
        assert profile.summary in result.out


def test_unknown_kind(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "import", "salesforce", str(TWCS), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert result.err == f"Error: unknown import kind 'salesforce'; known kinds: " \
        f"{', '.join(sorted(PROFILES))}\n"  # fmt: skip
    with pytest.raises(InputError):
        get_profile("salesforce")


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "import", "twitter", str(tmp_path / "no.csv"), "--db",
                     str(tmp_path / "a.db"))  # fmt: skip
    assert (result.code, result.err) == (2, f"Error: {tmp_path / 'no.csv'}: file not found\n")


def test_map_overrides_per_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """--map's [tickets.constants] replaces the profile's channel; its other keys stay."""
    extra = tmp_path / "extra.toml"
    extra.write_text('[tickets.constants]\nchannel = "chat"\npriority = "low"\n')
    db = tmp_path / "m.duckdb"
    result = run_cli(capsys, "import", "twitter", str(TWCS), "--db", str(db), "--map",
                     str(extra), "--json")  # fmt: skip
    assert result.code == 0, result.err
    summaries = json.loads(result.out)
    assert [(s["file"], s["table"], s["rows_in"]) for s in summaries] == [
        ("twcs.csv (threads)", "tickets", 3), ("twcs.csv", "ticket_events", 13)]  # fmt: skip
    with Store(db, read_only=True) as store:
        rows = store.con.execute("SELECT DISTINCT channel, priority, team FROM tickets").fetchall()
        logged = store.con.execute("SELECT file_name FROM _load_log ORDER BY 1").fetchall()
    assert rows == [("chat", "low", "AcmeSupport")]
    assert logged == [("twcs.csv",), ("twcs.csv (threads)",)]  # the user's file, not a temp one


def test_map_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    db = tmp_path / "e.duckdb"
    for text, message in [
        ('[calls.columns]\ncall_id = "x"\n',
         "Error: --map names table calls, which supportkpi import twitter does not load "
         "(it loads ticket_events, tickets)\n"),
        ('[columns]\nticket_id = "x"\n',
         "Error: extra.toml: invalid import mapping\n  - [columns] is not a canonical table"),
        ('[tickets.source]\nduplicates = "newest"\n',
         "Error: twitter profile's tickets mapping with extra.toml: invalid mapping for "
         "table 'tickets'\n  - [source] duplicates"),
    ]:  # fmt: skip
        extra.write_text(text)
        result = run_cli(capsys, "import", "twitter", str(TWCS), "--db", str(db), "--map",
                         str(extra))  # fmt: skip
        assert result.code == 2
        assert result.err.startswith(message)
        assert "Traceback" not in result.err
    assert not db.exists()  # nothing is written before every mapping is valid


def test_merge_mapping() -> None:
    base = {"source": {"format": "parquet", "timezone": "UTC"}, "constants": {"channel": "x"}}
    extra = {"source": {"timezone": "Europe/Rome"}, "columns": {"team": "Group"}}
    assert merge_mapping(base, extra) == {
        "source": {"format": "parquet", "timezone": "Europe/Rome"},
        "constants": {"channel": "x"},
        "columns": {"team": "Group"},
    }
    assert merge_mapping(None, None) is None
    assert base["source"] == {"format": "parquet", "timezone": "UTC"}  # not changed in place
    with pytest.raises(ConfigError):
        read_extra_mapping({"tickets": "not a table"})


DOCS = Path(__file__).resolve().parents[3] / "docs" / "importers.md"


def test_every_kind_has_a_section() -> None:
    text = DOCS.read_text()
    assert [k for k in PROFILES if f"\n## supportkpi import {k}\n" not in text] == []
    for kind in sorted(PROFILES):
        assert f"`{kind}`" in text.split("## supportkpi import ", 1)[0]  # the intro lists it


def test_documented_xes_map_loads(tmp_path: Path) -> None:
    """The activities.toml of the xes section is a valid --map for the sample log."""
    section = DOCS.read_text().split("\n## supportkpi import xes\n", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    extra = tmp_path / "activities.toml"
    extra.write_text(example)
    (preview,) = preview_import("xes", [SAMPLES / "xes" / "helpdesk.xes"], extra)
    assert preview.uncovered_activities == [("Assign seriousness", 1)]
