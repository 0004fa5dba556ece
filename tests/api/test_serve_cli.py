"""``seawatch serve`` through the CLI runner (uvicorn.run replaced: nothing listens)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from seawatch.cli import app


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    seen: list[dict[str, Any]] = []

    def fake_run(asgi: Any, **kw: Any) -> None:
        seen.append({"app": asgi, **kw})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return seen


def test_serve_binds_localhost_by_default(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(app, ["serve", "--store", str(store_dir)])
    assert r.exit_code == 0, r.output
    assert calls[0]["host"] == "127.0.0.1" and calls[0]["port"] == 8000
    assert calls[0]["app"].title == "seawatch"


def test_serve_host_and_port(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(
        app, ["serve", "--store", str(store_dir), "--host", "0.0.0.0", "--port", "9123"]
    )
    assert r.exit_code == 0, r.output
    assert (calls[0]["host"], calls[0]["port"]) == ("0.0.0.0", 9123)


def test_serve_without_a_store_is_one_error_line(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "nothing")])
    assert r.exit_code == 1
    assert "no seawatch store" in r.output
    assert "Traceback" not in r.output
    assert calls == []


def test_serve_help() -> None:
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    assert "127.0.0.1" in r.output
