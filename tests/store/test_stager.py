"""The ingest's stager writes its files in a background thread: the same files, in the
same order, as writing them in turn; a failed write surfaces at the flush."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from seawatch.store import _ingest


def _rows(rng: np.random.Generator, n: int) -> pa.Table:
    return pa.table(
        {
            "mmsi": pa.array(rng.integers(1, 50, n), pa.uint32()),
            "x": pa.array(rng.random(n)),
        }
    )


def test_staged_files_are_the_rows_added_sorted_by_mmsi(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    stager = _ingest._Stager(tmp_path / "rows", buffer_rows=700)
    added: dict[tuple[str, date], list[pa.Table]] = {}
    try:
        for k in range(60):
            key = ("positions", date(2024, 3, 1 + k % 3))
            t = _rows(rng, int(rng.integers(1, 300)))
            added.setdefault(key, []).append(t)
            stager.add(*key, t)
        stager.flush()
    finally:
        stager.close()
    assert sorted(stager.files) == sorted(added)
    n = 0
    for key, paths in stager.files.items():
        # the files of a key hold its rows in the order they were added, each file sorted
        # by mmsi (stably); numbered in the order they were written
        got = [pq.read_table(p) for p in paths]
        for t in got:
            m = t.column("mmsi").to_numpy()
            assert (np.diff(m.astype(np.int64)) >= 0).all()
        want = pa.concat_tables(added[key])
        assert sum(t.num_rows for t in got) == want.num_rows
        assert sorted(pa.concat_tables(got).column("x").to_pylist()) == sorted(
            want.column("x").to_pylist()
        )
        n += len(paths)
    numbers = sorted(int(p.stem) for ps in stager.files.values() for p in ps)
    assert numbers == list(range(1, n + 1))


def test_a_failed_write_surfaces_at_the_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(table: pa.Table, path: Path, **kw: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_ingest, "write_parquet_plain", broken)
    stager = _ingest._Stager(tmp_path / "rows", buffer_rows=10)
    try:
        with pytest.raises(OSError, match="disk full"):
            for _ in range(5):
                stager.add("positions", date(2024, 3, 1), _rows(np.random.default_rng(1), 20))
            stager.flush()
    finally:
        stager.close()
    stager.close()  # twice is harmless


def test_ingest_with_many_staged_files_equals_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small staging files, written in the background, give the store the same
    positions as one staging file per day."""
    from seawatch.schema import POSITIONS
    from seawatch.store import open_store

    Stager = _ingest._Stager
    rng = np.random.default_rng(3)
    n = 5_000
    t0 = 1_709_251_200_000_000  # 2024-03-01
    table = pa.table(
        {
            "mmsi": pa.array(rng.integers(200_000_000, 200_000_300, n), pa.uint32()),
            "ts": pa.array(t0 + rng.integers(0, 3 * 86_400, n) * 1_000_000, pa.int64()).cast(
                POSITIONS.field("ts").type
            ),
            "lat": pa.array(rng.uniform(-60, 60, n)),
            "lon": pa.array(rng.uniform(-170, 170, n)),
        }
    )
    table = pa.table(
        [
            table.column(f.name) if f.name in table.column_names else pa.nulls(n, f.type)
            for f in POSITIONS
        ],
        schema=POSITIONS,
    )
    srcs = []
    for k in range(20):  # one batch per file: many small additions to the stager
        srcs.append(tmp_path / f"in-{k:02d}.parquet")
        pq.write_table(table.slice(k * 250, 250), srcs[-1])
    stores = []
    written: list[int] = []
    real = _ingest._write_staged

    def counting(table: pa.Table, path: Path) -> None:
        written.append(table.num_rows)
        real(table, path)

    monkeypatch.setattr(_ingest, "_write_staged", counting)
    for name, rows in (("small", 97), ("large", 10**7)):
        monkeypatch.setattr(_ingest, "_Stager", functools.partial(Stager, buffer_rows=rows))
        written.clear()
        store = open_store(tmp_path / name, create=True)
        store.ingest(srcs)
        assert len(written) >= 40 if name == "small" else len(written) == 3  # 3 days
        stores.append(store.positions())
    a, b = stores
    assert a.num_rows == n and a.equals(b)
    assert pc.all(pc.greater_equal(a.column("mmsi"), 200_000_000)).as_py()
