"""Spark Connect has no JVM in the client: no ``sparkContext``, ``_jvm`` or RDD anywhere in the
package (issue 15: one such call made every Connect run die with a traceback)."""

from __future__ import annotations

import re
from pathlib import Path

import supportkpi

PACKAGE = Path(supportkpi.__file__).parent
JVM_ONLY = re.compile(r"\.(sparkContext|_jvm|_jsc|_jdf|_jsparkSession|rdd)\b")


def test_no_jvm_only_calls_in_the_package() -> None:
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if JVM_ONLY.search(line)
    ]
    assert found == []


def test_the_pattern_catches_the_old_call() -> None:
    assert JVM_ONLY.search('_SPARK.sparkContext.setLogLevel("ERROR")')
    assert JVM_ONLY.search("frame.rdd.map(f)")
    assert not JVM_ONLY.search("session.conf.set('spark.log.level', 'ERROR')")
