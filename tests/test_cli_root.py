from __future__ import annotations

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
