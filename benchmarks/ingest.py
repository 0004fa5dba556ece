"""File-to-store ingest throughput and peak memory at 1x and 10x input size.

    python benchmarks/ingest.py --messages 200000 --scales 1,10

Generates an NMEA file per scale (tag-blocked ``!AIVDM`` type 1 reports with ``c:`` times
and ``s:`` stations, every 10th message heard again by a second receiver 2 s later, so the
de-duplication does real work), then ingests each into a fresh store in a *separate process*
(``Store.ingest``, the same code as ``seawatch ingest``) and reports wall time, messages/s and
the process's peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

Both scales span the same two UTC days, so at 10x every day partition is 10x larger too:
peak memory staying flat shows that neither reading (bounded chunks) nor merging
(DuckDB with a memory limit, spilling to disk) holds the input in memory.
Payloads are encoded once with pyais (MIT; a test dependency) and reused with new times.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from functools import reduce
from pathlib import Path

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z
SPAN_S = 2 * 86_400 - 1


def _xor(text: str) -> str:
    return f"{reduce(lambda a, c: a ^ ord(c), text, 0):02X}"


def _payloads(n_unique: int) -> list[str]:
    import pyais

    out: list[str] = []
    vessels = max(1, n_unique // 20)
    for i in range(n_unique):
        v = i % vessels
        step = i // vessels
        (sentence,) = pyais.encode_dict(
            {
                "type": 1,
                "mmsi": 200_000_000 + v * 37,
                "lat": 10 + (v % 100) * 0.1 + step * 0.002,
                "lon": -70 + (v // 100) * 0.1 + step * 0.002,
                "speed": 8.0 + (v % 7),
                "course": 45.0,
                "heading": 45,
                "status": 0,
            },
            talker_id="AI",
        )
        body = sentence[1:].split("*")[0].replace("AIVDO", "AIVDM")
        out.append(f"!{body}*{_xor(body)}")
    return out


def generate(path: Path, messages: int, payloads: list[str]) -> None:
    """``messages`` lines spread evenly over two days; every 10th repeated by rx2 2 s later."""
    dt = SPAN_S / messages
    with open(path, "w") as f:
        lines: list[str] = []
        for i in range(messages):
            t = T0 + int(i * dt)
            sentence = payloads[i % len(payloads)]
            if i % 10 == 9:
                tag = f"s:rx2,c:{T0 + int((i - 1) * dt) + 2}"
                sentence = payloads[(i - 1) % len(payloads)]
            else:
                tag = f"s:rx1,c:{t}"
            lines.append(f"\\{tag}*{_xor(tag)}\\{sentence}\n")
            if len(lines) >= 100_000:
                f.writelines(lines)
                lines.clear()
        f.writelines(lines)


def child(src: Path, store_dir: Path, memory_limit: str) -> None:
    from seawatch.store import IngestOptions, IngestProgress, open_store

    store = open_store(store_dir, create=True)
    read_peak: list[float] = []

    def on_progress(event: IngestProgress) -> None:
        if event.phase == "merge" and not read_peak:  # reading and staging are done
            read_peak.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    t = time.perf_counter()
    summary = store.ingest(
        src, options=IngestOptions(merge_memory_limit=memory_limit), progress=on_progress
    )
    seconds = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "lines": summary.lines,
                "messages": summary.messages,
                "positions": summary.positions,
                "duplicates_dropped": summary.duplicates_dropped,
                "rejects": summary.rejects,
                "peak_rss_mb": rss_mb,
                "read_peak_rss_mb": read_peak[0] if read_peak else rss_mb,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages at scale 1")
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--unique", type=int, default=20_000, help="distinct payloads")
    parser.add_argument("--merge-memory-limit", default="256MB")
    parser.add_argument("--child", nargs=2, metavar=("SRC", "STORE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.merge_memory_limit)
        return
    payloads = _payloads(args.unique)
    rows = []
    with tempfile.TemporaryDirectory(prefix="seawatch-bench-") as tmp:
        # warm-up: compiles (and caches) the numba decoder so no run measures the JIT
        warm = Path(tmp) / "warm.nmea"
        generate(warm, 2_000, payloads)
        subprocess.run(
            [sys.executable, __file__, "--child", str(warm), str(Path(tmp) / "warm-store")],
            check=True,
            capture_output=True,
        )
        for scale in [int(s) for s in args.scales.split(",")]:
            n = args.messages * scale
            src = Path(tmp) / f"ais-{scale}x.nmea"
            generate(src, n, payloads)
            size_mb = src.stat().st_size / 1e6
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(src),
                    str(Path(tmp) / f"store{scale}"),
                    "--merge-memory-limit",
                    args.merge_memory_limit,
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r.update(scale=scale, size_mb=size_mb, rate=r["messages"] / r["seconds"])
            rows.append(r)
            src.unlink()
            print(
                f"{scale:>3}x  {n:>10,} msgs  {size_mb:7.1f} MB  {r['seconds']:7.2f} s  "
                f"{r['rate']:>10,.0f} msg/s  peak RSS {r['peak_rss_mb']:6.0f} MB "
                f"(reading {r['read_peak_rss_mb']:.0f} MB)  "
                f"stored {r['positions']:,}  dups {r['duplicates_dropped']:,}  "
                f"rejects {r['rejects']:,}",
                flush=True,
            )
    print(
        "\n| scale | messages | file | ingest time | messages/s | peak RSS after reading "
        "| peak RSS (whole ingest) | positions stored | duplicates dropped |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['scale']}x | {r['messages']:,} | {r['size_mb']:.0f} MB | {r['seconds']:.1f} s | "
            f"{r['rate']:,.0f} | {r['read_peak_rss_mb']:.0f} MB | {r['peak_rss_mb']:.0f} MB | "
            f"{r['positions']:,} | "
            f"{r['duplicates_dropped']:,} |"
        )


if __name__ == "__main__":
    main()
