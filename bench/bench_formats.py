"""Benchmark: reading an XES log and an Excel sheet, as a ratio to reading the same events as CSV.

    .venv/bin/python bench/bench_formats.py [--events 1000000] [--xlsx-events N] [--keep DIR]

One generated help-desk log (5 events a trace, 4 event attributes, 2 trace attributes) is
written as CSV, XES and XLSX. Each file is read by ``read_raw`` (the reader a load uses, up to
the raw Arrow table; validation is the same for every format and not timed) in a fresh child
process, so each peak memory (``ru_maxrss``) is its own. The XLSX file holds the first
``--xlsx-events`` events (default: all), since writing a large workbook is slow; its CSV
anchor is read at the same size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

ACTIVITIES = ("Insert ticket", "Take in charge ticket", "Wait", "Resolve ticket", "Closed")
COLUMNS = ("concept:name", "org:resource", "time:timestamp", "lifecycle:transition",
           "case:concept:name", "case:channel")  # fmt: skip


def events(count: int, seed: int = 7) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        case, step = divmod(i, len(ACTIVITIES))
        day, minute = 1 + case % 28, (case * 7 + step * 13) % 60
        at = f"2024-03-{day:02d}T{8 + step:02d}:{minute:02d}:00.000+01:00"
        out.append((ACTIVITIES[step], f"Agent {rng.randrange(40)}", at, "complete",
                    f"Case{case}", rng.choice(("email", "web", "phone"))))  # fmt: skip
    return out


def write_csv(path: Path, rows: list[tuple[str, ...]]) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def write_xes(path: Path, rows: list[tuple[str, ...]]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n')
        case = None
        for name, who, at, life, trace, channel in rows:
            if trace != case:
                if case is not None:
                    fh.write("</trace>\n")
                fh.write(f'<trace><string key="concept:name" value={quoteattr(trace)}/>'
                         f'<string key="channel" value="{channel}"/>\n')  # fmt: skip
                case = trace
            fh.write(
                f'<event><string key="concept:name" value={quoteattr(name)}/>'
                f'<string key="org:resource" value={quoteattr(who)}/>'
                f'<date key="time:timestamp" value="{at}"/>'
                f'<string key="lifecycle:transition" value="{life}"/></event>\n'
            )
        fh.write("</trace>\n</log>\n")


def write_xlsx(path: Path, rows: list[tuple[str, ...]]) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("events")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    book.save(path)


def generate(folder: Path, count: int, xlsx_count: int | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = events(count)
    xlsx_rows = rows[:xlsx_count] if xlsx_count else rows
    write_csv(folder / "log.csv", rows)
    write_xes(folder / "log.xes", rows)
    write_csv(folder / "log_xlsx_anchor.csv", xlsx_rows)
    write_xlsx(folder / "log.xlsx", xlsx_rows)


def child(path: str, fmt: str) -> None:
    from supportkpi.ingest.readers import read_raw

    start = time.perf_counter()
    raw = read_raw(Path(path), fmt)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(json.dumps({"rows": raw.rows_in, "seconds": seconds, "peak_mib": peak}))


def measure(path: Path, fmt: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), fmt],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--xlsx-events", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="write the files here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.generate:
        generate(args.generate, args.events, args.xlsx_events)
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_formats_"))
    folder.mkdir(parents=True, exist_ok=True)
    # Generated in a child: ru_maxrss survives exec, so a big parent would inflate the
    # readers' peaks.
    size = ["--events", str(args.events)]
    if args.xlsx_events:
        size += ["--xlsx-events", str(args.xlsx_events)]
    subprocess.run([sys.executable, __file__, "--generate", str(folder), *size], check=True)
    rows = range(args.events)
    xlsx_rows = rows[: args.xlsx_events] if args.xlsx_events else rows
    csv_all = measure(folder / "log.csv", "csv")
    xes = measure(folder / "log.xes", "xes")
    csv_small = measure(folder / "log_xlsx_anchor.csv", "csv")
    xlsx = measure(folder / "log.xlsx", "xlsx")
    assert xes["rows"] == csv_all["rows"] == len(rows), (xes, csv_all)
    assert xlsx["rows"] == csv_small["rows"] == len(xlsx_rows), (xlsx, csv_small)
    report = {
        "events": len(rows),
        "xes_mib": round((folder / "log.xes").stat().st_size / 2**20, 1),
        "csv": csv_all,
        "xes": xes,
        "xes_to_csv_time": round(xes["seconds"] / csv_all["seconds"], 1),
        "xlsx_events": len(xlsx_rows),
        "csv_anchor_of_xlsx": csv_small,
        "xlsx": xlsx,
        "xlsx_to_csv_time": round(xlsx["seconds"] / csv_small["seconds"], 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
