"""The API's exposure, measured (issue #14 §1 and §5).

    python benchmarks/api_exposure.py [--rows 200000]

1. Per-request time of ``/api/vessels/{mmsi}`` with a user watchlist of ``--rows`` rows in
   the store (lists are parsed and indexed once per version, not per request).
2. ``/api/report`` with 1, 1,000 and 5,000 repeated ``by`` keys (list parameters are
   de-duplicated and bounded; a URL over 8 KiB is a 414).

In-process through FastAPI's TestClient, on the small API test store (tests/api/_apistore.py).
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "api"))

from _apistore import build_store
from fastapi.testclient import TestClient

from seawatch.api import create_app
from seawatch.watchlist import add_list


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    print(f"# {platform.platform()}, {platform.python_version()}")
    tmp = Path(tempfile.mkdtemp(prefix="seawatch-bench-"))
    try:
        root = build_store(tmp / "store")
        rng = random.Random(1)
        src = tmp / "big.csv"
        with src.open("w", encoding="utf-8") as fh:
            fh.write("imo,mmsi,name,flag\n")
            for i in range(args.rows):
                flag = rng.choice(["VE", "PA", "LR", "MH"])
                fh.write(f"{1_000_000 + i},{200_000_000 + i},VESSEL {i},{flag}\n")
        t0 = time.perf_counter()
        add_list(root, src, name="big")
        print(f"watchlist add ({args.rows:,} rows): {time.perf_counter() - t0:.2f} s")
        with TestClient(create_app(root), base_url="http://127.0.0.1") as c:
            mmsi = c.get("/api/vessels?q=a&limit=1").json()[0]["mmsi"]
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                r = c.get(f"/api/vessels/{mmsi}")
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
            print("/api/vessels/{mmsi}, s per request:", " ".join(f"{t:.3f}" for t in times))
            for n in (1, 1_000, 5_000):
                t0 = time.perf_counter()
                r = c.get("/api/report", params={"by": ",".join(["type"] * n)})
                dt = time.perf_counter() - t0
                print(f"/api/report by=type x{n:,}: HTTP {r.status_code} in {dt:.3f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
