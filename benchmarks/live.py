"""Live listener benchmarks, one run (issue #10): commit rate, alert latency, memory.

    python benchmarks/live.py --messages 1000000 --rate 10000 --seconds 120

Input: ``gen_nmea.generate`` traffic (6,000 vessels, types 1/2/3/5/18/24, 1 % noise) with
every message re-timed so that the file spans one simulated week (tag block ``c:``), written
once. Every part runs the real listener (:class:`seawatch.live.Listener`, the code of
``seawatch listen``) in this process with a TCP server feed on loopback, fed by ``seawatch
replay`` in a separate process:

1. **decode-and-commit rate**: replay at full speed (``--speed 0``), detection off; the rate
   is messages committed / wall time from the first byte to the last commit, and per CPU
   second of the listener process (its own ``getrusage``; the replay runs in the other one).
2. **alert latency at ``--rate`` msg/s**: replay paced at ``--rate`` messages per second of
   wall time, detection on after every commit (``--commit-every``), one rule alerting on
   every event that opens. Latency of an alert = the wall time it is emitted minus the wall
   time the replay sent the latest message the event rests on (its ``end`` at revision 1;
   the replay's schedule maps a message time to the wall time it was sent).
3. **memory over the simulated week**: during part 2, the listener process's RSS sampled
   every 0.5 s, and the PSS of the listener with its worker pool (``--workers``); reported
   per simulated day reached (the replay covers the whole week when ``--seconds`` x
   ``--rate`` >= ``--messages``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
WEEK_S = 7 * 86_400
T0 = 1_764_547_200  # 2025-12-01T00:00:00Z


def week_file(path: Path, n: int, seed: int) -> int:
    """gen_nmea traffic re-timed to span a week; returns the lines written."""
    import re

    from gen_nmea import generate

    data = generate(n, seed)
    lines = [ln for ln in data.split(b"\n") if ln]
    tag = re.compile(rb"^\\[^\\]*\\")
    out = []
    step = WEEK_S / max(1, len(lines))
    for i, line in enumerate(lines):
        bare = tag.sub(b"", line)
        body = f"c:{T0 + int(i * step)}".encode()
        x = 0
        for b in body:
            x ^= b
        out.append(b"\\" + body + f"*{x:02X}".encode() + b"\\" + bare)
    path.write_bytes(b"\n".join(out) + b"\n")
    return len(out)


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree_pss_mb(exclude: int | None = None) -> float:
    """PSS of this process and its children but ``exclude`` (the replay) and its own:
    the listener and its worker pool. A page shared by k processes counts 1/k in each, so
    the sum is what the machine holds for them."""
    import psutil

    me = psutil.Process()
    skip: set[int] = set()
    if exclude is not None:
        skip.add(exclude)
        with contextlib.suppress(psutil.Error):
            skip.update(c.pid for c in psutil.Process(exclude).children(recursive=True))
    total = 0.0
    for p in [me, *me.children(recursive=True)]:
        if p.pid in skip:
            continue
        try:
            total += p.memory_full_info().pss
        except psutil.Error:
            continue
    return total / 2**20


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_replay(path: Path, port: int, speed: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    cmd = [
        sys.executable,
        "-m",
        "seawatch",
        "replay",
        str(path),
        "--to",
        f"tcp://127.0.0.1:{port}",
        "--speed",
        str(speed),
    ]
    return subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)


async def commit_rate(path: Path, n_lines: int, commit_every: float) -> dict[str, Any]:
    from seawatch.live import FeedSpec, Listener, ListenOptions
    from seawatch.store import open_store

    with tempfile.TemporaryDirectory(prefix="sw-live-bench-") as tmp:
        store = open_store(Path(tmp) / "store", create=True)
        port = free_port()
        spec = FeedSpec("tcp", f"127.0.0.1:{port}", name="bench")
        listener = Listener(store, [spec], ListenOptions(commit_every_s=commit_every, detect=False))
        task = asyncio.create_task(listener.run(install_signals=False))
        await asyncio.sleep(1.0)
        proc = start_replay(path, port, 0)
        while listener.stats["bench"].lines == 0 and proc.poll() is None:
            await asyncio.sleep(0.001)
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()  # the first bytes have arrived
        while listener.result.lines < n_lines and time.perf_counter() - t0 < 900:
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        proc.wait()
        assert listener.stop_event is not None
        listener.stop_event.set()
        await task
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        return {
            "lines": listener.result.lines,
            "positions": listener.result.positions,
            "commits": listener.result.commits,
            "wall_s": round(wall, 2),
            "msgs_per_s": round(listener.result.lines / wall),
            "listener_cpu_s": round(cpu, 2),
            "msgs_per_cpu_s": round(listener.result.lines / cpu) if cpu else None,
        }


async def latency_and_memory(
    path: Path,
    n_lines: int,
    rate: float,
    seconds: float,
    commit_every: float,
    detect_days: int | None = None,
    *,
    workers: int = 1,
) -> dict[str, Any]:
    from seawatch.live import (
        Alerter,
        AlertSink,
        FeedSpec,
        Listener,
        ListenOptions,
        Rule,
        VesselInfo,
    )
    from seawatch.store import open_store

    speed = rate * WEEK_S / n_lines  # simulated seconds per wall second
    alerts: list[tuple[float, dict[str, Any]]] = []

    class Clock(AlertSink):
        def send(self, alert: dict[str, Any]) -> None:
            alerts.append((time.time(), alert))

    with tempfile.TemporaryDirectory(prefix="sw-live-bench-") as tmp:
        store = open_store(Path(tmp) / "store", create=True)
        port = free_port()
        rule = Rule(name="any event opens", phases=frozenset({"opened"}))
        alerter = Alerter([rule], Path(store.root), VesselInfo(lambda: None, lambda: []), [Clock()])
        spec = FeedSpec("tcp", f"127.0.0.1:{port}", name="bench")
        opts = ListenOptions(commit_every_s=commit_every, detect_days=detect_days, workers=workers)
        listener = Listener(store, [spec], opts, alerter=alerter)
        task = asyncio.create_task(listener.run(install_signals=False))
        await asyncio.sleep(1.0)
        rss0 = rss_mb()
        wall0 = time.time()
        proc = start_replay(path, port, speed)
        samples: list[tuple[float, float, int, float]] = []  # wall s, rss MB, lines, tree PSS
        while listener.stats["bench"].last_message is None and proc.poll() is None:
            await asyncio.sleep(0.01)
        first = listener.stats["bench"].last_message or wall0  # the replay's first send
        detect_s: list[float] = []
        last_detect = None
        while time.time() - first < seconds:
            await asyncio.sleep(0.5)
            samples.append(
                (time.time() - first, rss_mb(), listener.result.lines, tree_pss_mb(proc.pid))
            )
            if listener.last_detect_s is not None and listener.last_detect_s != last_detect:
                last_detect = listener.last_detect_s
                detect_s.append(last_detect)
            if proc.poll() is not None and listener.result.lines >= n_lines:
                break
        proc.terminate()
        proc.wait()
        assert listener.stop_event is not None
        listener.stop_event.set()
        await task
    lat: list[float] = []
    for at, alert in alerts:
        end = alert["event"].get("end")
        if not end:
            continue
        from datetime import datetime

        t_end = datetime.fromisoformat(end.replace("Z", "+00:00")).timestamp()
        sent = first + (t_end - T0) / speed
        lat.append(at - sent)
    lat.sort()

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

    per_day: dict[int, float] = {}
    per_day_tree: dict[int, float] = {}
    for wall_s, mb, _, tree in samples:
        day = int(wall_s * speed // 86_400)
        per_day[day] = max(per_day.get(day, 0.0), mb)
        per_day_tree[day] = max(per_day_tree.get(day, 0.0), tree)
    return {
        "rate_msgs_per_s": rate,
        "detect_days": detect_days,
        "replay_speed": round(speed, 1),
        "wall_s": round(samples[-1][0], 1) if samples else 0,
        "lines_committed": samples[-1][2] if samples else 0,
        "simulated_days_reached": round((samples[-1][0] * speed) / 86_400, 2) if samples else 0,
        "alerts": len(alerts),
        "latency_p50_s": pct(0.50),
        "latency_p95_s": pct(0.95),
        "latency_max_s": round(lat[-1], 2) if lat else None,
        "detect_s_median": round(statistics.median(detect_s), 2) if detect_s else None,
        "detect_s_max": round(max(detect_s), 2) if detect_s else None,
        "rss_mb_start": round(rss0, 1),
        "rss_mb_max_per_simulated_day": {str(k): round(v, 1) for k, v in sorted(per_day.items())},
        "workers": workers,
        "tree_pss_mb_max_per_simulated_day": {
            str(k): round(v, 1) for k, v in sorted(per_day_tree.items())
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1_000_000)
    ap.add_argument("--rate", type=float, default=10_000)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--commit-every", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--detect-days",
        type=int,
        default=None,
        help="the listener's --detect-days (default: whole-store passes)",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="the listener's --workers (above 1: a pool kept between passes)",
    )
    ap.add_argument("--skip-commit-rate", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sw-live-week-") as tmp:
        path = Path(tmp) / "week.nmea"
        n = week_file(path, args.messages, args.seed)
        result: dict[str, Any] = {"messages": n, "file_mb": round(path.stat().st_size / 1e6, 1)}
        if not args.skip_commit_rate:
            result["commit_rate"] = asyncio.run(commit_rate(path, n, args.commit_every))
            print(json.dumps(result["commit_rate"]), flush=True)
        result["latency_memory"] = asyncio.run(
            latency_and_memory(
                path,
                n,
                args.rate,
                args.seconds,
                args.commit_every,
                args.detect_days,
                workers=args.workers,
            )
        )
    result["cpu_count"] = os.cpu_count()
    text = json.dumps(result, indent=1)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
