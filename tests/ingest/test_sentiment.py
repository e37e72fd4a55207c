"""Sentiment: VADER scores customer messages once, at load; sources may bring their own."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import supportkpi
from supportkpi.ingest.loader import ingest_file
from supportkpi.sentiment import score_events, score_texts
from supportkpi.store import Store

ANGRY = "This is terrible, I am furious!"
HAPPY = "Thanks a lot, great help"


def test_scores_are_vader_compound_scores() -> None:
    # vaderSentiment 3.3.2's compound scores (-1..1) of these sentences.
    angry, happy, flat = score_texts([ANGRY, HAPPY, "The parcel arrived on Tuesday"])
    assert angry == pytest.approx(-0.7959, abs=1e-4)
    assert happy == pytest.approx(0.8658, abs=1e-4)
    assert flat == 0.0


def _events(**columns: list[object]) -> pa.Table:
    base: dict[str, list[object]] = {
        "kind": ["message", "message", "message", "note", "message", "message"],
        "actor_type": ["customer", "agent", "customer", "customer", "customer", "customer"],
        "body": [ANGRY, ANGRY, HAPPY, ANGRY, None, "   "],
    }
    base.update(columns)
    return pa.table(base)


def test_only_customer_messages_with_a_body_are_scored() -> None:
    scored = score_events(_events()).column("sentiment").to_pylist()
    assert scored[0] == pytest.approx(-0.7959, abs=1e-4)
    assert scored[2] == pytest.approx(0.8658, abs=1e-4)
    # An agent's message, a note, no body, a blank body: not scored.
    assert scored[1] is None and scored[3] is None and scored[4] is None and scored[5] is None


def test_a_given_sentiment_is_kept() -> None:
    given = [0.5, None, None, None, None, None]
    scored = score_events(_events(sentiment=given)).column("sentiment").to_pylist()
    assert scored[0] == 0.5
    assert scored[2] == pytest.approx(0.8658, abs=1e-4)


def test_each_distinct_body_is_scored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import supportkpi.sentiment as sentiment

    seen: list[list[str]] = []
    real = sentiment.score_texts

    def spy(texts: list[str]) -> list[float]:
        seen.append(list(texts))
        return real(texts)

    monkeypatch.setattr(sentiment, "score_texts", spy)
    table = pa.table(
        {
            "kind": ["message"] * 4,
            "actor_type": ["customer"] * 4,
            "body": [ANGRY, HAPPY, ANGRY, ANGRY],
        }
    )
    out = score_events(table).column("sentiment").to_pylist()
    assert sorted(seen[0]) == sorted([ANGRY, HAPPY])
    assert out[0] == out[2] == out[3]


def test_an_empty_table_gets_the_column() -> None:
    out = score_events(_events().slice(0, 0))
    assert out.column_names[-1] == "sentiment" and out.num_rows == 0


def test_the_loader_scores_once_and_reloads_unchanged(tmp_path: Path) -> None:
    source = tmp_path / "events.csv"
    source.write_text(
        "ticket_id,at,kind,actor_type,body,sentiment\n"
        f't1,2024-01-02 10:00,message,customer,"{ANGRY}",\n'
        "t1,2024-01-02 11:00,message,agent,Sorry to hear that,\n"
        f't1,2024-01-02 12:00,message,customer,"{HAPPY}",0.25\n'
        f't2,2024-01-03 12:00,message,customer,"{HAPPY}",\n'
    )
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        first = ingest_file(store, "ticket_events", source)
        second = ingest_file(store, "ticket_events", source)
        rows = store.con.execute(
            'SELECT ticket_id, actor_type, sentiment FROM ticket_events ORDER BY "at"'
        ).fetchall()
    assert (first.inserted, second.unchanged) == (4, 4)
    assert rows[0][2] == pytest.approx(-0.7959, abs=1e-4)
    assert rows[1][2] is None  # the agent's message
    assert rows[2][2] == 0.25  # given by the source
    # customer_sentiment reads the stored scores: (-0.7959 + 0.25 + 0.8658) / 3.
    with supportkpi.connect(str(db)) as con:
        value = con.kpi(["customer_sentiment"])["value"].iloc[0]
    assert value == pytest.approx((-0.7959 + 0.25 + 0.8658) / 3, abs=1e-4)
