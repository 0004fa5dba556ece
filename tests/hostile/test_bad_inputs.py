"""One bad value, line or file never sinks more than itself (issue #14 §4, issue #8 §4).

Each test builds the hostile input of one finding and asserts that the valid rows are all
stored, that the damage is a counted reject with a reason, and that errors are one line.
"""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import reduce
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from seawatch import schema
from seawatch._exceptions import GeoError
from seawatch.detect.spoofing import spoofing
from seawatch.geo._zones import load_zone_file
from seawatch.store import open_store

from ._inputkit import HEADER, T0, cli, fingerprint, ok, one_line_error, rows, write_csv

SENTENCE = "!AIVDM,1,1,,B,15Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*63"
"""A type 1 position report of MMSI 356302000."""


def _tagged(epoch_s: int) -> str:
    body = f"c:{epoch_s}"
    cs = reduce(lambda a, c: a ^ ord(c), body, 0)
    return f"\\{body}*{cs:02X}\\{SENTENCE}"


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail instead of hanging forever (a FIFO read blocks)."""

    def boom(*_: Any) -> None:
        raise TimeoutError("ingest hung")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _rejects(root: Path) -> list[dict[str, Any]]:
    rejects: list[dict[str, Any]] = open_store(root).rejects().to_pylist()
    return rejects


# ------------------------------------------------------------------------------------
# one plausible-time window on every input path


def test_csv_years_0001_and_9999_are_bad_value_rejects(tmp_path: Path) -> None:
    good = rows(244_000_001, 20)
    bad = [
        (244_000_002, "9999-12-31T23:59:59", "10.0", "-60.0", 5, 90, 90, "", ""),
        (244_000_003, "0001-01-01T00:00:00", "10.0", "-60.0", 5, 90, 90, "", ""),
        (244_000_004, "1979-12-31T23:59:59", "10.0", "-60.0", 5, 90, 90, "", ""),
        (244_000_005, "2100-01-01T00:00:00", "10.0", "-60.0", 5, 90, 90, "", ""),
    ]
    src = write_csv(tmp_path / "years.csv", [*good[:10], *bad, *good[10:]])
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(src))
    st = open_store(root)
    assert st.days() == [T0.date()]  # no day partition in year 1 or 9999
    assert st.positions().num_rows == 20
    rejects = _rejects(root)
    assert sorted(r["line_no"] for r in rejects) == [12, 13, 14, 15]
    assert {r["reason"] for r in rejects} == {"bad_value"}
    raws = {r["line_no"]: r["raw"] for r in rejects}
    assert "9999-12-31T23:59:59" in raws[12] and "0001-01-01" in raws[13]
    # detect runs over the store (it failed with "year 10000 is out of range")
    result = cli("detect", "--store", str(root), "--only", "encounter", "--workers", "1")
    assert result.exit_code == 0, result.output


def test_detect_survives_an_old_store_with_year_9999(tmp_path: Path) -> None:
    """A store written before the window existed may hold a year-9999 day partition:
    detect leaves it out instead of failing for the whole store."""
    root = tmp_path / "s"
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 30) + rows(244_000_002, 30, lat=10.701))
    ok("ingest", "--store", str(root), str(src))
    st = open_store(root)
    manifest = st.manifest()
    good = st.positions().slice(0, 5)
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    bad = good.set_column(1, "ts", pa.array([far] * 5, schema.TS))
    rel = "positions/day=9999-12-31/part-old.parquet"
    (root / rel).parent.mkdir(parents=True)
    pq.write_table(bad, root / rel)
    manifest["tables"]["positions"]["9999-12-31"] = [rel]
    (root / "manifest.json").write_text(json.dumps(manifest))
    result = cli("detect", "--store", str(root), "--only", "encounter", "--workers", "1")
    assert result.exit_code == 0, result.output


def test_parquet_in_store_schema_out_of_window_rows_are_rejected(tmp_path: Path) -> None:
    n = 6
    ts = [T0 + timedelta(minutes=i) for i in range(n)]
    us = [int(t.timestamp() * 1_000_000) for t in ts]
    us[2] = 253_402_300_799_000_000  # 9999-12-31T23:59:59
    us[4] = -62_135_596_800_000_000  # 0001-01-01
    table = pa.table(
        {
            "mmsi": pa.array([244_000_010] * n, pa.uint32()),
            "ts": pa.array(us, pa.int64()).cast(schema.TS),
            "lat": [10.0] * n,
            "lon": [-60.0] * n,
            "sog_kn": pa.array([1.0] * n, pa.float32()),
            "cog_deg": pa.array([1.0] * n, pa.float32()),
            "heading_deg": pa.array([1] * n, pa.uint16()),
            "nav_status": pa.array([0] * n, pa.uint8()),
            "msg_type": pa.array([1] * n, pa.uint8()),
            "source": pa.array(["x"] * n).dictionary_encode(),
            "station": pa.array(["x"] * n).dictionary_encode(),
        }
    ).cast(schema.POSITIONS)
    pq.write_table(table, tmp_path / "p.parquet")
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(tmp_path / "p.parquet"))
    st = open_store(root)
    assert st.positions().num_rows == 4
    assert st.days() == [T0.date()]
    rejects = _rejects(root)
    assert [(r["line_no"], r["reason"]) for r in rejects] == [(3, "bad_value"), (5, "bad_value")]


def test_nmea_epoch_times_before_1980_are_bad_value(tmp_path: Path) -> None:
    src = tmp_path / "t.nmea"
    src.write_text(_tagged(1) + "\n" + _tagged(1_599_239_526) + "\n")
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(src))
    st = open_store(root)
    assert st.positions().num_rows == 1
    assert [r["reason"] for r in _rejects(root)] == ["bad_value"]
    assert st.days() == [datetime(2020, 9, 4, tzinfo=UTC).date()]


def test_time_option_outside_window_is_one_line_error(tmp_path: Path) -> None:
    src = tmp_path / "u.nmea"
    src.write_text(SENTENCE + "\n")
    result = cli("ingest", "--store", str(tmp_path / "s"), "--time", "1970-01-01", str(src))
    assert "plausible window" in one_line_error(result)
    assert not (tmp_path / "s").exists()


# ------------------------------------------------------------------------------------
# one bad line in a CSV


def test_unbalanced_quote_drops_only_its_line(tmp_path: Path) -> None:
    lines = [",".join(HEADER)]
    n = 50_000
    for i in range(n):
        ts = (T0 + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S")
        lines.append(f"{244_000_000 + i % 500},{ts},10.0,{-60.0 + i * 1e-6:.6f},5,90,90,,")
    lines[1001] = lines[1001].replace(",5,90", ',"5,90')  # an unbalanced quote, line 1002
    lines[2001] = lines[2001][:-1] + '"MV ""ALPHA""",70'  # a well-quoted name, line 2002
    src = tmp_path / "q.csv"
    src.write_text("\n".join(lines) + "\n")
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(src))
    st = open_store(root)
    assert st.positions().num_rows == n - 1
    rejects = _rejects(root)
    assert [(r["line_no"], r["reason"]) for r in rejects] == [(1002, "csv_row")]
    assert len(rejects[0]["raw"]) < 200
    assert 'MV "ALPHA"' in st.statics().column("name").to_pylist()


def test_line_numbers_stay_right_around_bad_lines(tmp_path: Path) -> None:
    good = [",".join(str(v) for v in r) for r in rows(244_000_001, 6)]
    body = [good[0], 'x,"y', good[1], "", "   ", good[2], "a,b", "1,2\r3,4", good[3]]
    src = tmp_path / "l.csv"
    src.write_bytes(("\n".join([",".join(HEADER), *body]) + "\n").encode())
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(src))
    assert open_store(root).positions().num_rows == 4
    assert sorted(r["line_no"] for r in _rejects(root)) == [3, 8, 9]


# ------------------------------------------------------------------------------------
# line length


def _long_line_case(tmp_path: Path, size: int) -> tuple[Path, Path, Path]:
    nmea = tmp_path / "long.nmea"
    with open(nmea, "wb") as f:
        f.write((_tagged(1_599_239_526) + "\n").encode())
        f.write(b"!AIVDM," + b"A" * size + b"\n")
        f.write((_tagged(1_599_239_600) + "\n").encode())
    csv_path = tmp_path / "long.csv"
    good = [",".join(str(v) for v in r) for r in rows(244_000_001, 3)]
    with open(csv_path, "wb") as f:
        f.write((",".join(HEADER) + "\n" + good[0] + "\n").encode())
        f.write(good[1].replace(",,", "," + "N" * size + ",", 1).encode() + b"\n")
        f.write((good[2] + "\n").encode())
    return nmea, csv_path, tmp_path / "s"


def _check_long_line(root: Path, size: int) -> None:
    st = open_store(root)
    assert st.positions().num_rows == 2 + 2
    rejects = _rejects(root)
    assert sorted((r["line_no"], r["reason"]) for r in rejects) == [
        (2, "line_length"),
        (3, "line_length"),
    ]
    for r in rejects:
        assert len(r["raw"]) < schema.MAX_RAW_CHARS
        assert "sha256" in r["raw"] and f"{size // 1000}" in r["raw"].replace(",", "")


def test_long_lines_are_capped(tmp_path: Path) -> None:
    size = 5_000_000
    nmea, csv_path, root = _long_line_case(tmp_path, size)
    ok("ingest", "--store", str(root), str(nmea), str(csv_path))
    _check_long_line(root, size)


@pytest.mark.slow
def test_200mb_nmea_line_and_60mb_csv_field_stay_small_in_memory(tmp_path: Path) -> None:
    """Peak memory of the ingest child process with the huge lines stays close to that of
    one with small lines (it ran out of memory before)."""

    def rss_kb(*args: str) -> int:
        code = (
            "import sys\n"
            "from seawatch.cli import app\n"
            "try:\n    app(sys.argv[1:], prog_name='seawatch')\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            # VmHWM: this process's peak RSS (ru_maxrss would start at the forking parent's)
            "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
            "print(int(hwm.split()[1]))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
        )
        return int(out.stdout.strip().splitlines()[-1])

    (tmp_path / "small").mkdir()
    small_nmea, small_csv, small_root = _long_line_case(tmp_path / "small", 10)
    base = rss_kb("ingest", "--store", str(small_root), str(small_nmea), str(small_csv))
    (tmp_path / "big").mkdir()
    nmea = tmp_path / "big" / "long.nmea"
    with open(nmea, "wb") as f:
        f.write((_tagged(1_599_239_526) + "\n").encode())
        f.write(b"!AIVDM,")
        for _ in range(200):
            f.write(b"A" * 1_000_000)
        f.write(b"\n" + (_tagged(1_599_239_600) + "\n").encode())
    _, csv_path, _ = _long_line_case(tmp_path / "big", 60_000_000)
    root = tmp_path / "big" / "s"
    peak = rss_kb("ingest", "--store", str(root), str(nmea), str(csv_path))
    print(f"peak RSS: small lines {base} kB, 200 MB line + 60 MB field {peak} kB")
    assert peak < base + 150_000, (base, peak)
    assert open_store(root).positions().num_rows == 4


# ------------------------------------------------------------------------------------
# damaged compressed inputs


N_DAMAGED = 40_000


def _nmea_body(n: int) -> bytes:
    start = 1_599_239_526
    return "".join(_tagged(start + 60 * i) + "\n" for i in range(n)).encode()


@pytest.mark.parametrize(
    ("kind", "damage"),
    [
        ("gz", "truncated"),
        ("bz2", "truncated"),
        ("zst", "truncated"),
        ("gz", "junk"),
        ("zst", "junk"),
    ],
)
def test_damaged_compressed_file_keeps_its_good_part(
    tmp_path: Path, kind: str, damage: str
) -> None:
    body = _nmea_body(N_DAMAGED)
    compress: dict[str, Callable[[bytes], bytes]] = {
        "gz": gzip.compress,
        "bz2": bz2.compress,
        "zst": zstandard.ZstdCompressor().compress,
    }
    packed = compress[kind](body)
    packed = packed[: len(packed) * 2 // 3] if damage == "truncated" else packed + b"JUNK" * 10
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / f"a-damaged.nmea.{kind}").write_bytes(packed)
    good = write_csv(folder / "b-good.csv", rows(244_000_001, 50))
    root = tmp_path / "s"
    result = ok("ingest", "--store", str(root), str(folder))
    assert "Traceback" not in result.output
    assert "warning" in result.stderr and "damaged" in result.stderr
    st = open_store(root)
    n_csv = 50
    n_nmea = st.positions().num_rows - n_csv
    if damage == "truncated":
        assert 0 < n_nmea < N_DAMAGED  # the good part is kept
    else:
        assert n_nmea == N_DAMAGED  # junk after a complete stream loses nothing
    damaged = [r for r in _rejects(root) if r["reason"] == "damaged_input"]
    assert len(damaged) == 1 and f"a-damaged.nmea.{kind}" in damaged[0]["raw"]
    assert good.name in {Path(s["path"]).name for s in st.manifest()["sources"].values()}


def _parquet_damaged_in_the_middle(path: Path, n: int = 200_000) -> int:
    """A Parquet file of ``n`` rows in row groups of 70,000 whose third group's pages are
    overwritten; returns the rows readable before the damage."""
    ts = pa.array(np.arange(n, dtype=np.int64) * 1_000_000 + 1_735_689_600_000_000)
    table = pa.table(
        {
            "mmsi": np.full(n, 311_000_001, np.int64),
            "ts": ts.cast(pa.timestamp("us", tz="UTC")).cast(pa.string()),
            "lat": np.linspace(10, 11, n),
            "lon": np.linspace(-66, -65, n),
        }
    )
    pq.write_table(table, path, row_group_size=70_000, compression="none")
    offset = pq.ParquetFile(path).metadata.row_group(2).column(2).data_page_offset
    data = bytearray(path.read_bytes())
    data[offset : offset + 2_000] = b"\xab" * 2_000
    path.write_bytes(bytes(data))
    return 131_072  # two 65,536-row batches come out before the third group


def test_a_file_that_fails_after_its_format_is_known_sinks_nothing_else(tmp_path: Path) -> None:
    # before: a corrupt Parquet footer or page (or a damaged GeoPackage) raised out of the
    # whole ingest, so the good files given with it were not ingested either
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-footer.parquet").write_bytes(b"PAR1" + b"\x00" * 64)
    kept = _parquet_damaged_in_the_middle(folder / "b-middle.parquet")
    (folder / "c-broken.gpkg").write_bytes(
        b"SQLite format 3\x00" + b"\x00" * 52 + b"GPKG" + b"\x00" * 200
    )
    write_csv(folder / "d-good.csv", rows(244_000_001, 50))
    root = tmp_path / "s"
    result = ok("ingest", "--store", str(root), str(folder))
    assert "Traceback" not in result.output
    st = open_store(root)
    assert st.positions().num_rows == 50 + kept
    by_reason: dict[str, list[str]] = {}
    for r in _rejects(root):
        by_reason.setdefault(r["reason"], []).append(r["raw"])
    unreadable = sorted(Path(r.split(":")[0]).name for r in by_reason["unreadable_input"])
    assert unreadable == ["a-footer.parquet", "c-broken.gpkg"]
    (damaged,) = by_reason["damaged_input"]
    assert "b-middle.parquet" in damaged and f"{kept:,} rows read before it are kept" in damaged
    assert "damaged" in result.stderr and "a-footer.parquet" in result.stderr
    # recorded: a re-run neither reads nor counts them again
    before = len(_rejects(root))
    again = ok("ingest", "--store", str(root), str(folder))
    assert "Traceback" not in again.output
    assert len(_rejects(root)) == before
    assert open_store(root).positions().num_rows == 50 + kept


# ------------------------------------------------------------------------------------
# special files


def test_fifo_and_device_links_are_skipped(tmp_path: Path, alarm: None) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "feed.fifo")
    (folder / "zero.nmea").symlink_to("/dev/zero")
    (folder / "dangling.csv").symlink_to(tmp_path / "nowhere")
    write_csv(folder / "good.csv", rows(244_000_001, 10))
    root = tmp_path / "s"
    result = ok("ingest", "--store", str(root), str(folder))
    assert result.stderr.count("not a regular file") == 3
    assert open_store(root).positions().num_rows == 10
    # given directly, too
    result = ok("ingest", "--store", str(root), str(folder / "feed.fifo"))
    assert "not a regular file" in result.stderr


# ------------------------------------------------------------------------------------
# one-line errors


def test_binary_garbage_is_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 20_000, dtype=np.uint8)))
    root = tmp_path / "s"
    one_line_error(cli("ingest", "--store", str(root), str(junk)))
    one_line_error(cli("ingest", "--store", str(root), "--format", "csv", str(junk)))
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"mmsi,ts,\x00lat,lon\n1,2,3,4\n")
    one_line_error(cli("ingest", "--store", str(root), "--format", "csv", str(nul)))
    assert not root.exists()  # a failed first ingest leaves no empty store behind


def test_disk_full_is_one_line_error_and_store_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(write_csv(tmp_path / "a.csv", rows(244_000_001, 10))))
    before = fingerprint(root)

    def full(*_: Any, **__: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    import seawatch.store._ingest as ingest_mod

    monkeypatch.setattr(ingest_mod, "write_parquet_plain", full)
    src = write_csv(tmp_path / "b.csv", rows(244_000_002, 10))
    line = one_line_error(cli("ingest", "--store", str(root), str(src)))
    assert "No space left on device" in line
    monkeypatch.undo()
    assert fingerprint(root) == before
    ok("ingest", "--store", str(root), str(src))  # and the next ingest works
    assert open_store(root).positions().num_rows == 20


def test_ctrl_c_during_ingest_is_one_line_and_store_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(write_csv(tmp_path / "a.csv", rows(244_000_001, 10))))
    before = fingerprint(root)
    import seawatch.store._ingest as ingest_mod

    real = ingest_mod.read_source  # type: ignore[attr-defined]

    def interrupted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for i, batch in enumerate(real(*args, **kwargs)):
            if i == 0:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(ingest_mod, "read_source", interrupted)
    src = write_csv(tmp_path / "b.csv", rows(244_000_002, 10))
    line = one_line_error(cli("ingest", "--store", str(root), str(src)), code=130)
    assert "interrupted" in line
    assert fingerprint(root) == before
    assert not any(p.name.startswith(".staging") for p in root.iterdir())


def test_deeply_nested_geojson_is_a_geo_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.geojson"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(GeoError, match="nested too deeply"):
        load_zone_file(deep)
    poly = tmp_path / "deep2.geojson"
    nested = "[" * 5_000 + "]" * 5_000
    poly.write_text(
        '{"type":"Feature","properties":{"name":"z"},'
        f'"geometry":{{"type":"Polygon","coordinates":{nested}}}}}'
    )
    with pytest.raises(GeoError):
        load_zone_file(poly)
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(write_csv(tmp_path / "a.csv", rows(244_000_001, 3))))
    for path in (deep, poly):
        line = one_line_error(cli("detect", "--store", str(root), "--zones", str(path)))
        assert "nested too deeply" in line


# ------------------------------------------------------------------------------------
# a bad --store


def test_store_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 3))
    assert "not a directory" in one_line_error(cli("ingest", "--store", str(path), str(src)))
    assert "not a directory" in one_line_error(cli("query", "--store", str(path), "SELECT 1"))
    assert path.read_text() == "x"


def test_store_with_missing_parent(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 3))
    target = tmp_path / "no" / "such" / "store"
    one_line_error(cli("ingest", "--store", str(target), str(src)))
    assert not (tmp_path / "no").exists()
    one_line_error(cli("ingest", "--store", "/dev/null/store", str(src)))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_store(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 3))
    try:
        one_line_error(cli("ingest", "--store", str(parent / "s"), str(src)))
    finally:
        parent.chmod(0o700)


def test_store_under_proc_is_one_line_error(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 3))
    one_line_error(cli("ingest", "--store", "/proc/seawatch-store", str(src)))


def test_failed_first_ingest_leaves_no_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("hello, this is not AIS\n")
    root = tmp_path / "s"
    one_line_error(cli("ingest", "--store", str(root), str(bad)))
    assert not root.exists()
    # an existing store is never removed by a failed ingest
    ok("ingest", "--store", str(root), str(write_csv(tmp_path / "a.csv", rows(244_000_001, 3))))
    one_line_error(cli("ingest", "--store", str(root), str(bad)))
    assert open_store(root).positions().num_rows == 3


# ------------------------------------------------------------------------------------
# untimed files and --time


def test_reingest_with_time_replaces_no_timestamp_rejects(tmp_path: Path) -> None:
    src = tmp_path / "untimed.nmea"
    src.write_text((SENTENCE + "\n") * 3 + "garbage\n")
    root = tmp_path / "s"
    first = ok("ingest", "--store", str(root), str(src))
    assert "no_timestamp" in first.stderr
    reasons = sorted(r["reason"] for r in _rejects(root))
    assert reasons == ["no_timestamp"] * 3 + ["not_ais"]
    second = ok("ingest", "--store", str(root), "--time", "2025-12-08T08:00:00Z", str(src))
    assert "track-based detectors" in second.stderr
    st = open_store(root)
    assert st.positions().num_rows == 1  # three identical reports at one instant
    assert sorted(r["reason"] for r in _rejects(root)) == ["not_ais"]  # no stale rejects
    (entry,) = st.manifest()["sources"].values()
    assert entry["stamped_positions"] == 3 and entry["stamped_time"].startswith("2025-12-08T08:00")
    # the same reading again is skipped and changes nothing
    before = fingerprint(root)
    ok("ingest", "--store", str(root), "--time", "2025-12-08T08:00:00Z", str(src))
    assert fingerprint(root) == before


def test_no_zero_length_spoofing_from_one_instant() -> None:
    """An untimed log stamped with one --time: one MMSI's reports far apart, all at the
    same instant, make no spoofing event (it made zero-length ones)."""
    n = 12
    lat = np.r_[np.full(n // 2, 10.0), np.full(n // 2, 12.0)]
    lon = np.r_[np.linspace(-60.0, -59.99, n // 2), np.linspace(-55.0, -54.99, n // 2)]
    order = np.ravel(np.column_stack([np.arange(n // 2), np.arange(n // 2) + n // 2]))
    table = pa.table(
        {
            "mmsi": pa.array([244_000_001] * n, pa.uint32()),
            "ts": pa.array([T0] * n, schema.TS),
            "lat": lat[order],
            "lon": lon[order],
            "sog_kn": pa.array([5.0] * n, pa.float32()),
            "cog_deg": pa.array([90.0] * n, pa.float32()),
            "heading_deg": pa.array([90] * n, pa.uint16()),
            "nav_status": pa.array([0] * n, pa.uint8()),
            "msg_type": pa.array([1] * n, pa.uint8()),
            "source": pa.array(["x"] * n).dictionary_encode(),
            "station": pa.array(["x"] * n).dictionary_encode(),
        }
    ).cast(schema.POSITIONS)
    assert spoofing(table).num_rows == 0
    # the same reports a minute apart are spoofing: the rule only drops the no-time case
    timed = table.set_column(
        1, "ts", pa.array([T0 + timedelta(minutes=i) for i in range(n)], schema.TS)
    )
    assert spoofing(timed).num_rows == 1


def test_decode_caps_long_lines_and_reports_damage(tmp_path: Path) -> None:
    """``seawatch decode`` reads through the same capped, damage-aware path as ingest."""
    nmea, _, _ = _long_line_case(tmp_path, 3_000_000)
    result = ok("decode", str(nmea))
    assert len(result.stdout.splitlines()) == 2
    assert "line_length" in result.stderr
    packed = gzip.compress(_nmea_body(2_000))
    (tmp_path / "t.nmea.gz").write_bytes(packed[: len(packed) // 2])
    result = ok("decode", str(tmp_path / "t.nmea.gz"))
    assert 0 < len(result.stdout.splitlines()) < 2_000
    assert "warning" in result.stderr and "truncated gzip stream" in result.stderr
    os.mkfifo(tmp_path / "f.fifo")
    one_line_error(cli("decode", str(tmp_path / "f.fifo")))


def test_unreadable_input_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import seawatch.store._ingest as ingest_mod

    def denied(path: Path, *, block: int = 0) -> str:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    monkeypatch.setattr(ingest_mod, "file_sha256", denied)
    src = write_csv(tmp_path / "a.csv", rows(244_000_001, 3))
    line = one_line_error(cli("ingest", "--store", str(tmp_path / "s"), str(src)))
    assert line == f"error: cannot read {src}: Permission denied"


def test_closed_stdout_pipe_is_quiet(tmp_path: Path) -> None:
    """``seawatch query ... | head -1`` stops without a traceback or an error line."""
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(write_csv(tmp_path / "a.csv", rows(244_000_001, 3))))
    sql = "SELECT * FROM range(3000000)"
    cmd = [sys.executable, "-m", "seawatch", "query", "--store", str(root), "--format", "csv", sql]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline() == b"range\n"
        proc.stdout.close()
        err = proc.stderr.read()
        proc.wait(timeout=120)
    assert b"Traceback" not in err and b"error" not in err, err


def test_binary_watchlist_is_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"mmsi,name\n\x99\xff\xfe" + bytes(range(256)))
    line = one_line_error(
        cli("watchlist", "add", str(junk), "--name", "j", "--store", str(tmp_path / "s"))
    )
    assert "not UTF-8" in line


def test_failed_first_ingest_keeps_a_directory_the_user_made(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("not AIS\n")
    root = tmp_path / "mine"
    root.mkdir()
    one_line_error(cli("ingest", "--store", str(root), str(bad)))
    assert root.is_dir() and not any(root.iterdir())


_PACK: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "zstd": zstandard.ZstdCompressor().compress,
}


@pytest.mark.parametrize("kind", sorted(_PACK))
@pytest.mark.parametrize(
    ("variant", "complete", "damage"),
    [
        ("whole", True, None),
        ("two members", True, None),
        ("zero padding", True, None),
        ("half", False, "truncated"),
        ("junk after", True, "junk"),
        ("corrupt middle", False, "corrupt"),
    ],
)
def test_decompression_damage_is_recorded(
    tmp_path: Path, kind: str, variant: str, complete: bool, damage: str | None
) -> None:
    from seawatch.sources._open import open_checked

    data = b"".join(b"line %d abcdefghijkl\n" % i for i in range(120_000))
    packed = _PACK[kind](data)
    expected = data
    if variant == "two members":
        packed, expected = packed + packed, data + data
    elif variant == "zero padding":
        packed += bytes(512)
    elif variant == "half":
        packed = packed[: len(packed) // 2]
    elif variant == "junk after":
        packed += b"JUNK" * 8
    elif variant == "corrupt middle":
        mid = len(packed) // 2
        packed = packed[:mid] + bytes(64) + packed[mid + 64 :]
    path = tmp_path / "f.bin"
    path.write_bytes(packed)
    stream, _, what = open_checked(path)
    with stream:
        out = stream.read()
    if complete:
        assert out == expected
    else:
        assert expected.startswith(out[: len(out) // 2]) and len(out) < len(expected)
    if damage is None:
        assert what() is None
    else:
        assert damage in (what() or "")


class _Pipe(io.RawIOBase):
    """Delivers at most 64 KiB per read, as a pipe does."""

    def __init__(self, data: bytes) -> None:
        self._data, self._pos = data, 0

    def readable(self) -> bool:
        return True

    def read1(self, n: int = -1) -> bytes:
        out = self._data[self._pos : self._pos + min(n if n > 0 else 1 << 16, 1 << 16)]
        self._pos += len(out)
        return out


def test_stdin_spooler_streams_a_long_line(tmp_path: Path) -> None:
    """A long NMEA line on stdin is spooled as it comes (it was held whole in memory and
    re-copied on every read), kept whole in one batch, and becomes a line_length reject."""
    import tracemalloc

    from seawatch.store._ingest import stdin_batches

    good = _nmea_body(50)
    text = good + b"!AIVDM," + b"A" * 20_000_000 + b"\n" + good
    tracemalloc.start()
    try:
        batches = [
            p.read_bytes()
            for p in stdin_batches(max_bytes=5000, max_s=60, stream=_Pipe(text))  # type: ignore[arg-type]
        ]
        tracemalloc.reset_peak()
        sizes = [len(b) for b in batches]
        del batches
        spooled = [
            len(p.read_bytes()) or 0
            for p in stdin_batches(max_bytes=5000, max_s=60, stream=_Pipe(text))  # type: ignore[arg-type]
        ]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sum(sizes) == len(text) and sizes == spooled
    assert sum(n > 20_000_000 for n in sizes) == 1
    assert peak < 20_000_000 + 8 * 2**20  # one read-back batch, not copies of the line
    src = tmp_path / "long.nmea"
    src.write_bytes(text)
    root = tmp_path / "s"
    ok("ingest", "--store", str(root), str(src))
    assert open_store(root).positions().num_rows == 50
    assert [r["reason"] for r in _rejects(root)] == ["line_length"]
