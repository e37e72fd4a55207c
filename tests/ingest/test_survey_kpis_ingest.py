"""Survey scores outside their kind's scale are rejected at load, with a clear reason."""

from __future__ import annotations

from pathlib import Path

from supportkpi.ingest.loader import ingest_file
from supportkpi.store import Store

ROWS = """response_id,kind,score,sent_at,responded_at
ok-nps-0,nps,0,2024-01-01,2024-01-02
ok-nps-10,nps,10,2024-01-01,2024-01-02
bad-nps-11,nps,11,2024-01-01,2024-01-02
bad-csat-0,csat,0,2024-01-01,2024-01-02
ok-csat-10,csat,10,2024-01-01,2024-01-02
bad-csat-half,csat,4.5,2024-01-01,2024-01-02
ok-ces-7,ces,7,2024-01-01,2024-01-02
bad-ces-8,ces,8,2024-01-01,2024-01-02
bad-asat-11,asat,11,2024-01-01,2024-01-02
ok-unanswered,asat,,2024-01-01,
bad-number,csat,great,2024-01-01,2024-01-02
"""


def test_out_of_scale_scores_are_quarantined(tmp_path: Path) -> None:
    source = tmp_path / "surveys.csv"
    source.write_text(ROWS)
    with Store(tmp_path / "s.duckdb") as store:
        summary = ingest_file(store, "surveys", source)
        kept = {r[0] for r in store.con.execute("SELECT response_id FROM surveys").fetchall()}
        rejects = store.rejects().to_pylist()
    assert (summary.rows_in, summary.inserted, summary.rejected) == (11, 5, 6)
    assert kept == {"ok-nps-0", "ok-nps-10", "ok-csat-10", "ok-ces-7", "ok-unanswered"}
    by_row = {r["row_number"]: r for r in rejects}
    assert {r["rule"] for r in rejects} == {"scale", "number"}
    # Row numbers count data rows from 1 (the header is not a row).
    assert by_row[3]["rule"] == "scale" and by_row[3]["value"] == "11"
    assert by_row[3]["message"] == (
        "surveys.csv row 3: column 'score' value '11' is outside its survey kind's scale "
        "(a whole number: csat 1-10, nps 0-10, ces 1-7, asat 1-10)"
    )
    assert by_row[6]["value"] == "4.5"  # not a whole number
    assert by_row[11]["rule"] == "number"
