"""Builders for the hostile-input tests: CSV files, CLI runs, store fingerprints."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from seawatch.cli import app

T0 = datetime(2025, 12, 8, 8, 0, tzinfo=UTC)
HEADER = ("mmsi", "ts", "lat", "lon", "sog", "cog", "heading", "name", "ship_type")

AIS_SIXBIT = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"
"""Every character of the AIS 6-bit text alphabet (ITU-R M.1371 table 47), in code order."""

MARKUP = (
    "[/]",
    "[link=http://x]a[/link]",
    "[bold red]RED",
    "[/bold]X",
    ":ship: [blink]",
    "A\\[B]",
    "TRAILING\\",
)
"""Strings Rich would read as markup (or emoji codes) if a table printed them unescaped."""


def rows(
    mmsi: int,
    n: int,
    *,
    name: str = "",
    start: datetime = T0,
    lat: float = 10.7,
    lon: float = -66.9,
) -> list[tuple[Any, ...]]:
    """``n`` reports of one vessel, a minute apart, moving slowly east."""
    return [
        (
            mmsi,
            (start + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S"),
            f"{lat:.5f}",
            f"{lon + i * 0.0005:.5f}",
            5.0,
            90.0,
            90,
            name,
            70 if name else "",
        )
        for i in range(n)
    ]


def write_csv(path: Path, body: Iterable[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
    """A well-formed CSV (quoted where needed by the csv module)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(body)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run ``seawatch ARGS`` in a wide terminal (tables do not wrap)."""
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400", **(env or {})})


def ok(*args: str) -> Any:
    result = cli(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def one_line_error(result: Any, code: int = 1) -> str:
    """Assert ``result`` failed with ``code`` and one ``error:`` line, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    err = result.stderr.strip()
    assert "Traceback" not in result.output
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return str(lines[0])


def fingerprint(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (the lock file aside)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }
