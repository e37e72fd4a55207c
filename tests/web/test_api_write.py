"""Ingest over HTTP (summary, quarantine, load log, cache invalidation), upload limits and auth."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cli_support import run_cli
from fastapi.testclient import TestClient

from supportkpi.store import Store
from supportkpi.web import create_app, is_loopback
from supportkpi.web.tokens import create_token

GOOD_AND_BAD = (
    b"ticket_id,created_at,channel\n"
    b"n1,2024-03-01T10:00:00Z,email\n"
    b"n2,not a date,chat\n"
    b"n3,2024-03-02T10:00:00Z,chat\n"
)


def _store(path: Path) -> str:
    with Store(path) as store, store.transaction():
        store.upsert(
            "tickets",
            pa.table(
                {
                    "ticket_id": ["t1", "t2"],
                    "created_at": [datetime(2024, 3, d, 9, tzinfo=UTC) for d in (1, 2)],
                    "channel": ["email", "email"],
                }
            ),
        )
    return str(path)


def _volume(client: TestClient, headers: dict[str, str] | None = None) -> Any:
    response = client.get("/api/kpi", params={"metric": "ticket_volume"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["rows"][0]["value"]


def _error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == status
    return str(body["error"])


def test_ingest_summary_quarantine_log_and_fresh_kpis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _store(tmp_path / "ingest.duckdb")
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        assert _volume(client) == 2.0  # cached from here on, until a load
        upload = {"file": ("march.csv", GOOD_AND_BAD, "text/csv")}
        summary = client.post("/api/ingest/tickets", files=upload).json()
        assert summary == {
            "table": "tickets",
            "rows_in": 3,
            "inserted": 2,
            "updated": 0,
            "unchanged": 0,
            "rejected": 1,
        }
        assert _volume(client) == 4.0  # the cache did not serve the pre-load answer
        again = client.post("/api/ingest/tickets", files=upload).json()
        assert (again["inserted"], again["unchanged"], again["rejected"]) == (0, 2, 1)
        rejects = client.get("/api/rejects").json()["rows"]
        every = client.get("/api/rejects", params={"all": "true"}).json()["rows"]
        loads = client.get("/api/loads").json()["rows"]
    # The same bad row rejected again supersedes its first entry: one open entry, not two.
    assert [(r["load_id"], r["row_number"], r["column_name"], r["rule"]) for r in rejects] == [
        (2, 2, "created_at", "timestamp"),
    ]
    assert [(r["load_id"], r["row_number"]) for r in every] == [(2, 2), (1, 2)]
    assert "march.csv row 2" in rejects[0]["message"]
    assert [(r["load_id"], r["rows_in"], r["inserted"], r["rejected"]) for r in loads] == [
        (1, 3, 2, 1),
        (2, 3, 0, 1),
    ]
    cli = run_cli(capsys, "rejects", "--db", db, "--json")
    assert cli.code == 0, cli.err
    assert rejects == json.loads(cli.out)


def test_ingest_with_a_mapping_upload(tmp_path: Path) -> None:
    db = _store(tmp_path / "mapped.duckdb")
    source = b"Case,Opened\nm1,2024-03-05T08:00:00Z\n"
    mapping = (
        b'[columns]\nticket_id = "Case"\ncreated_at = "Opened"\n[constants]\nchannel = "web"\n'
    )
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        response = client.post(
            "/api/ingest/tickets",
            files={
                "file": ("cases.csv", source, "text/csv"),
                "mapping": ("map.toml", mapping, "application/toml"),
            },
        )
        assert response.json()["inserted"] == 1, response.text
        rows = client.get("/api/kpi", params={"metric": "ticket_volume", "by": "channel"}).json()
    assert {r["channel"]: r["value"] for r in rows["rows"]} == {"email": 2.0, "web": 1.0}


def test_a_bad_mapping_is_a_config_error(tmp_path: Path) -> None:
    db = _store(tmp_path / "badmap.duckdb")
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        response = client.post(
            "/api/ingest/tickets",
            files={
                "file": ("cases.csv", b"Case\nm1\n", "text/csv"),
                "mapping": ("map.toml", b"[columns\n", "application/toml"),
            },
        )
        _error(response, 400)
        assert _volume(client) == 2.0


def test_upload_limit_declared_and_streamed(tmp_path: Path) -> None:
    db = _store(tmp_path / "limit.duckdb")
    big = b"ticket_id,created_at,channel\n" + b"x,2024-03-01T10:00:00Z,email\n" * 800  # ~23 KB
    with TestClient(create_app(db, max_upload_mb=0.01), base_url="http://127.0.0.1") as client:
        declared = client.post("/api/ingest/tickets", files={"file": ("big.csv", big, "text/csv")})
        assert "larger than the limit of 0.01 MB" in _error(declared, 413)
        boundary = "b0undary"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        )
        body = head.encode() + big + f"\r\n--{boundary}--\r\n".encode()
        streamed = client.post(
            "/api/ingest/tickets",
            content=(body[i : i + 4096] for i in range(0, len(body), 4096)),  # chunked
            headers={"content-type": f"multipart/form-data; boundary={boundary}"},
        )
        _error(streamed, 413)
        small = client.post(
            "/api/ingest/tickets", files={"file": ("small.csv", GOOD_AND_BAD, "text/csv")}
        )
        assert small.status_code == 200, small.text
        assert _volume(client) == 4.0  # nothing of the refused uploads was stored


# -- auth --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = _store(tmp_path_factory.mktemp("auth") / "auth.duckdb")
    with Store(db) as store:
        tokens = {role: create_token(store, role) for role in ("viewer", "admin")}
    with TestClient(create_app(db, host="0.0.0.0"), base_url="http://127.0.0.1") as client:
        yield client, tokens


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "path",
    ["/api/kpi?metric=ticket_volume", "/api/metrics", "/api/rejects", "/docs", "/openapi.json"],
)
def test_off_loopback_every_route_needs_a_token(secured: Any, path: str) -> None:
    client, tokens = secured
    response = client.get(path)
    _error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    _error(client.get(path, headers=_bearer("skpi_000000000000_guess")), 401)
    _error(client.get(path, headers=_bearer(tokens["viewer"] + "x")), 401)
    _error(client.get(path, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)
    assert client.get(path, headers=_bearer(tokens["viewer"])).status_code == 200


def test_health_stays_open(secured: Any) -> None:
    client, _ = secured
    assert client.get("/api/health").json()["ok"] is True


def test_viewer_may_not_ingest_admin_may(secured: Any) -> None:
    client, tokens = secured
    upload = {"file": ("t.csv", GOOD_AND_BAD, "text/csv")}
    _error(client.post("/api/ingest/tickets", files=upload), 401)
    message = _error(
        client.post("/api/ingest/tickets", files=upload, headers=_bearer(tokens["viewer"])), 403
    )
    assert "admin" in message
    assert _volume(client, _bearer(tokens["viewer"])) == 2.0
    admin = client.post("/api/ingest/tickets", files=upload, headers=_bearer(tokens["admin"]))
    assert admin.json()["inserted"] == 2, admin.text
    assert _volume(client, _bearer(tokens["admin"])) == 4.0


def test_loopback_needs_no_token(tmp_path: Path) -> None:
    db = _store(tmp_path / "local.duckdb")
    with TestClient(create_app(db, host="127.0.0.1"), base_url="http://127.0.0.1") as client:
        assert _volume(client) == 2.0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_reads_and_ingests_interleave_from_threads(tmp_path: Path) -> None:
    """Readers share pooled read-only handles; each ingest waits for them, then they reopen."""
    import threading

    db = _store(tmp_path / "threads.duckdb")
    failures: list[str] = []
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:

        def read(worker: int) -> None:
            for i in range(6):
                channel = ("email", "chat", "web")[(worker + i) % 3]
                response = client.get(
                    "/api/kpi",
                    params={
                        "metric": "ticket_volume",
                        "where": f"channel={channel}",
                        "grain": "day",
                    },
                )
                if response.status_code != 200:
                    failures.append(response.text)

        def write() -> None:
            for k in range(3):
                csv = f"ticket_id,created_at,channel\nw{k},2024-03-03T10:00:00Z,web\n".encode()
                response = client.post("/api/ingest/tickets", files={"file": ("w.csv", csv)})
                if response.status_code != 200:
                    failures.append(response.text)

        threads = [threading.Thread(target=read, args=(w,)) for w in range(4)]
        threads.append(threading.Thread(target=write))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert _volume(client) == 5.0  # 2 stored + 3 ingested


def test_upload_names_cannot_leave_the_upload_folder(tmp_path: Path) -> None:
    db = _store(tmp_path / "names.duckdb")
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        upload = {"file": ("../../../outside/evil name.csv", GOOD_AND_BAD, "text/csv")}
        assert client.post("/api/ingest/tickets", files=upload).status_code == 200
        logged = client.get("/api/loads").json()["rows"][0]["file_name"]
    assert Path(logged).name == "evil_name.csv"
    assert Path(logged).parent.name.startswith("supportkpi-upload-")
    assert not (tmp_path / "outside").exists()


def test_ingest_takes_an_excel_workbook(tmp_path: Path) -> None:
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["March tickets"])  # a title above the header row
    sheet.append(["ticket_id", "created_at", "channel"])
    sheet.append(["x1", datetime(2024, 3, 3, 9), "chat"])
    sheet.append(["x2", datetime(2024, 3, 4, 9), "email"])
    data = io.BytesIO()
    book.save(data)
    db = _store(tmp_path / "xlsx.duckdb")
    with TestClient(create_app(db), base_url="http://127.0.0.1") as client:
        upload = {"file": ("march.xlsx", data.getvalue(), "application/octet-stream")}
        response = client.post("/api/ingest/tickets", files=upload)
        assert response.status_code == 200, response.text
        assert response.json()["inserted"] == 2
        assert _volume(client) == 4.0
