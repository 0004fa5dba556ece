"""User watchlists: checked whole when added (the bad row named), parsed once per version
of their files, and a malformed list already in a store skipped with one warning, never an
error for whoever reads the store (CLI, API)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawatch._exceptions import SourceError
from seawatch.cli import app
from seawatch.watchlist import _lists, add_list, all_lists, store_lists

GOOD = "imo,mmsi,name,flag\n9074729,,OCEAN GLORY,PA\n,244000001,,\n"


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (GOOD + ",,X,VE\nIMO12X,,BAD,VE\n", ["line 5", "imo 'IMO12X'", "row: 'IMO12X,,BAD,VE'"]),
        (GOOD + "1,2\n,abc,,\n", ["line 5", "mmsi 'abc'", "row: ',abc,,'"]),
        (GOOD + ",,A,Venezuela\n", ["line 4", "flag 'VENEZUELA'", "row: ',,A,Venezuela'"]),
        (GOOD + "9074729,1,A,VE,extra\n", ["line 4", "5 fields", "header has 4"]),
        (GOOD + ",," + "N" * 500 + ",VEN\n", ["line 4", "...'"]),
        (GOOD + '"unclosed,1,2,3\n', ["line 4", "imo 'unclosed"]),
        ('imo,name\n1234567,A\n1,"' + "x" * 200_000 + '"\n', ["line 3", "not CSV"]),
    ],
)
def test_add_refuses_a_malformed_list_naming_the_row(
    tmp_path: Path, text: str, needles: list[str]
) -> None:
    src = tmp_path / "l.csv"
    src.write_text(text, encoding="utf-8")
    store = tmp_path / "store"
    with pytest.raises(SourceError) as info:
        add_list(store, src, name="l")
    msg = str(info.value)
    assert "\n" not in msg and str(src) in msg
    for needle in needles:
        assert needle in msg, msg
    assert len(msg) < 400
    assert not (store / "watchlists" / "l.csv").exists()
    # the CLI: one line, exit 1, nothing stored
    res = CliRunner().invoke(
        app, ["watchlist", "add", str(src), "--name", "l", "--store", str(store)]
    )
    assert res.exit_code == 1
    assert len(res.output.strip().splitlines()) == 1 and "Traceback" not in res.output
    assert not (store / "watchlists" / "l.csv").exists()


def test_add_refuses_a_list_that_is_not_utf8(tmp_path: Path) -> None:
    src = tmp_path / "l.csv"
    src.write_bytes(b"imo,name\n1234567,\xff\xfe\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        add_list(tmp_path / "store", src, name="l")


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = _lists._parse_rows

    def counting(text: str, *, name: str, canonical: bool) -> object:
        seen.append(name)
        return real(text, name=name, canonical=canonical)

    monkeypatch.setattr(_lists, "_parse_rows", counting)
    return seen


def test_store_lists_are_parsed_once_per_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "l.csv"
    src.write_text(GOOD, encoding="utf-8")
    store = tmp_path / "store"
    add_list(store, src, name="mine", date_="2024-01-01")
    seen = _count_parses(monkeypatch)
    first = store_lists(store)
    for _ in range(5):
        assert store_lists(store) == first
    assert seen == ["mine"]
    # a new version (replaced by add, atomically) is read again
    src.write_text(GOOD + ",,THIRD,VE\n", encoding="utf-8")
    add_list(store, src, name="mine", date_="2024-02-01")
    (again,) = store_lists(store)
    assert len(again) == 3 and again.date == "2024-02-01"
    assert seen.count("mine") == 3  # add checks the new file, then the new version is read
    store_lists(store)
    assert seen.count("mine") == 3


@pytest.mark.parametrize(
    ("csv_text", "meta_text", "needle"),
    [
        ("entry_id,imo,mmsi,name,flag\nx-1,notanumber,,A,VE\n", None, "imo 'notanumber'"),
        ("entry_id,imo\nx-1,1234567\n", "{not json", "not valid JSON"),
        ("entry_id,imo\nx-1,1234567\n", "[1, 2]", "not a JSON object"),
        ("foo,bar\n1,2\n", None, "needs at least one of the columns"),
    ],
)
def test_a_malformed_list_in_a_store_is_skipped_with_one_warning(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    csv_text: str,
    meta_text: str | None,
    needle: str,
) -> None:
    store = tmp_path / "store"
    src = tmp_path / "good.csv"
    src.write_text(GOOD, encoding="utf-8")
    add_list(store, src, name="good")
    folder = store / "watchlists"
    (folder / "broken.csv").write_text(csv_text, encoding="utf-8")
    if meta_text is not None:
        (folder / "broken.json").write_text(meta_text, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="seawatch.watchlist"):
        problems: list[str] = []
        names = [w.name for w in all_lists(store, problems=problems)]
        for _ in range(3):
            assert [w.name for w in all_lists(store)] == names
    assert names == ["ofac_sdn", "good"]
    assert len(problems) == 1 and "broken" in problems[0] and needle in problems[0]
    logged = [r.getMessage() for r in caplog.records if "broken" in r.getMessage()]
    assert len(logged) == 1  # once per version of the files, not per read
    # the CLI warns and goes on
    res = CliRunner().invoke(app, ["watchlist", "list", "--store", str(store), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "warning: watchlist 'broken'" in res.output
    rows = json.loads(res.stdout)
    assert [r["name"] for r in rows] == ["ofac_sdn", "good"]


def test_a_list_that_is_not_utf8_in_a_store_is_skipped(tmp_path: Path) -> None:
    folder = tmp_path / "store" / "watchlists"
    folder.mkdir(parents=True)
    (folder / "bin.csv").write_bytes(b"imo\n\xff\xfe\x00\n")
    problems: list[str] = []
    assert store_lists(tmp_path / "store", problems=problems) == []
    assert "not UTF-8" in problems[0]
