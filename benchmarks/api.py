"""REST API latency: ``/api/events`` on a store with >= 1M events, and a 100k-point track.

    python benchmarks/api.py [--events 1000000] [--track-points 100000] [--repeat 30]
                             [--store DIR] [--keep]

Builds a store through the public store API (``open_store(create=True)``, ``ingest`` of
Parquet positions/statics, ``replace_events``), then times requests in-process through
FastAPI's TestClient (so the time includes routing, validation, DuckDB and JSON encoding,
not a socket). Reports p50/p95 per query against the targets (p95 < 300 ms), and, as the
baseline measured in the same run, the store's own ``Store.events(...)`` reader (reads every
event into Arrow and filters in memory) answering the same filters and page.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seawatch.schema import EVENTS, POSITIONS, STATICS

T0 = datetime(2023, 1, 1, tzinfo=UTC)
TYPES = [
    "encounter",
    "loitering",
    "gap",
    "port_visit",
    "zone_entry",
    "zone_exit",
    "zone_visit",
    "spoofing",
]
REGIONS = ["caribbean", "eastern-pacific", "gulf-of-mexico", None]
TRACK_MMSI = 311_000_001
N_VESSELS = 20_000


def _vessel_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    mids = np.array([311, 636, 775, 367, 538, 351, 215, 244])
    return (mids[rng.integers(0, len(mids), n)] * 1_000_000 + rng.integers(0, 999_999, n)).astype(
        np.uint32
    )


def make_events(n: int, vessels: np.ndarray, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    start_us = (T0.timestamp() * 1e6 + rng.uniform(0, 365 * 86_400e6, n)).astype(np.int64)
    dur_h = rng.exponential(6.0, n)
    types = np.array(TYPES, dtype=object)[rng.integers(0, len(TYPES), n)]
    pair = types == "encounter"
    a = vessels[rng.integers(0, len(vessels), n)]
    b = vessels[rng.integers(0, len(vessels), n)]
    offsets = np.zeros(n + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(pair, 2, 1))
    flat = np.empty(offsets[-1], dtype=np.uint32)
    flat[offsets[:-1]] = a
    flat[offsets[:-1][pair] + 1] = b[pair]
    ids = [f"{i:016x}" for i in rng.permutation(n)]
    details = [json.dumps({"params": {"max_dist_m": 500.0}, "k": int(i % 97)}) for i in range(n)]
    return pa.table(
        {
            "event_id": pa.array(ids, pa.string()),
            "type": pa.array(types, pa.string()),
            "start": pa.array(start_us, pa.timestamp("us", tz="UTC")),
            "end": pa.array(
                start_us + (dur_h * 3.6e9).astype(np.int64), pa.timestamp("us", tz="UTC")
            ),
            "vessels": pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat)),
            "lat": rng.uniform(-20, 32, n),
            "lon": rng.uniform(-120, -60, n),
            "duration_h": dur_h,
            "region": pa.array(
                np.array(REGIONS, dtype=object)[rng.integers(0, len(REGIONS), n)], pa.string()
            ),
            "zone": pa.nulls(n, pa.string()),
            "confidence": pa.array(rng.uniform(0.5, 1, n).astype(np.float32)),
            "details": pa.array(details, pa.string()),
        },
        schema=EVENTS,
    )


def make_track(n: int) -> pa.Table:
    """One vessel, a report every 30 s along a wandering line."""
    rng = np.random.default_rng(3)
    ts = (T0.timestamp() * 1e6 + np.arange(n) * 30e6).astype(np.int64)
    heading = np.cumsum(rng.normal(0, 0.05, n))
    lat = 15 + np.cumsum(np.cos(heading)) * 0.0015
    lon = -70 + np.cumsum(np.sin(heading)) * 0.0015
    cols: dict[str, Any] = {
        "mmsi": pa.array(np.full(n, TRACK_MMSI, np.uint32)),
        "ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "lat": lat,
        "lon": lon,
        "sog_kn": pa.array(np.full(n, 10, np.float32)),
        "cog_deg": pa.array(np.full(n, 90, np.float32)),
        "heading_deg": pa.array(np.full(n, 90, np.uint16)),
        "nav_status": pa.array(np.zeros(n, np.uint8)),
        "msg_type": pa.array(np.ones(n, np.uint8)),
        "source": pa.array(["bench"] * n).dictionary_encode(),
        "station": pa.nulls(n, pa.string()).dictionary_encode(),
    }
    return pa.table(cols).cast(POSITIONS)


def make_statics(vessels: np.ndarray) -> pa.Table:
    rng = np.random.default_rng(4)
    n = len(vessels)
    ship_types = np.array([80, 70, 30, 55, 35, 60, 52], np.uint8)[rng.integers(0, 7, n)]
    return pa.table(
        {
            "mmsi": pa.array(vessels, pa.uint32()),
            "ts": pa.array(np.full(n, int(T0.timestamp() * 1e6)), pa.timestamp("us", tz="UTC")),
            "imo": pa.nulls(n, pa.uint32()),
            "name": pa.array([f"VESSEL {i}" for i in range(n)]),
            "callsign": pa.nulls(n, pa.string()),
            "ship_type": pa.array(ship_types),
            "length_m": pa.nulls(n, pa.float32()),
            "beam_m": pa.nulls(n, pa.float32()),
            "draught_m": pa.nulls(n, pa.float32()),
            "destination": pa.nulls(n, pa.string()),
            "eta": pa.nulls(n, pa.string()),
            "class": pa.array(["A"] * n),
            "msg_type": pa.array(np.full(n, 5, np.uint8)),
            "source": pa.array(["bench"] * n).dictionary_encode(),
            "station": pa.nulls(n, pa.string()).dictionary_encode(),
        }
    ).cast(STATICS)


def build(root: Path, n_events: int, n_track: int) -> float:
    from seawatch.store import open_store

    t = time.perf_counter()
    rng = np.random.default_rng(1)
    vessels = np.unique(np.append(_vessel_ids(rng, N_VESSELS), TRACK_MMSI))
    inputs = root.parent / (root.name + "-inputs")
    inputs.mkdir(parents=True, exist_ok=True)
    pq.write_table(make_track(n_track), inputs / "track.parquet")
    pq.write_table(make_statics(vessels), inputs / "statics.parquet")
    store = open_store(root, create=True)
    store.ingest([inputs / "track.parquet", inputs / "statics.parquet"])
    events = make_events(n_events, vessels, seed=2)
    store.replace_events(events, types=TYPES, run={"preset": "benchmark"})
    shutil.rmtree(inputs)
    return time.perf_counter() - t


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    fn()  # warm
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return times, out


def p95(xs: list[float]) -> float:
    return float(np.percentile(np.array(xs), 95))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--track-points", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the store (with --store)")
    args = ap.parse_args()

    from fastapi.testclient import TestClient

    from seawatch.api import create_app
    from seawatch.store import open_store

    tmp = None
    if args.store is None:
        tmp = Path(tempfile.mkdtemp(prefix="seawatch-api-bench-"))
        root = tmp / "store"
    else:
        root = args.store
    if not (root / "manifest.json").exists():
        print(f"building store: {args.events:,} events, {args.track_points:,}-point track ...")
        print(f"  built in {build(root, args.events, args.track_points):.1f} s")
    store = open_store(root)
    some_vessel = int(
        store.connect()
        .execute("SELECT vessels[1] FROM events ORDER BY event_id LIMIT 1")
        .fetchall()[0][0]
    )

    queries: list[tuple[str, str, dict[str, Any] | None]] = [
        ("first page, no filter", "/api/events?limit=500", {}),
        ("deep page (offset 500k)", "/api/events?limit=500&offset=500000", {}),
        ("type", "/api/events?type=encounter&limit=500", {"types": ["encounter"]}),
        (
            "type + region + one week",
            "/api/events?type=loitering,gap&region=caribbean"
            "&since=2023-06-01T00:00:00Z&until=2023-06-08T00:00:00Z&limit=500",
            {
                "types": ["loitering", "gap"],
                "region": "caribbean",
                "since": "2023-06-01T00:00:00Z",
                "until": "2023-06-08T00:00:00Z",
            },
        ),
        ("one vessel", f"/api/events?vessel={some_vessel}", {"vessel": some_vessel}),
        (
            "bbox + one month",
            "/api/events?bbox=-80,10,-70,20&since=2023-03-01T00:00:00Z"
            "&until=2023-04-01T00:00:00Z&limit=500",
            None,
        ),
        ("flag", "/api/events?flag=VE&limit=500", None),
        ("ship group + type", "/api/events?group=tanker&type=encounter&limit=500", None),
    ]
    app = create_app(root)
    n_events = store.connect().execute("SELECT count(*) FROM events").fetchall()[0][0]
    print(
        f"\nmachine: {platform.machine()}, {platform.python_version()}, "
        f"events in store: {n_events:,}"
    )
    print(
        f"{'query':32} {'matched':>9} {'p50 ms':>8} {'p95 ms':>8}   "
        f"{'Store.events p50 ms':>20} {'ratio':>6}"
    )
    rows = []
    with TestClient(app) as client:
        for label, url, baseline in queries:
            times, r = timed(partial(client.get, url), args.repeat)
            assert r.status_code == 200, r.text
            matched = r.json()["numberMatched"]
            base_txt, ratio_txt = "", ""
            if baseline is not None:
                offset = 500_000 if "offset=500000" in url else 0

                def peer(baseline: dict[str, Any] = baseline, offset: int = offset) -> int:
                    t = store.events(**baseline)
                    return int(t.slice(offset, 500).num_rows)

                btimes, _ = timed(peer, max(3, args.repeat // 10))
                b = statistics.median(btimes)
                base_txt = f"{b * 1e3:.0f}"
                ratio_txt = f"{b / statistics.median(times):.0f}x"
            print(
                f"{label:32} {matched:>9,} {statistics.median(times) * 1e3:>8.1f} "
                f"{p95(times) * 1e3:>8.1f}   {base_txt:>20} {ratio_txt:>6}"
            )
            rows.append((label, matched, times))

        print()
        for label, url in [
            ("track, all points", f"/api/vessels/{TRACK_MMSI}/track"),
            ("track, zoom 8", f"/api/vessels/{TRACK_MMSI}/track?zoom=8"),
            ("track, zoom 12", f"/api/vessels/{TRACK_MMSI}/track?zoom=12"),
        ]:
            times, r = timed(partial(client.get, url), args.repeat)
            props = r.json()["properties"]
            print(
                f"{label:32} {props['n_points']:>9,} -> {props['n_points_out']:>7,} points "
                f"p50 {statistics.median(times) * 1e3:.1f} ms  p95 {p95(times) * 1e3:.1f} ms"
            )
        t0 = datetime.fromtimestamp(T0.timestamp(), tz=UTC)
        since = (t0 + timedelta(hours=100)).isoformat().replace("+00:00", "Z")
        until = (t0 + timedelta(hours=124)).isoformat().replace("+00:00", "Z")
        times, r = timed(
            lambda: client.get(
                f"/api/vessels/{TRACK_MMSI}/track", params={"since": since, "until": until}
            ),
            args.repeat,
        )
        print(
            f"{'track, one day window':32} {r.json()['properties']['n_points']:>9,} points"
            f"            p50 {statistics.median(times) * 1e3:.1f} ms  "
            f"p95 {p95(times) * 1e3:.1f} ms"
        )
    if tmp is not None and not args.keep:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
