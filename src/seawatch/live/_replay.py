"""``seawatch replay``: play recorded NMEA into a feed, in time order, at N x speed.

A line's time is its tag block's ``c:`` (seconds or milliseconds since the epoch); a line
without one (a ``$`` sentence), and a later fragment of a multi-sentence message, go with
the line before it. Files are merged by time (each file is read in order, so memory stays bounded);
with ``speed`` 0 lines go as fast as the link takes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from seawatch._exceptions import ParameterError
from seawatch.live._feeds import parse_hostport

_C_TAG = re.compile(rb"^\\(?:[^\\]*?,)?c:(\d{1,15})")
_FRAGMENT = re.compile(rb"[!$]\w{5},(\d),(\d),")
_UDP_MAX = 1400


def _continues(line: bytes) -> bool:
    """A later fragment of a multi-sentence message (it travels with the first)."""
    m = _FRAGMENT.search(line, 0, 200)
    return m is not None and m.group(2) != b"1"


def line_time_s(line: bytes) -> float | None:
    """The tag-block time of ``line`` in seconds since the epoch, or None."""
    m = _C_TAG.match(line)
    if m is None:
        return None
    v = int(m.group(1))
    return v / 1000.0 if v >= 100_000_000_000 else float(v)


def _groups(path: Path) -> Iterator[tuple[float, int, list[bytes]]]:
    """(time, order, lines) of one file: each timed line with the untimed lines after it
    and the later fragments of its message."""
    from seawatch.sources import open_binary

    current: list[bytes] = []
    t: float | None = None  # lines before the first timed one go with it
    n = 0
    with open_binary(path) as f:
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if not line:
                continue
            lt = None if _continues(line) else line_time_s(line)
            if lt is not None and current and t is not None:
                yield t, n, current
                n += 1
                current = []
            if lt is not None:
                t = lt
            current.append(line)
    if current:
        yield (t or 0.0), n, current


def timed_lines(paths: Sequence[Path]) -> Iterator[tuple[float, list[bytes]]]:
    """The lines of ``paths`` merged by time: ``(time_s, lines)``."""
    streams = [_groups(p) for p in paths]
    for t, _, lines in heapq.merge(*streams, key=lambda g: (g[0], g[1])):
        yield t, lines


@dataclass(slots=True)
class ReplayResult:
    lines: int = 0
    seconds: float = 0.0
    loops: int = 0


async def replay(
    paths: Sequence[Path],
    to: str,
    *,
    speed: float = 60.0,
    loop: bool = False,
    max_loops: int | None = None,
    connect_timeout_s: float = 10.0,
) -> ReplayResult:
    """Send ``paths`` to ``to`` (``tcp://HOST:PORT`` or ``udp://HOST:PORT``).

    Raises:
        ParameterError: a bad target or speed.
        OSError: the connection failed.
    """
    if speed < 0:
        raise ParameterError("--speed must be >= 0 (0: as fast as possible)")
    if to.startswith("tcp://"):
        proto = "tcp"
    elif to.startswith("udp://"):
        proto = "udp"
    else:
        raise ParameterError(f"--to {to!r}: expected tcp://HOST:PORT or udp://HOST:PORT")
    for p in paths:
        if not Path(p).is_file():
            raise ParameterError(f"{p}: not a file")
    host, port = parse_hostport(to)
    result = ReplayResult()
    t_start = time.monotonic()
    writer: asyncio.StreamWriter | None = None
    transport: asyncio.DatagramTransport | None = None
    if proto == "tcp":
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port), timeout=connect_timeout_s
        )
    else:
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=(host, port)
        )
    try:
        while True:
            first: float | None = None
            wall0 = time.monotonic()
            buf: list[bytes] = []
            size = 0
            for t, lines in timed_lines(paths):
                if first is None:
                    first = t
                if speed > 0:
                    due = wall0 + (t - first) / speed
                    delay = due - time.monotonic()
                    if delay > 0.002:
                        size = await _send(writer, transport, buf, size)
                        buf = []
                        await asyncio.sleep(delay)
                for line in lines:
                    buf.append(line)
                    size += len(line) + 1
                    result.lines += 1
                if size >= (_UDP_MAX if transport is not None else 65_536):
                    size = await _send(writer, transport, buf, size)
                    buf = []
            await _send(writer, transport, buf, size)
            result.loops += 1
            if not loop or (max_loops is not None and result.loops >= max_loops):
                break
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        if transport is not None:
            transport.close()
    result.seconds = time.monotonic() - t_start
    return result


async def _send(
    writer: asyncio.StreamWriter | None,
    transport: asyncio.DatagramTransport | None,
    buf: list[bytes],
    size: int,
) -> int:
    if not buf:
        return 0
    if writer is not None:
        writer.write(b"\n".join(buf) + b"\n")
        await writer.drain()
    elif transport is not None:
        datagram: list[bytes] = []
        n = 0
        for line in buf:
            if datagram and n + len(line) + 1 > _UDP_MAX:
                transport.sendto(b"\n".join(datagram) + b"\n")
                await asyncio.sleep(0)
                datagram, n = [], 0
            datagram.append(line)
            n += len(line) + 1
        if datagram:
            transport.sendto(b"\n".join(datagram) + b"\n")
            await asyncio.sleep(0)
    del size
    return 0
