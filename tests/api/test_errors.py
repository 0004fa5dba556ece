"""Every error has one shape: {"error": {"status", "title", "detail"[, "errors"]}}."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from seawatch._exceptions import StoreError
from seawatch.api import create_app, error_body


def check_shape(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["status"] == status
    assert isinstance(err["title"], str) and err["title"]
    assert isinstance(err["detail"], str) and err["detail"]
    assert set(err) <= {"status", "title", "detail", "errors"}
    return dict(err)


def test_error_body() -> None:
    assert error_body(404, "no such thing") == {
        "error": {"status": 404, "title": "Not Found", "detail": "no such thing"}
    }
    assert error_body(599, "odd")["error"]["title"] == "Error"


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/api/events/does-not-exist", "does-not-exist"),
        ("/api/vessels/123456789", "123456789"),
        ("/api/vessels/123456789/track", "123456789"),
        ("/api/nothing-here", "Not Found"),
        ("/static/missing.js", "Not Found"),
    ],
)
def test_404(client: TestClient, path: str, needle: str) -> None:
    assert needle in check_shape(client.get(path), 404)["detail"]


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/api/events?limit=0", ["query", "limit"]),
        ("/api/events?limit=abc", ["query", "limit"]),
        ("/api/events?offset=-1", ["query", "offset"]),
        ("/api/events?since=yesterday", ["query", "since"]),
        ("/api/events?vessel=-5", ["query", "vessel"]),
        ("/api/vessels/notanumber", ["path", "mmsi"]),
        ("/api/vessels/99999999999", ["path", "mmsi"]),
        ("/api/vessels", ["query", "q"]),
        ("/api/vessels/311000001/track?zoom=99", ["query", "zoom"]),
        ("/api/report?format=xml", ["query", "format"]),
    ],
)
def test_422_validation(client: TestClient, path: str, loc: list[str]) -> None:
    err = check_shape(client.get(path), 422)
    assert loc in [e["loc"] for e in err["errors"]]
    assert all(isinstance(e["msg"], str) for e in err["errors"])


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("/api/events?bbox=1,2,3", "bbox"),
        ("/api/events?bbox=a,b,c,d", "bbox"),
        ("/api/events?bbox=0,10,1,5", "latitudes"),
        ("/api/events?since=2022-01-05T00:00:00Z&until=2022-01-04T00:00:00Z", "until"),
        ("/api/report?by=colour", "colour"),
    ],
)
def test_422_bad_parameter_values(client: TestClient, path: str, needle: str) -> None:
    assert needle in check_shape(client.get(path), 422)["detail"]


def test_405(client: TestClient) -> None:
    check_shape(client.post("/api/events"), 405)


@pytest.fixture
def fragile_client(store_dir: Path) -> Iterator[tuple[TestClient, Any]]:
    app = create_app(store_dir)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c, app.state.data


def test_500_unexpected_error(
    fragile_client: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, data = fragile_client

    def boom() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(data, "facets", boom)
    err = check_shape(c.get("/api/facets"), 500)
    assert "secret" not in err["detail"]  # no internals leak


def test_500_seawatch_error(
    fragile_client: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    c, data = fragile_client

    def broken() -> None:
        raise StoreError("the store is inconsistent")

    monkeypatch.setattr(data, "facets", broken)
    assert "inconsistent" in check_shape(c.get("/api/facets"), 500)["detail"]


def test_503_when_the_geography_is_missing(
    fragile_client: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import seawatch.geo
    from seawatch.api import _shapes

    c, _ = fragile_client
    _shapes.zones_geojson.cache_clear()
    monkeypatch.delattr(seawatch.geo, "zones", raising=False)
    monkeypatch.setattr(seawatch.geo, "__getattr__", _no_attr, raising=False)
    try:
        assert "geography" in check_shape(c.get("/api/zones?detail=low"), 503)["detail"]
        check_shape(c.get("/api/presence?country=VE"), 503)
    finally:
        _shapes.zones_geojson.cache_clear()


def _no_attr(name: str) -> Any:
    raise AttributeError(name)
