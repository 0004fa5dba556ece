"""Builders for store tests: small CSV/Parquet inputs and store snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from seawatch import schema
from seawatch.store import Store

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
CSV_HEADER = "mmsi,ts,lat,lon,sog,cog,heading,name,ship_type"


def csv_row(
    mmsi: int,
    ts: datetime,
    lat: float,
    lon: float,
    *,
    sog: float = 5.0,
    name: str = "",
    ship_type: int | str = "",
) -> str:
    return f"{mmsi},{ts.strftime('%Y-%m-%dT%H:%M:%S')},{lat:.5f},{lon:.5f},{sog},90.0,90,{name},{ship_type}"


def write_csv(path: Path, rows: Iterable[str]) -> Path:
    path.write_text(CSV_HEADER + "\n" + "\n".join(rows) + "\n")
    return path


def track_rows(
    mmsi: int, start: datetime, n: int, *, step_s: int = 60, name: str = "", lat0: float = 10.0
) -> list[str]:
    """A vessel moving east, one report every ``step_s`` seconds."""
    return [
        csv_row(
            mmsi,
            start + timedelta(seconds=i * step_s),
            lat0,
            -60.0 + i * 0.001,
            name=name,
            ship_type=70 if name else "",
        )
        for i in range(n)
    ]


def fleet_csv(
    path: Path, *, vessels: int, reports: int, start: datetime = T0, step_s: int = 60
) -> Path:
    rows: list[str] = []
    for v in range(vessels):
        rows.extend(
            track_rows(
                200_000_000 + v,
                start,
                reports,
                step_s=step_s,
                name=f"SHIP {v}",
                lat0=10 + v * 0.01,
            )
        )
    return write_csv(path, rows)


def positions_parquet(path: Path, rows: list[dict[str, object]]) -> Path:
    cols: dict[str, list[object]] = {f.name: [] for f in schema.POSITIONS}
    for row in rows:
        for name in cols:
            cols[name].append(row.get(name))
    table = pa.table(
        {
            f.name: pa.array(
                cols[f.name], pa.string() if pa.types.is_dictionary(f.type) else f.type
            )
            for f in schema.POSITIONS
        }
    ).cast(schema.POSITIONS)
    pq.write_table(table, path)
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> sha256), the lock file excluded."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != ".lock":
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def content(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """The rows of every table, sorted, without the source column (for comparisons)."""
    out: dict[str, list[tuple[object, ...]]] = {}
    with store.connect() as con:
        for view in ("positions", "statics", "others"):
            rows = con.sql(f"SELECT * EXCLUDE (source) FROM {view}").fetchall()
            out[view] = sorted(rows, key=repr)
        out["rejects"] = sorted(con.sql("SELECT * FROM rejects").fetchall(), key=repr)
    return out
