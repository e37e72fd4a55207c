"""The calls a staffing plan learns from: every offered call before an instant, as pandas.

The staffing plan (:func:`supportkpi.staffing.staffing_plan`) is plain Python over a frame of
calls; this reads that frame from a session through Ibis, so it runs on every engine.
"""

from __future__ import annotations

import pandas as pd

from supportkpi.query.session import Session

COLUMNS = ("offered_at", "talk_s", "hold_s", "acw_s")


def calls_before(con: Session, end: int | None) -> pd.DataFrame:
    """Offered calls (``offered_at`` in UTC, talk, hold and wrap-up seconds) before ``end``
    (epoch seconds; every call when None)."""
    calls = con.backend.table("calls")
    rows = calls.filter(calls.offered_at.notnull())
    if end is not None:
        rows = rows.filter(con.backend.epoch_seconds(rows.offered_at) < end)
    frame = con.backend.execute(rows.select(*COLUMNS))
    frame["offered_at"] = pd.to_datetime(frame["offered_at"], utc=True)
    return frame
