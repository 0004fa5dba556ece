"""Helpers of the live tests: scenarios as NMEA, a listener driven batch by batch."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from seawatch.live import Alerter, FeedSpec, Listener, ListenOptions, timed_lines
from seawatch.store import Store, open_store

KEY = ("event_id", "type", "start", "end", "vessels")


def scenario_nmea(name: str, folder: Path) -> Path:
    """The NMEA file of a shipped scenario, simulated into ``folder``."""
    from seawatch.sim import load_scenario, simulate

    out = folder / name
    simulate(load_scenario(name), out, write_csv=False)
    return next(out.glob("*.nmea"))


def shuffled_groups(path: Path, *, lateness_s: float, seed: int) -> list[tuple[float, list[bytes]]]:
    """The file's line groups (a timed line and its continuation lines), each delayed by a
    random time below ``lateness_s``, then sorted by that arrival time: messages arrive
    out of order, but never later than the allowed lateness."""
    rng = random.Random(seed)
    groups = [(t + rng.uniform(0, lateness_s * 0.9), lines) for t, lines in timed_lines([path])]
    groups.sort(key=lambda g: g[0])
    return groups


def live_run(
    path: Path,
    store_dir: Path,
    *,
    batches: int,
    lateness_s: float = 6 * 3600.0,
    seed: int = 0,
    feeds: tuple[str, ...] = ("feed-a", "feed-b"),
    alerter: Alerter | None = None,
    workers: int = 1,
    between: Callable[[Listener, int], None] | None = None,
) -> Listener:
    """Play ``path`` into a listener as if over ``feeds`` (every message on each feed, each
    feed shuffled on its own within the lateness), committing and detecting ``batches``
    times, then ending the stream. ``workers``: the listener's pool (started as
    :meth:`Listener.run` starts it); ``between(listener, k)`` runs after the k-th pass."""
    store = open_store(store_dir, create=True)
    opts = ListenOptions(commit_every_s=1.0, allowed_lateness_s=lateness_s, workers=workers)
    specs = [FeedSpec("tcp", "127.0.0.1:0", name=f) for f in feeds]
    listener = Listener(store, specs, opts, alerter=alerter)
    per_feed = [
        shuffled_groups(path, lateness_s=lateness_s, seed=seed + k) for k in range(len(feeds))
    ]
    n = max(len(g) for g in per_feed)
    step = max(1, -(-n // batches))
    listener._start_pool()
    try:
        for k, lo in enumerate(range(0, n, step)):
            for name, groups in zip(feeds, per_feed, strict=True):
                lines = [ln for _, g in groups[lo : lo + step] for ln in g]
                listener._sink(name, lines)
            listener._rotate()
            listener.tick()
            if between is not None:
                between(listener, k)
        listener.tick(final=True)
    finally:
        listener._stop_pool()
    return listener


def batch_events(path: Path, store_dir: Path) -> pa.Table:
    """``seawatch ingest`` + ``seawatch detect`` of ``path`` in a fresh store."""
    from seawatch.engine import run_detectors

    store = open_store(store_dir, create=True)
    store.ingest(path)
    return run_detectors(store, workers=1)


def closed_live_events(store: Store) -> pa.Table:
    """The live store's events whose last revision is closed (and not retracted)."""
    import pyarrow.compute as pc

    from seawatch.live import current_status

    status = current_status(Path(store.root))
    closed = [k for k, (s, _) in status.items() if s == "closed"]
    events = store.events()
    return events.filter(pc.is_in(events.column("event_id"), pa.array(closed, pa.string())))


def keys(table: pa.Table) -> list[tuple[object, ...]]:
    rows = table.select(list(KEY)).to_pylist()
    return sorted(
        (r["event_id"], r["type"], r["start"], r["end"], tuple(r["vessels"])) for r in rows
    )
