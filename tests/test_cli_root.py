from __future__ import annotations

import itertools
from pathlib import Path

from typer.testing import CliRunner

from seawatch import __version__
from seawatch.cli import app


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"seawatch {__version__}"


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "seawatch" in result.stdout


def test_seawatch_error_is_one_line_exit_1() -> None:
    import typer

    from seawatch import StoreError
    from seawatch.cli import _Group

    demo = typer.Typer(cls=_Group)

    @demo.command()
    def boom() -> None:
        raise StoreError("no store at /nowhere")

    @demo.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(demo, ["boom"])
    assert result.exit_code == 1
    assert "error: no store at /nowhere" in result.output
    assert "Traceback" not in result.output


def test_public_api_is_reexported_lazily() -> None:
    """``seawatch.read_nmea`` and friends work without importing the heavy layers up front."""
    import subprocess
    import sys

    code = (
        "import sys, seawatch; heavy = [m for m in ('numba', 'pyarrow', 'duckdb') "
        "if m in sys.modules]; assert not heavy, heavy; "
        "assert callable(seawatch.read_nmea) and callable(seawatch.open_store); "
        "assert set(seawatch.__all__) <= set(dir(seawatch))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_read_nmea_from_the_package_root(tmp_path: Path) -> None:
    import seawatch

    path = tmp_path / "one.nmea"
    body = "AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0"
    tag = "c:1700000000"
    sentence = f"!{body}*{_xor(body):02X}"
    path.write_text(f"\\{tag}*{_xor(tag):02X}\\{sentence}\n")
    table = seawatch.read_nmea(path)
    assert table.num_rows == 1 and table.column("mmsi")[0].as_py() == 366053209


def _xor(text: str) -> int:
    value = 0
    for ch in text.encode():
        value ^= ch
    return value


def test_help_text_is_reflowed_not_ragged() -> None:
    """Every command's help and epilog on an 80-column terminal: running text fills its
    lines (a paragraph written with source line breaks used to print half-empty lines),
    while lists and indented examples keep their layout."""
    from seawatch.cli import _reflow

    text = "--format json writes one array; csv a header\nline first; times as\n2025-12-08 08:00Z."
    assert _reflow(text) == " ".join(text.split("\n"))
    listed = "Outputs:\n- json: one document\n- csv: a header line"
    assert _reflow(listed) == listed
    example = 'Examples:\n\nA query:\n\n  seawatch query "SELECT 1"\n  seawatch events'
    assert _reflow(example) == example

    runner = CliRunner()
    for command in ("query", "events", "ingest", "report", "listen", "presence"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, result.output
        lines = [ln.rstrip() for ln in result.stdout.splitlines()]
        # a ragged line: a short line of running text followed by more running text
        ragged = [
            a
            for a, b in itertools.pairwise(lines)
            if a.startswith(" ")
            and not a.startswith("  ")
            and 0 < len(a) < 40
            and b.startswith(" ")
            and not b.startswith("  ")
            and b.strip()[:1].islower()
        ]
        assert not ragged, (command, ragged)
