"""The backoff after repeated bad tokens: per address, doubling, reset by a valid token,
bounded in memory, and answered before any token is looked at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from supportkpi.store import Store
from supportkpi.web import backoff as backoff_module
from supportkpi.web import create_app
from supportkpi.web.backoff import TokenBackoff, client_address
from supportkpi.web.tokens import create_token


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fail(backoff: TokenBackoff, address: str, times: int) -> None:
    for _ in range(times):
        assert backoff.retry_after(address) is None
        backoff.failed(address)


def test_ten_failures_in_a_minute_block_for_a_minute() -> None:
    clock = Clock()
    backoff = TokenBackoff(clock=clock)
    _fail(backoff, "10.0.0.1", 9)
    assert backoff.retry_after("10.0.0.1") is None
    backoff.failed("10.0.0.1")
    assert backoff.retry_after("10.0.0.1") == 60
    clock.now += 59.5
    assert backoff.retry_after("10.0.0.1") == 1  # rounded up, never 0
    clock.now += 0.5
    assert backoff.retry_after("10.0.0.1") is None


def test_failures_spread_wider_than_the_window_do_not_block() -> None:
    clock = Clock()
    backoff = TokenBackoff(clock=clock)
    _fail(backoff, "10.0.0.1", 9)
    clock.now += 61
    _fail(backoff, "10.0.0.1", 9)
    assert backoff.retry_after("10.0.0.1") is None


def test_each_failure_after_a_block_doubles_the_wait_up_to_the_cap() -> None:
    clock = Clock()
    backoff = TokenBackoff(threshold=3, first_wait_s=10, max_wait_s=100, clock=clock)
    _fail(backoff, "a", 3)
    waits = []
    for _ in range(6):
        wait = backoff.retry_after("a")
        assert wait is not None
        waits.append(wait)
        clock.now += wait
        _fail(backoff, "a", 1)
    assert waits == [10, 20, 40, 80, 100, 100]


def test_a_valid_token_resets_the_address() -> None:
    clock = Clock()
    backoff = TokenBackoff(threshold=3, clock=clock)
    _fail(backoff, "a", 3)
    clock.now += 60
    backoff.succeeded("a")
    _fail(backoff, "a", 2)  # a fresh count: no doubled block on the first failure
    assert backoff.retry_after("a") is None


def test_an_address_quiet_for_the_longest_wait_starts_afresh() -> None:
    clock = Clock()
    backoff = TokenBackoff(threshold=3, first_wait_s=10, max_wait_s=100, clock=clock)
    _fail(backoff, "a", 3)
    clock.now += 10 + 100
    _fail(backoff, "a", 2)
    assert backoff.retry_after("a") is None


def test_memory_is_bounded_by_dropping_the_least_recently_seen() -> None:
    backoff = TokenBackoff(threshold=2, max_addresses=3, clock=Clock())
    backoff.failed("a")
    for address in ("b", "c", "a", "d"):  # "a" seen again, so "b" is the oldest
        backoff.failed(address)
    assert backoff.tracked() == 3
    assert backoff.retry_after("a") is not None  # its two failures were kept
    backoff.failed("b")
    assert backoff.retry_after("b") is None  # its first failure was forgotten
    for n in range(1000):
        backoff.failed(f"10.1.{n // 256}.{n % 256}")
    assert backoff.tracked() == 3


def test_failures_from_many_threads_are_all_counted() -> None:
    backoff = TokenBackoff(threshold=8 * 200, clock=Clock())

    def fail_often() -> None:
        for _ in range(200):
            backoff.failed("a")

    threads = [threading.Thread(target=fail_often) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backoff.retry_after("a") == 60  # the last of the 1,600 failures reached the threshold


def _request(host: str | None) -> Request:
    scope: dict[str, Any] = {"type": "http", "headers": [], "client": (host, 1) if host else None}
    return Request(scope)


@pytest.mark.parametrize(
    ("host", "counted_as"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
        (None, "unknown"),
    ],
)
def test_client_address_groups_an_ipv6_host_by_its_64(host: str | None, counted_as: str) -> None:
    assert client_address(_request(host)) == counted_as


# -- over HTTP ---------------------------------------------------------------------------------
@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, str, Clock]]:
    db = tmp_path / "backoff.duckdb"
    with Store(db) as store:
        token = create_token(store, "viewer")
    app = create_app(db, host="0.0.0.0")
    clock = Clock()
    app.state.token_backoff = TokenBackoff(threshold=3, first_wait_s=30, clock=clock)
    yield app, token, clock


def _get(client: TestClient, token: str) -> Any:
    return client.get("/api/metrics", headers={"Authorization": f"Bearer {token}"})


def test_repeated_bad_tokens_get_429_before_any_token_is_checked(
    served: tuple[Any, str, Clock], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, token, clock = served
    checked: list[str] = []
    real_check = backoff_module.check_token

    def spy(con: Any, presented: str, now: Any = None) -> Any:
        checked.append(presented)
        return real_check(con, presented, now)

    monkeypatch.setattr(backoff_module, "check_token", spy)
    with TestClient(app, client=("198.51.100.9", 4000), base_url="http://127.0.0.1") as client:
        for _ in range(3):
            assert _get(client, "skpi_000000000000_guess").status_code == 401
        assert len(checked) == 3
        for presented in ("skpi_000000000000_guess", token):  # even the right one waits
            blocked = _get(client, presented)
            assert blocked.status_code == 429
            assert blocked.headers["retry-after"] == "30"
            assert blocked.json() == {
                "ok": False,
                "error": "too many invalid tokens from this address; try again in 30 s",
                "status": 429,
            }
        assert client.get("/api/metrics").status_code == 429  # no header at all: still waits
        assert len(checked) == 3  # nothing was looked up while blocked
        assert client.get("/api/health").status_code == 200  # open routes stay open
        clock.now += 30
        assert _get(client, token).status_code == 200
        # The success reset the address: a bad token is a plain 401 again, not a doubled block.
        assert _get(client, "skpi_000000000000_guess").status_code == 401
        assert _get(client, token).status_code == 200


def test_a_blocked_address_does_not_block_another(served: tuple[Any, str, Clock]) -> None:
    app, token, _ = served
    with TestClient(app, client=("198.51.100.9", 4000), base_url="http://127.0.0.1") as attacker:
        for _ in range(3):
            _get(attacker, "skpi_000000000000_guess")
        assert _get(attacker, token).status_code == 429
        neighbour = TestClient(app, client=("198.51.100.10", 4000), base_url="http://127.0.0.1")
        assert _get(neighbour, token).status_code == 200
        assert _get(neighbour, "skpi_000000000000_guess").status_code == 401


def test_each_app_gets_its_own_backoff(tmp_path: Path) -> None:
    db = tmp_path / "own.duckdb"
    with Store(db) as store:
        create_token(store, "viewer")
    first, second = (create_app(db, host="0.0.0.0") for _ in range(2))
    with TestClient(first, base_url="http://127.0.0.1") as client:
        for _ in range(10):
            assert _get(client, "skpi_000000000000_guess").status_code == 401
        assert _get(client, "skpi_000000000000_guess").status_code == 429
    assert first.state.token_backoff is not getattr(second.state, "token_backoff", None)
