"""The prepared land, port, region and zone indexes: cached on disk once, memory-mapped afterwards, with
the same answers; a missing, partial or foreign cache folder falls back to building."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from seawatch.geo import _api, _cache, _zones


def _answers(land: _api._Land, lat: np.ndarray, lon: np.ndarray) -> tuple[object, ...]:
    d, i = land.coast.nearest(lat, lon)
    return tuple(land.inside.first(lat, lon).tolist()), tuple(d.tolist()), tuple(i.tolist())


@pytest.fixture
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    return rng.uniform(-60, 70, 3000), rng.uniform(-180, 180, 3000)


def test_land_index_cached_then_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, points: tuple[np.ndarray, np.ndarray]
) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path))
    built = _api._Land()
    folders = list(tmp_path.glob("land-*"))
    assert len(folders) == 1 and (folders[0] / "complete").is_file()
    assert not list(tmp_path.glob(".*tmp"))
    loaded = _api._Land()
    assert loaded._rings is None  # loaded prepared: the polygons were not decoded
    assert _answers(loaded, *points) == _answers(built, *points)
    assert loaded.rings.ngeom == built.rings.ngeom


def test_cache_off_and_incomplete_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, points: tuple[np.ndarray, np.ndarray]
) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, "")
    assert _cache.cache_root() is None
    off = _api._Land()
    # an interrupted writer leaves no "complete" mark: ignored, rebuilt, then completed
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path))
    key = _cache.index_key("land", [_api.data_dir() / "land.npz"])
    (tmp_path / f"land-{key}").mkdir(parents=True)
    assert _cache.load("land", key) is None
    again = _api._Land()
    assert _answers(again, *points) == _answers(off, *points)


def test_key_follows_the_data(tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"one")
    k1 = _cache.index_key("x", [a])
    a.write_bytes(b"two")
    assert _cache.index_key("x", [a]) != k1
    assert _cache.index_key("y", [a]) != _cache.index_key("x", [a])


def test_ports_index_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path))
    built = _api._Ports()
    loaded = _api._Ports()
    assert len(list(tmp_path.glob("ports-*"))) == 1
    lat = np.array([10.5, 18.4, -33.0, np.nan])
    lon = np.array([-66.9, -66.1, 151.2, 0.0])
    d1, i1 = built.index.nearest(lat, lon)
    d2, i2 = loaded.index.nearest(lat, lon)
    assert np.array_equal(d1, d2, equal_nan=True) and np.array_equal(i1, i2)


def test_stale_versions_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path))
    old = tmp_path / "idx-old"
    recent = tmp_path / "idx-recent"
    for d in (old, recent):
        d.mkdir()
        (d / "complete").write_text("ok\n")
    past = old.stat().st_mtime - _cache.STALE_S - 10
    os.utime(old, (past, past))
    _cache.save("idx", "new", {"a": np.arange(3)})
    assert not old.exists() and recent.exists()
    loaded = _cache.load("idx", "new")
    assert loaded is not None and list(loaded["a"]) == [0, 1, 2]


def test_region_and_zone_indexes_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, points: tuple[np.ndarray, np.ndarray]
) -> None:
    monkeypatch.setenv(_cache.CACHE_ENV, str(tmp_path))
    lat, lon = (
        np.concatenate([points[0], np.linspace(-20, 35, 4000)]),
        np.concatenate([points[1], np.linspace(-120, -50, 4000)]),
    )
    built_r = _api._Regions()
    loaded_r = _api._Regions()
    assert len(list(tmp_path.glob("regions-*"))) == 1
    assert np.array_equal(built_r.index.first(lat, lon), loaded_r.index.first(lat, lon))
    zones = _zones._bundled_zones()
    files = (_api.data_dir() / "regions.npz", _api.data_dir() / "zones.npz")
    built_z = _zones.ZoneSet(zones, cache_files=files)
    b = built_z.membership(lat, lon)
    assert len(list(tmp_path.glob("zones-*"))) == 1
    loaded_z = _zones.ZoneSet(zones, cache_files=files)
    loaded_idx = loaded_z._idx()
    assert isinstance(loaded_idx._cell_start, np.ndarray)
    got = loaded_z.membership(lat, lon)
    assert len(b[0]) > 1000 and all(np.array_equal(x, y) for x, y in zip(b, got, strict=True))
    # a set without cache files (user zones) is built in memory and writes nothing
    _zones.ZoneSet(zones[:5]).membership(lat, lon)
    assert len(list(tmp_path.glob("zones-*"))) == 1
