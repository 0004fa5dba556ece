"""``read_parquet_files``: the small-read path (one ``ParquetFile`` per file) gives the same
table as the dataset scan it stands in for, older and newer file layouts included."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seawatch.store import _io

SCHEMA = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("sog", pa.float32()),
        pa.field("tags", pa.list_(pa.uint32())),
    ]
)


def _files(tmp_path: Path) -> list[Path]:
    a = tmp_path / "a.parquet"
    pq.write_table(
        pa.table(
            {
                "mmsi": pa.array([1, 2], pa.uint32()),
                "name": ["X", None],
                "sog": pa.array([1.5, 2.5], pa.float32()),
                "tags": pa.array([[1], []], pa.list_(pa.uint32())),
            }
        ),
        a,
    )
    b = tmp_path / "b.parquet"  # an older file: no "tags", sog as float64, a column more
    pq.write_table(
        pa.table(
            {
                "mmsi": pa.array([3], pa.uint32()),
                "name": ["Z"],
                "sog": pa.array([0.25], pa.float64()),
                "extra": [7],
            }
        ),
        b,
    )
    return [a, b]


@pytest.mark.parametrize("columns", [None, ["name", "mmsi"], ["tags"]])
def test_small_read_equals_the_dataset_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: list[str] | None
) -> None:
    files = _files(tmp_path)
    assert _io.is_small_read(files)
    small = _io.read_parquet_files(files, SCHEMA, columns=columns)
    monkeypatch.setattr(_io, "SMALL_READ_BYTES", 0)
    assert not _io.is_small_read(files)
    scanned = _io.read_parquet_files(files, SCHEMA, columns=columns)
    assert small.schema == scanned.schema
    assert small.to_pylist() == scanned.to_pylist()
    if columns is None:
        assert small.column("tags").to_pylist() == [[1], [], None]
        assert small.column("sog").type == pa.float32()
        assert "extra" not in small.column_names


def test_a_missing_file_is_an_error_on_both_paths(tmp_path: Path) -> None:
    files = [*_files(tmp_path), tmp_path / "gone.parquet"]
    with pytest.raises(OSError):
        _io.read_parquet_files(files, SCHEMA)
