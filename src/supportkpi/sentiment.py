"""Sentiment of customer messages, scored once when events are loaded.

The score is VADER's *compound* score (``vaderSentiment``, a rule- and lexicon-based analyser
tuned on social-media text; its lexicon ships inside the package, nothing is downloaded): a
number from −1 (most negative) to +1 (most positive). Only customer messages with a body are
scored; a ``sentiment`` given by the source is kept as it is.

>>> round(score_texts(["This is terrible, I am furious!"])[0], 4)
-0.7959
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

COLUMN = "sentiment"


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_texts(texts: Sequence[str]) -> list[float]:
    """VADER compound scores (−1…1) of ``texts``, in order."""
    analyzer = _analyzer()
    return [float(analyzer.polarity_scores(text)["compound"]) for text in texts]


def customer_messages(table: pa.Table) -> pa.Array:
    """Which rows of a ``ticket_events`` table are customer messages with a non-empty body."""
    n = table.num_rows
    if not {"kind", "actor_type", "body"} <= set(table.column_names):
        return pa.array([False] * n, pa.bool_())
    body = table.column("body")
    has_body = pc.and_kleene(
        pc.is_valid(body), pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(body)), 0)
    )
    mask = pc.and_kleene(
        pc.and_kleene(
            pc.equal(table.column("kind"), "message"),
            pc.equal(table.column("actor_type"), "customer"),
        ),
        has_body,
    )
    return pc.fill_null(mask, False).combine_chunks()


def score_events(table: pa.Table) -> pa.Table:
    """``table`` (``ticket_events`` rows) with ``sentiment`` filled for customer messages.

    Rows that already have a sentiment keep it; other rows stay null. Each distinct body is
    scored once, so a log that repeats canned texts costs little.
    """
    n = table.num_rows
    given = (
        table.column(COLUMN).cast(pa.float64())
        if COLUMN in table.column_names
        else pa.chunked_array([pa.nulls(n, pa.float64())])
    )
    todo = pc.and_kleene(customer_messages(table), pc.is_null(given))
    if n == 0 or not pc.any(todo).as_py():
        return _with_column(table, given)
    bodies = pc.filter(table.column("body"), todo)
    unique = pc.unique(bodies)
    scores = pa.array(score_texts(unique.to_pylist()), pa.float64())
    # Every row gets the score of its body (null where it is not to be scored).
    position = pc.index_in(table.column("body"), value_set=unique)
    scored = pc.take(scores, position)
    filled = pc.if_else(todo, scored, given)
    return _with_column(table, filled)


def _with_column(table: pa.Table, values: pa.ChunkedArray | pa.Array) -> pa.Table:
    if COLUMN in table.column_names:
        return table.set_column(table.column_names.index(COLUMN), COLUMN, values)
    return table.append_column(COLUMN, values)
