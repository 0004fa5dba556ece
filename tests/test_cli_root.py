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
