"""A directory with a stray file: the stray is one counted reject, the rest is ingested."""

from __future__ import annotations

import os
from functools import reduce
from pathlib import Path

import pytest

from seawatch._exceptions import SourceError
from seawatch.store import open_store

SENTENCE = "!AIVDM,1,1,,B,15Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*63"
"""A type 1 position report of MMSI 356302000."""


def _tagged(epoch_s: int) -> str:
    body = f"c:{epoch_s}"
    cs = reduce(lambda a, c: a ^ ord(c), body, 0)
    return f"\\{body}*{cs:02X}\\{SENTENCE}"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.nmea").write_text("\n".join(_tagged(1765180800 + 60 * i) for i in range(5)))
    (folder / "notes.txt").write_text("hello, this is not AIS\n")
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 40)
    return folder


def test_stray_files_are_rejects_and_the_rest_is_ingested(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest([folder])
    assert summary.files_ingested == 1 and summary.files_rejected == 2
    assert summary.rejects_by_reason == {"unknown_format": 2}
    assert summary.positions == 5
    rejects = open_store(tmp_path / "s").rejects().to_pylist()
    assert sorted(Path(r["source"]).name for r in rejects) == ["blob.bin", "notes.txt"]
    assert all(r["reason"] == "unknown_format" and r["line_no"] is None for r in rejects)
    assert all("cannot recognise" in r["raw"] for r in rejects)
    # a re-run neither ingests nor rejects anything twice
    again = open_store(tmp_path / "s").ingest([folder])
    assert again.files_skipped == 1 and again.files_rejected == 2 and again.rejects == 0
    assert open_store(tmp_path / "s").rejects().num_rows == 2
    # read with an explicit format, the stray file is read again (and its lines rejected)
    assert open_store(tmp_path / "s").ingest([folder / "notes.txt"], fmt="nmea").rejects >= 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file_is_a_reject(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    locked = folder / "locked.nmea"
    locked.write_text(_tagged(1765180800))
    locked.chmod(0)
    summary = open_store(tmp_path / "s", create=True).ingest([folder])
    assert summary.rejects_by_reason == {"unknown_format": 2, "unreadable_input": 1}
    assert summary.positions == 5


def test_only_unusable_inputs_is_an_error_and_commits_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    store = open_store(tmp_path / "s", create=True)
    with pytest.raises(SourceError, match="cannot recognise"):
        store.ingest([junk])
    assert open_store(tmp_path / "s").rejects().num_rows == 0
