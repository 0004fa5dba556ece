"""The listener: feeds -> spools -> the ingest commit -> the engine -> versioned events -> alerts.

One process per store (``<store>/live/.listener.lock``). Every ``commit_every_s`` seconds
(at once after a tick that took longer) the feeds' spool files are closed (fsynced) and
committed with :meth:`Store.ingest` (the same idempotent, atomic commit as ``seawatch
ingest``: a spool's content hash is its manifest key, so a spool committed just before a
kill is skipped when the restart commits it again), then deleted. Spools left by a killed
listener are committed at the next start.

After a commit that added rows, the detectors run over the store with
:func:`seawatch.engine.run_detectors` (``write=False``: the very code of ``seawatch
detect``, with encounters carried across midnight as it carries them); the result is
compared with the change log (:mod:`seawatch.live._versions`), the changes are written,
then the events replace the store's (atomically), then the alert rules run on the changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from seawatch._exceptions import StoreError
from seawatch.live._alerts import Alerter
from seawatch.live._feeds import (
    CSV_HEADER,
    JSON_SPOOL,
    FeedRunner,
    FeedSpec,
    FeedStats,
    Limits,
    Spool,
    ready_spools,
    recover_spools,
    spool_feed,
)
from seawatch.live._replay import line_time_s
from seawatch.live._versions import LIVE_DIR, ChangeLog
from seawatch.store import Store, write_json_atomic

SPOOL_DIR = "live/spool"
HEALTH = "live/feeds.json"
LOCK = "live/.listener.lock"
LOCK_WAIT_S = 1.0
"""How long a starting listener retries the store's listener lock: a reader checking
whether a listener runs (:func:`listener_running`) holds it shared for an instant."""


def listener_running(root: str | Path) -> bool:
    """Whether a listener holds the store's listener lock now (it holds it exclusively for
    as long as it runs; a killed listener's lock is released by the kernel). Tested by
    taking the lock shared for an instant, so it works wherever ``flock`` does (a local
    disk; NFSv4 across machines)."""
    try:
        fd = os.open(Path(root) / LOCK, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def read_health(root: str | Path) -> dict[str, Any] | None:
    """The listener's feed health (``seawatch.feeds/1``, the document ``seawatch feeds`` and
    ``GET /api/feeds`` show), or None where no listener ever ran on the store. A document
    written by a listener that was then killed still says it runs: when no process holds
    the listener's lock it is corrected (``running`` false, and a ``note`` saying that the
    figures are those of its last update).

    Raises:
        OSError, ValueError: the document cannot be read or is not JSON.
    """
    try:
        doc: dict[str, Any] = json.loads((Path(root) / HEALTH).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    lst = doc.get("listener")
    if isinstance(lst, dict) and lst.get("running") and not listener_running(root):
        lst["running"] = False
        lst["note"] = (
            "no listener holds the store's lock: it was killed or its machine stopped; "
            "the figures are those of its last update"
        )
    return doc


@dataclass(slots=True)
class ListenOptions:
    """How the listener commits and detects."""

    commit_every_s: float = 5.0
    allowed_lateness_s: float = 6 * 3600.0
    preset: str = "default"
    detect: bool = True
    workers: int = 1
    """Processes for the per-vessel step of each pass; above 1 they are started once and
    kept for every pass (each keeps its compiled kernels and geography loaded)."""
    limits: Limits = field(default_factory=Limits)
    ingest_wait_s: float = 60.0
    """How long a commit waits for another writer (``seawatch detect``, an ingest)."""
    detect_days: int | None = None
    """None: each pass runs over the whole store (live equals batch exactly). N: each pass
    but the last runs over the last N+1 days of positions; events starting in the first of
    them or earlier are kept as they were (an event longer than N days stops being
    extended until the final pass, which is always whole)."""


@dataclass(slots=True)
class ListenResult:
    commits: int = 0
    lines: int = 0
    positions: int = 0
    changes: int = 0
    alerts: int = 0
    events_open: int = 0
    events_closed: int = 0
    rejects_by_reason: Counter[str] = field(default_factory=Counter)


class Listener:
    """Runs feeds into one store (see the module docstring)."""

    def __init__(
        self,
        store: Store,
        feeds: list[FeedSpec],
        options: ListenOptions | None = None,
        *,
        alerter: Alerter | None = None,
    ) -> None:
        names = [f.name for f in feeds]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            from seawatch._exceptions import ParameterError

            raise ParameterError(f"feed names must differ: {sorted(dup)} (use --name)")
        if options is not None and options.detect_days is not None and options.detect_days < 1:
            from seawatch._exceptions import ParameterError

            raise ParameterError("detect_days must be >= 1 (None: the whole store)")
        self.store = store
        self.feeds = feeds
        self.opts = options or ListenOptions()
        self.alerter = alerter
        self.root = Path(store.root)
        self.spool_dir = self.root / SPOOL_DIR
        self.stats = {f.name: FeedStats(f.name, f.kind, f.target) for f in feeds}
        self._spools: dict[str, Spool] = {}
        self.result = ListenResult()
        self.changelog: ChangeLog | None = None
        self.watermark: datetime | None = None
        self._watermark_s: float | None = None
        self.last_commit: datetime | None = None
        self.last_detect_s: float | None = None
        self.started = datetime.now(UTC)
        self._lock_fd: int | None = None
        self.runners: list[FeedRunner] = []
        self.stop_event: asyncio.Event | None = None
        self.final = False
        self._pool: ProcessPoolExecutor | None = None

    # ---- spools (event-loop thread) ------------------------------------------------

    def _sink(self, name: str, lines: list[bytes]) -> None:
        if self._watermark_s is not None:
            # messages older than the allowed lateness: stored (a batch detect uses them),
            # and counted; only lines with their own tag-block time can be late
            wm = self._watermark_s
            late = sum(1 for ln in lines if ln[:1] == b"\\" and (line_time_s(ln) or wm) < wm)
            if late:
                st = self.stats.get(name.removesuffix(JSON_SPOOL))
                if st is not None:
                    st.late += late
        spool = self._spools.get(name)
        if spool is None:
            if name.endswith(JSON_SPOOL):
                spool = Spool(self.spool_dir, name, "csv", CSV_HEADER)
            else:
                spool = Spool(self.spool_dir, name, "nmea")
            self._spools[name] = spool
        spool.write(lines)

    def _rotate(self, *, final: bool = False) -> None:
        for spool in self._spools.values():
            spool.rotate(final=final)

    # ---- commit and detect (worker thread) -----------------------------------------

    def _lock(self) -> None:
        path = self.root / LOCK
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        give_up = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() < give_up:  # a reader's instant check (listener_running)
                    time.sleep(0.05)
                    continue
                os.close(fd)
                msg = f"another listener is running on the store {self.root}"
                raise StoreError(msg) from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def commit(self) -> int:
        """Commit every ready spool; returns the rows (positions + statics) added."""
        files = ready_spools(self.spool_dir)
        if not files:
            return 0
        names = {str(p): spool_feed(p) for p in files}
        summary = self.store.ingest(
            [str(p) for p in files], names=names, wait_s=self.opts.ingest_wait_s
        )
        for r in summary.files:
            st = self.stats.get(r.path)
            if st is not None and r.rejects:
                st.rejects["decode"] += r.rejects
        self.result.rejects_by_reason.update(summary.rejects_by_reason)
        for p in files:
            p.unlink(missing_ok=True)
        self.result.commits += 1
        self.result.lines += summary.lines
        self.result.positions += summary.positions
        self.last_commit = datetime.now(UTC)
        return summary.positions + summary.statics

    def _watermark_us(self) -> int | None:
        table = self.store.query("SELECT max(ts) AS t FROM positions")
        latest = table.column("t")[0].as_py() if table.num_rows else None
        if latest is None:
            return None
        # a position time far in the future (a bad clock) must not close every event
        latest = min(latest, datetime.now(UTC) + timedelta(minutes=5))
        self.watermark = latest - timedelta(seconds=self.opts.allowed_lateness_s)
        self._watermark_s = self.watermark.timestamp()
        return int(self.watermark.timestamp() * 1_000_000)

    def detect(self, *, final: bool = False) -> list[dict[str, Any]]:
        """Run the detectors over the store and record the changes; returns them."""
        from seawatch.detect import link_incidents
        from seawatch.engine import detector_types, resolve_only

        if self.changelog is None:
            self.changelog = ChangeLog(self.root)
        t0 = time.perf_counter()
        events = self._run_engine(whole=final or self.final)
        watermark = self._watermark_us()
        previous = self.changelog.statuses()
        changes = self.changelog.diff(events, watermark_us=watermark, final=final)
        self.changelog.write(changes)
        run = {"preset": self.opts.preset, "runner": "live", "final": final}
        types = detector_types(resolve_only(None))
        with self.store.writing(wait_s=self.opts.ingest_wait_s):
            self.store.replace_events(events, types=types, run=run, finish=link_incidents)
        self.result.changes += len(changes)
        statuses = self.changelog.statuses()
        self.result.events_open = sum(1 for s in statuses.values() if s == "open")
        self.result.events_closed = sum(1 for s in statuses.values() if s == "closed")
        if self.alerter is not None:
            self.result.alerts += len(self.alerter.process(changes, previous))
        self.last_detect_s = time.perf_counter() - t0
        return changes

    def _run_engine(self, *, whole: bool) -> pa.Table:
        """The detectors over the store, or over its last days (``detect_days``); on the
        listener's pool of workers (started again once if a worker died)."""
        try:
            return self._engine_pass(whole=whole)
        except BrokenProcessPool:
            if self._pool is None:
                raise
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self._start_pool()
            return self._engine_pass(whole=whole)

    def _start_pool(self) -> None:
        from seawatch.engine import worker_pool

        if self.opts.detect and self.opts.workers > 1 and self._pool is None:
            self._pool = worker_pool(self.opts.workers)

    def _stop_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _engine_pass(self, *, whole: bool) -> pa.Table:
        import pyarrow.compute as pc

        from seawatch import schema
        from seawatch.engine import run_detectors

        days = self.store.days()
        n = self.opts.detect_days
        first = days[-1] - timedelta(days=n) if days and n is not None else None
        if whole or first is None or days[0] >= first:
            table: pa.Table = run_detectors(
                self.store,
                preset=self.opts.preset,
                workers=self.opts.workers,
                write=False,
                pool=self._pool,
            )
            return table
        window = run_detectors(
            _Window(self.store, first),
            preset=self.opts.preset,
            workers=self.opts.workers,
            write=False,
            pool=self._pool,
        )
        cut = pa.scalar(
            datetime.combine(first + timedelta(days=1), datetime.min.time(), tzinfo=UTC),
            schema.TS,
        )
        kept = self.store.events()
        kept = kept.filter(pc.less(kept.column("start"), cut))
        fresh = window.filter(pc.greater_equal(window.column("start"), cut))
        merged = pa.concat_tables([kept, fresh.select(schema.EVENTS.names).cast(schema.EVENTS)])
        return merged.sort_by(
            [("start", "ascending"), ("type", "ascending"), ("event_id", "ascending")]
        )

    def tick(self, *, final: bool = False, force_detect: bool = False) -> None:
        added = self.commit()
        if self.opts.detect and (added or final or force_detect):
            self.detect(final=final)
        self.write_health()

    def health(self) -> dict[str, Any]:
        now = time.time()
        for spec in self.feeds:
            st = self.stats[spec.name]
            stale_after = self.opts.limits.stale_after_s
            if spec.kind in ("connect", "websocket", "follow") and (
                st.last_message is None or now - st.last_message > stale_after
            ):
                st.stale = st.stale or st.last_message is not None
        return {
            "schema": "seawatch.feeds/1",
            "updated": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "listener": {
                "pid": os.getpid(),
                "started": self.started.isoformat(timespec="seconds"),
                "commits": self.result.commits,
                "last_commit": None
                if self.last_commit is None
                else self.last_commit.isoformat(timespec="milliseconds"),
                "last_detect_s": None
                if self.last_detect_s is None
                else round(self.last_detect_s, 3),
                "watermark": None if self.watermark is None else self.watermark.isoformat(),
                "allowed_lateness_s": self.opts.allowed_lateness_s,
                "events_open": self.result.events_open,
                "events_closed": self.result.events_closed,
                "alerts": self.result.alerts,
                "rejects_by_reason": dict(sorted(self.result.rejects_by_reason.items())),
                "running": not self.final,
            },
            "feeds": [self.stats[f.name].to_dict() for f in self.feeds],
        }

    def write_health(self) -> None:
        write_json_atomic(self.root / HEALTH, self.health())

    # ---- the loop ------------------------------------------------------------------

    async def run(self, *, install_signals: bool = True) -> ListenResult:
        """Run until SIGINT/SIGTERM (or :attr:`stop_event`), or the end of stdin when it is
        the only feed. Returns the counts."""
        self._lock()
        try:
            self._start_pool()
            return await self._run(install_signals)
        finally:
            self._stop_pool()
            self._unlock()

    async def _run(self, install_signals: bool) -> ListenResult:
        (self.root / LIVE_DIR).mkdir(parents=True, exist_ok=True)
        recover_spools(self.spool_dir)
        await asyncio.to_thread(self.tick, force_detect=False)
        loop = asyncio.get_running_loop()
        stop = self.stop_event = asyncio.Event()
        if install_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.add_signal_handler(sig, stop.set)
        self.runners = [
            FeedRunner(spec, self.stats[spec.name], self._sink, self.opts.limits)
            for spec in self.feeds
        ]
        tasks = [asyncio.create_task(r.run(), name=f"feed-{r.spec.name}") for r in self.runners]
        stdin_only = bool(self.feeds) and all(f.kind == "stdin" for f in self.feeds)
        ended = asyncio.create_task(_all_ended(self.runners))
        stopped = asyncio.create_task(stop.wait())
        eof = False
        due = loop.time() + self.opts.commit_every_s
        try:
            while True:
                # ticks start every commit_every_s seconds, not that long after the last
                # one ended: a tick that overran (a long detection pass) is followed at once
                done, _ = await asyncio.wait(
                    {ended, stopped},
                    timeout=max(0.0, due - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for t in tasks:  # a feed that failed (a port in use ...) is reported
                    if t.done() and not t.cancelled() and t.exception() is not None:
                        name = t.get_name().removeprefix("feed-")
                        self.stats[name].error = str(t.exception())[:300]
                if stopped in done:
                    break
                if ended in done:
                    if stdin_only:
                        eof = True
                        break
                    ended = asyncio.create_task(_forever())  # feeds failed: go on
                due = max(due + self.opts.commit_every_s, loop.time())
                self._rotate()
                await asyncio.to_thread(self.tick)
        finally:
            for t in tasks:
                t.cancel()
            for r in self.runners:
                r.close()
            await asyncio.gather(*tasks, return_exceptions=True)
            ended.cancel()
            stopped.cancel()
            self._rotate(final=True)
            self.final = True
            await asyncio.to_thread(self.tick, final=eof, force_detect=True)
            if self.alerter is not None:
                self.alerter.close()
        return self.result


class _Window:
    """The store from UTC day ``first`` on, as the engine reads it (``detect_days``): the
    position day files and detections of those days; statics, roles and events whole."""

    def __init__(self, store: Store, first: date) -> None:
        self._store = store
        self._first = first
        self._since = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        self.root = store.root

    def files(self, table: str) -> list[Path]:
        files = self._store.files(table)
        if table != "positions":
            return files
        return [f for f in files if f.parent.name >= f"day={self._first.isoformat()}"]

    def positions(self, *, since: Any = None, until: Any = None) -> pa.Table:
        lo = self._since if since is None or since < self._since else since
        return self._store.positions(since=lo, until=until)

    def events(self, *, types: Any = None) -> pa.Table:
        return self._store.events(types=types)

    def statics(self) -> pa.Table:
        return self._store.statics()

    def detections(self) -> pa.Table:
        return self._store.detections(since=self._since)

    def scenes(self) -> pa.Table:
        return self._store.scenes()

    def role_entries(self) -> pa.Table:
        return self._store.role_entries()

    def vessels(self) -> pa.Table:
        return self._store.vessels()

    def simulated_sources(self) -> frozenset[str]:
        return self._store.simulated_sources()

    def simulated_scenes(self) -> frozenset[str]:
        return self._store.simulated_scenes()

    def replace_events(self, *args: Any, **kwargs: Any) -> None:
        raise StoreError("a windowed pass does not write events (write=False)")


async def _all_ended(runners: list[FeedRunner]) -> None:
    await asyncio.gather(*(r.ended.wait() for r in runners))


async def _forever() -> None:
    await asyncio.Event().wait()
