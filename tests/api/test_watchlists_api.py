"""/api/vessels/{mmsi} and the store's user watchlists: each list is parsed once per version,
and a malformed list is skipped (logged once), never a 500 that leaks its error text."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seawatch.api import create_app
from seawatch.watchlist import _lists, _screen, add_list
from tests.api._apistore import build_store

LOCAL = "http://127.0.0.1"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = build_store(tmp_path / "s")
    src = tmp_path / "list.csv"
    src.write_text("imo,name,flag,program\n9400002,LIBERIA TRADER,LR,TEST\n", encoding="utf-8")
    add_list(root, src, name="mylist", date_="2026-01-01")
    return root


def test_a_malformed_list_is_skipped_not_a_500(root: Path) -> None:
    (root / "watchlists" / "broken.csv").write_text(
        "entry_id,imo,name\nb-1,NOT-AN-IMO,X\n", encoding="utf-8"
    )
    with TestClient(create_app(root), base_url=LOCAL, raise_server_exceptions=False) as c:
        for _ in range(3):
            r = c.get("/api/vessels/636000003")
            assert r.status_code == 200, r.text
            assert "SourceError" not in r.text and "NOT-AN-IMO" not in r.text
            w = r.json()["watchlist"]
            assert [x["name"] for x in w["lists"]] == ["ofac_sdn", "mylist"]
            assert w["status"] == "hit"  # the good list still screens


def test_lists_are_parsed_and_indexed_once(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    indexed: list[int] = []
    real_parse, real_index = _lists._parse_rows, _screen._build_index

    def parse(text: str, *, name: str, canonical: bool) -> object:
        parsed.append(name)
        return real_parse(text, name=name, canonical=canonical)

    def index(entries: object) -> object:
        indexed.append(id(entries))
        return real_index(entries)

    monkeypatch.setattr(_lists, "_parse_rows", parse)
    monkeypatch.setattr(_screen, "_build_index", index)
    with TestClient(create_app(root), base_url=LOCAL) as c:
        for _ in range(10):
            assert c.get("/api/vessels/636000003").json()["watchlist"]["status"] == "hit"
        assert parsed.count("mylist") == 1
        assert len(indexed) == len(set(indexed)) <= 2  # each list indexed once at most
        # a replaced list is read again, once
        src = root.parent / "list2.csv"
        src.write_text("imo,name,flag\n9400002,OTHER,LR\n", encoding="utf-8")
        add_list(root, src, name="mylist", date_="2026-02-01")
        n = parsed.count("mylist")
        for _ in range(5):
            w = c.get("/api/vessels/636000003").json()["watchlist"]
            assert {"name": "mylist", "date": "2026-02-01"} in w["lists"]
        assert parsed.count("mylist") == n + 1
