"""DuckDB's progress bar never reaches seawatch's output (tenth session).

DuckDB draws it on standard output for any query over two seconds, even into a pipe or a
file: ``seawatch claims check --format json`` on a 20 M-position store printed
``\\r100% ▕███...`` into its JSON. Every connection comes from ``seawatch._duck.connect``,
which turns it off."""

from __future__ import annotations

import re
from pathlib import Path

from seawatch._duck import connect
from seawatch.detect.sql import DuckDBRunner
from seawatch.store import open_store

SRC = Path(__file__).resolve().parents[1] / "src" / "seawatch"


def _bar(con: object) -> object:
    return con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]  # type: ignore[attr-defined]


def test_every_connection_has_the_bar_off(tmp_path: Path) -> None:
    assert _bar(connect()) is False
    store = open_store(tmp_path / "s", create=True)
    with store.connect() as con:  # the read-only views: configuration locked after
        assert _bar(con) is False
    runner = DuckDBRunner(threads=1)
    try:
        assert runner.query("SELECT current_setting('enable_progress_bar') AS b", {}).column(
            "b"
        ).to_pylist() == [False]
    finally:
        runner.close()


def test_no_module_opens_duckdb_another_way() -> None:
    found = [
        f"{p.relative_to(SRC)}:{n}"
        for p in sorted(SRC.rglob("*.py"))
        if p.name != "_duck.py"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bduckdb\.connect\(", line)
    ]
    assert found == [], found
