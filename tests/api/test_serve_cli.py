"""``seawatch serve`` through the CLI runner (uvicorn.run replaced: nothing listens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
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


TOKEN = "a-serve-token-0123456789"


def test_serve_host_and_port(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(
        app,
        ["serve", "--store", str(store_dir), "--host", "0.0.0.0", "--port", "9123"],
        env={"SEAWATCH_TOKEN": TOKEN},
    )
    assert r.exit_code == 0, r.output
    assert (calls[0]["host"], calls[0]["port"]) == ("0.0.0.0", 9123)
    assert TOKEN not in r.output  # the token is never printed


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "myhost.lan"])
def test_serve_beyond_loopback_needs_a_token(
    store_dir: Path, calls: list[dict[str, Any]], host: str
) -> None:
    r = CliRunner().invoke(
        app, ["serve", "--store", str(store_dir), "--host", host], env={"SEAWATCH_TOKEN": ""}
    )
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "token" in lines[0] and "Traceback" not in r.output
    assert calls == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_serve_on_loopback_needs_no_token(
    store_dir: Path, calls: list[dict[str, Any]], host: str
) -> None:
    r = CliRunner().invoke(
        app, ["serve", "--store", str(store_dir), "--host", host], env={"SEAWATCH_TOKEN": ""}
    )
    assert r.exit_code == 0, r.output
    assert calls[0]["host"] == host


def _client(asgi: Any, host: str = "127.0.0.1") -> TestClient:
    return TestClient(asgi, base_url=f"http://{host}", raise_server_exceptions=False)


def test_serve_token_option_is_enforced(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(
        app, ["serve", "--store", str(store_dir), "--host", "0.0.0.0", "--token", TOKEN]
    )
    assert r.exit_code == 0, r.output
    with _client(calls[0]["app"]) as c:
        assert c.get("/api/facets").status_code == 401
        ok = c.get("/api/facets", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


def test_serve_token_on_loopback_is_enforced(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(app, ["serve", "--store", str(store_dir)], env={"SEAWATCH_TOKEN": TOKEN})
    assert r.exit_code == 0, r.output
    with _client(calls[0]["app"]) as c:
        assert c.get("/api/facets").status_code == 401


def test_serve_refuses_a_weak_token(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(
        app, ["serve", "--store", str(store_dir), "--host", "0.0.0.0", "--token", "short"]
    )
    assert r.exit_code == 2 and "16 to 256" in r.output
    assert calls == []


def test_serve_allowed_hosts(store_dir: Path, calls: list[dict[str, Any]]) -> None:
    r = CliRunner().invoke(
        app,
        [
            "serve", "--store", str(store_dir), "--host", "box.lan",
            "--allowed-host", "maps.example.org", "--allowed-host", "other.example",
        ],
        env={"SEAWATCH_TOKEN": TOKEN},
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    for host, status in [
        ("box.lan:8000", 200),
        ("maps.example.org", 200),
        ("other.example", 200),
        ("localhost:8000", 200),
        ("evil.example", 400),
    ]:
        with _client(calls[0]["app"], host) as c:
            assert c.get("/api/facets", headers=bearer).status_code == status, host


def test_serve_user_zones(store_dir: Path, calls: list[dict[str, Any]], tmp_path: Path) -> None:
    ring = [[-60.0, 12.0], [-59.0, 12.0], [-59.0, 13.0], [-60.0, 12.0]]
    doc = {
        "type": "Feature",
        "properties": {"name": "my-patrol-box"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    zf = tmp_path / "z.geojson"
    zf.write_text(json.dumps(doc), encoding="utf-8")
    r = CliRunner().invoke(app, ["serve", "--store", str(store_dir), "--zones", str(zf)])
    assert r.exit_code == 0, r.output
    with _client(calls[0]["app"]) as c:
        got = c.get("/api/zones?kind=user")
        if got.status_code == 503:
            pytest.skip("no bundled geography")
        feats = got.json()["features"]
        assert [f["properties"]["name"] for f in feats] == ["my-patrol-box"]


def test_serve_bad_zone_file(store_dir: Path, calls: list[dict[str, Any]], tmp_path: Path) -> None:
    zf = tmp_path / "z.geojson"
    zf.write_text('{"type": "Feature"}', encoding="utf-8")
    r = CliRunner().invoke(app, ["serve", "--store", str(store_dir), "--zones", str(zf)])
    assert r.exit_code == 1
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert calls == []


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


def test_demo_serve_beyond_loopback_needs_a_token_before_any_work(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    store = tmp_path / "demo"
    r = CliRunner().invoke(
        app,
        ["demo", "--store", str(store), "--serve", "--host", "0.0.0.0"],
        env={"SEAWATCH_TOKEN": ""},
    )
    assert r.exit_code == 2 and "token" in r.output
    assert not store.exists() and calls == []
