"""Feeds: bounded lines, stamping, JSON messages, and the faults of issue #10 (loopback
only, each with a timeout): drop and reconnect, a stale half-open link, garbage, a 3 MB
line and a slow-loris client beside a good one."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from seawatch import schema
from seawatch.live import (
    FeedSpec,
    FeedStats,
    Limits,
    LineSplitter,
    json_message_row,
    line_time_s,
    stamp_line,
)
from seawatch.live._feeds import FeedRunner

GOOD = b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"


def test_splitter_bounds_a_long_line() -> None:
    sp = LineSplitter(max_line_bytes=100)
    out = sp.feed(b"ab\ncd")
    assert out == [b"ab"] and sp.buffered == 2
    out = sp.feed(b"x" * 500)
    assert out == [] and sp.buffered == 0  # not held: hashed while streaming past
    out = sp.feed(b"y" * 500 + b"\nok\r\n")
    assert out[0] == (b"cd" + b"x" * 500)[:101] and out[1] == b"ok"
    assert sp.long_lines == 1
    length, digest = sp.last_long or (0, "")
    assert length == 2 + 1000
    assert digest == hashlib.sha256(b"cd" + b"x" * 500 + b"y" * 500).hexdigest()
    assert sp.feed(b"tail") == [] and sp.flush() == [b"tail"]


def test_stamp_line_adds_station_and_time_once() -> None:
    stamped = stamp_line(GOOD, "feed-a", 1_733_650_000_123)
    assert stamped.startswith(b"\\s:feed-a,c:1733650000123*")
    assert stamp_line(stamped, "other", 1) == stamped
    assert line_time_s(stamped) == pytest.approx(1_733_650_000.123)
    assert line_time_s(b"\\c:1764547200*00\\" + GOOD) == 1_764_547_200.0  # c: first
    assert line_time_s(b"\\s:xc:5*00\\" + GOOD) is None  # not a c: field
    assert line_time_s(GOOD) is None


def test_stamped_lines_decode_with_station_and_time() -> None:
    from seawatch.ais import decode_bytes

    d = decode_bytes(stamp_line(GOOD, "feed-a", 1_733_650_000_000) + b"\n")
    assert d.positions.num_rows == 1
    assert d.positions.column("station").to_pylist() == ["feed-a"]
    assert d.positions.column("ts")[0].as_py().year == 2024


def test_comment_lines_are_rejected_as_in_a_file() -> None:
    """A ``#`` comment from a feed is not stamped, so the ingest calls it ``empty``, as it
    does in a file (stamped, it was a tag block without a sentence: ``not_ais``)."""
    from seawatch.ais import decode_bytes

    comment = b"# Sample AIVDM data sentences"
    assert stamp_line(comment, "feed-a", 1) == comment
    assert stamp_line(b"  #x", "feed-a", 1) == b"  #x"
    got = decode_bytes(b"\n".join(stamp_line(x, "f", 1_733_650_000_000) for x in (comment, GOOD)))
    assert got.positions.num_rows == 1
    assert got.rejects.column("reason").to_pylist() == ["empty"]


def test_json_message_row() -> None:
    msg = {
        "MessageType": "PositionReport",
        "MetaData": {"MMSI": 775001234, "time_utc": "2025-12-08 08:00:00.123456789 +0000 UTC"},
        "Message": {
            "PositionReport": {"Latitude": 11.5, "Longitude": -66.2, "Sog": 12.5, "Cog": 90}
        },
    }
    row = json_message_row(json.dumps(msg).encode(), 0.0)
    assert row is not None
    assert row.startswith(b"775001234,2025-12-08T08:00:00.123456Z,11.5,-66.2,12.5,90")
    assert json_message_row(b"{not json", 0.0) is None
    assert json_message_row(b'{"MetaData": {"MMSI": "=cmd"}}', 0.0) is None
    named = dict(msg, Message={"PositionReport": {"Latitude": 1, "Longitude": 2, "Name": 'a,"b'}})
    row2 = json_message_row(json.dumps(named).encode(), 0.0)
    assert row2 is not None and b'"a,""b"' in row2


def test_feed_names_are_checked() -> None:
    from seawatch._exceptions import ParameterError

    assert FeedSpec("tcp", "127.0.0.1:10110").name == "tcp-127.0.0.1-10110"
    with pytest.raises(ParameterError):
        FeedSpec("tcp", "1", name="../etc")
    with pytest.raises(ParameterError):
        FeedSpec("carrier-pigeon", "x")


class _Collect:
    def __init__(self) -> None:
        self.lines: list[bytes] = []

    def __call__(self, name: str, lines: list[bytes]) -> None:
        self.lines.extend(lines)


def _runner(kind: str, target: str, limits: Limits) -> tuple[FeedRunner, _Collect]:
    sink = _Collect()
    spec = FeedSpec(kind, target, name="f")
    return FeedRunner(spec, FeedStats("f", kind, target), sink, limits), sink


async def _until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def _run(coro: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), timeout=30))


@pytest.mark.timeout(40)
def test_client_reconnects_after_a_drop() -> None:
    async def main() -> None:
        served = 0

        async def server(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            nonlocal served
            served += 1
            w.write(GOOD + b"\n")
            await w.drain()
            w.close()  # the feed drops after one line

        srv = await asyncio.start_server(server, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        runner, sink = _runner("connect", f"127.0.0.1:{port}", Limits(backoff_s=(0.05, 0.2)))
        task = asyncio.create_task(runner.run())
        await _until(lambda: len(sink.lines) >= 3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        srv.close()
        assert runner.stats.reconnects >= 2 and served >= 3

    _run(main)


@pytest.mark.timeout(40)
def test_stale_half_open_link_is_reported_and_reconnected() -> None:
    async def main() -> None:
        conns = 0
        held: list[asyncio.StreamWriter] = []

        async def server(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            nonlocal conns
            conns += 1
            held.append(w)  # ESTABLISHED, silent: a half-open link

        srv = await asyncio.start_server(server, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        limits = Limits(stale_after_s=0.3, backoff_s=(0.05, 0.1))
        runner, _ = _runner("connect", f"127.0.0.1:{port}", limits)
        task = asyncio.create_task(runner.run())
        await _until(lambda: conns >= 2)
        assert runner.stats.stale
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for w in held:
            w.close()
        srv.close()
        await srv.wait_closed()

    _run(main)


@pytest.mark.timeout(40)
def test_garbage_long_line_and_slow_loris_do_not_stop_a_good_client() -> None:
    async def main() -> None:
        limits = Limits(idle_timeout_s=0.5, max_clients=3)
        runner, sink = _runner("tcp", "127.0.0.1:0", limits)
        task = asyncio.create_task(runner.run())
        await _until(lambda: ":" in runner.stats.target and not runner.stats.target.endswith(":0"))
        host, port = runner.stats.target.rsplit(":", 1)
        # a slow loris: connects, sends half a line, then nothing
        _, loris = await asyncio.open_connection(host, int(port))
        loris.write(b"!AIVDM,1,1")
        await loris.drain()
        # a flood: 3 MB without a newline, then garbage, then a newline
        _, flood = await asyncio.open_connection(host, int(port))
        flood.write(b"\x00\xff" * (3 * 2**20 // 2))
        flood.write(b"\x1b[2J garbage\n")
        await flood.drain()
        # a good client beside them
        _, good = await asyncio.open_connection(host, int(port))
        good.write((GOOD + b"\n") * 5)
        await good.drain()
        await _until(lambda: sum(1 for ln in sink.lines if ln.endswith(GOOD)) == 5)
        await _until(lambda: runner.stats.rejects["line_length"] == 1)
        long = [ln for ln in sink.lines if len(ln) > 1000]
        assert len(long) == 1 and len(long[0]) <= schema.MAX_LINE_BYTES + 200
        # the loris is dropped after the idle timeout; a fourth client is refused at most
        await _until(lambda: runner.stats.open_connections <= 2, timeout=5)
        for w in (loris, flood, good):
            w.close()
        task.cancel()
        runner.close()
        await asyncio.gather(task, return_exceptions=True)
        for w in (loris, flood, good):
            with contextlib.suppress(OSError):
                await w.wait_closed()
        await asyncio.sleep(0.05)

    _run(main)


@pytest.mark.timeout(40)
def test_udp_and_follow(tmp_path: Path) -> None:
    async def main() -> None:
        runner, sink = _runner("udp", "127.0.0.1:0", Limits())
        task = asyncio.create_task(runner.run())
        await _until(lambda: not runner.stats.target.endswith(":0"))
        host, port = runner.stats.target.rsplit(":", 1)
        loop = asyncio.get_running_loop()
        tr, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=(host, int(port))
        )
        tr.sendto((GOOD + b"\n") * 2)
        await _until(lambda: len(sink.lines) == 2)
        tr.close()
        task.cancel()
        f = tmp_path / "grow.nmea"
        f.write_bytes(GOOD + b"\n")
        runner2, sink2 = _runner("follow", str(f), Limits())
        task2 = asyncio.create_task(runner2.run())
        await _until(lambda: len(sink2.lines) == 1)
        with open(f, "ab") as out:
            out.write(GOOD + b"\n" + GOOD[:10])
        await _until(lambda: len(sink2.lines) == 2)
        with open(f, "ab") as out:
            out.write(GOOD[10:] + b"\n")
        await _until(lambda: len(sink2.lines) == 3)
        task2.cancel()

    _run(main)


def test_spool_never_cuts_a_multi_sentence_message(tmp_path: Path) -> None:
    from seawatch.live._feeds import Spool

    part1 = b"\\g:1-2-7,c:1739232003*00\\!AIVDM,2,1,8,B,55?d,0*39"
    part2 = b"\\g:2-2-7,c:1739232003*00\\!AIVDM,2,2,8,B,000,2*2F"
    spool = Spool(tmp_path, "f", "nmea")
    spool.write([GOOD, part1])
    first = spool.rotate()
    assert first is not None and first.read_bytes() == GOOD + b"\n"
    spool.write([part2])
    second = spool.rotate()
    assert second is not None and second.read_bytes() == part1 + b"\n" + part2 + b"\n"
    spool.write([part1])
    assert spool.rotate() is None
    last = spool.rotate(final=True)
    assert last is not None and last.read_bytes() == part1 + b"\n"


def test_messages_older_than_the_lateness_are_counted(tmp_path: Path) -> None:
    from seawatch.live import Listener
    from seawatch.store import open_store

    listener = Listener(open_store(tmp_path / "s", create=True), [FeedSpec("tcp", "1", name="f")])
    listener._watermark_s = 1_733_650_000.0
    old = stamp_line(GOOD, "rx", 1_733_640_000_000)
    new = stamp_line(GOOD, "rx", 1_733_660_000_000)
    listener._sink("f", [old, new, GOOD])
    assert listener.stats["f"].late == 1
    assert listener.stats["f"].to_dict()["late"] == 1
    listener._rotate(final=True)  # closes the spool file


@pytest.mark.timeout(60)
def test_websocket_json_and_nmea_reach_the_store(tmp_path: Path) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    from seawatch.live import Listener, ListenOptions
    from seawatch.store import open_store

    msg = {
        "MessageType": "PositionReport",
        "MetaData": {"MMSI": 775001234, "time_utc": "2025-12-08 08:00:00 +0000 UTC"},
        "Message": {"PositionReport": {"Latitude": 11.5, "Longitude": -66.2, "Sog": 12.5}},
    }
    subscriptions: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        subscriptions.append(str(await ws.recv()))
        await ws.send(json.dumps(msg))
        await ws.send(b"{garbage")
        await ws.send(stamp_line(GOOD, "ws", 1_733_650_000_000))
        await ws.wait_closed()

    async def main() -> None:
        async with serve(handler, "127.0.0.1", 0) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            spec = FeedSpec("websocket", f"ws://127.0.0.1:{port}", name="ws", subscribe='{"k": 1}')
            store = open_store(tmp_path / "s", create=True)
            listener = Listener(store, [spec], ListenOptions(commit_every_s=0.2, detect=False))
            task = asyncio.create_task(listener.run(install_signals=False))
            await _until(lambda: listener.result.positions >= 2, timeout=30)
            assert listener.stop_event is not None
            listener.stop_event.set()
            await task
            assert subscriptions == ['{"k": 1}']
            assert listener.stats["ws"].rejects["json_message"] == 1
            pos = store.positions()
            assert sorted(pos.column("mmsi").to_pylist())[-1] == 775001234
            assert set(pos.column("source").to_pylist()) == {"ws"}

    _run(main)


@pytest.mark.timeout(60)
def test_ticks_keep_their_cadence_and_an_overrun_is_followed_at_once(tmp_path: Path) -> None:
    """Ticks start every ``commit_every_s`` seconds: a tick that takes longer (a long
    detection pass) is followed at once, not ``commit_every_s`` after it ended (which
    would add a commit interval to every alert's latency)."""
    import time

    from seawatch.live import Listener, ListenOptions
    from seawatch.store import open_store

    spans: list[tuple[float, float]] = []

    async def main() -> None:
        store = open_store(tmp_path / "s", create=True)
        opts = ListenOptions(commit_every_s=1.0, detect=False)
        listener = Listener(store, [FeedSpec("tcp", "127.0.0.1:0", name="f")], opts)

        def slow_tick(**kw: object) -> None:
            t = time.monotonic()
            time.sleep(1.5 if len(spans) < 3 else 0.0)
            spans.append((t, time.monotonic()))

        listener.tick = slow_tick  # type: ignore[method-assign]
        task = asyncio.create_task(listener.run(install_signals=False))
        await _until(lambda: len(spans) >= 6, timeout=30)
        assert listener.stop_event is not None
        listener.stop_event.set()
        await task

    _run(main)
    # spans[0] is the tick at start; 1 and 2 overran: the next one starts right away
    for (_, end), (start, _) in itertools.pairwise(spans[1:4]):
        assert start - end < 0.5
    # then quick ticks, one a second (not one a second after the one before ended)
    starts = [s for s, _ in spans[4:6]]
    assert 0.5 < starts[1] - starts[0] < 1.5
