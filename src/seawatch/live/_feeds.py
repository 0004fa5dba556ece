"""Feeds: untrusted byte streams cut into bounded lines and spooled to disk.

Every feed (TCP server, TCP client, UDP, a followed file, stdin, a websocket) hands its
bytes to a :class:`LineSplitter` per connection, which never holds more than
``max_line_bytes`` of one line: a longer line is hashed while it streams past and passed on
as its first ``max_line_bytes + 1`` bytes, which the ingest rejects as ``line_length`` (the
same rule as a file). Lines go to the feed's :class:`Spool` (a file on disk), so memory
does not grow with what a client sends; the listener commits the spools every
``--commit-every`` seconds through the store's ingest.

A line without a tag block is stamped ``\\s:<feed>,c:<arrival ms>*hh\\`` (the feed is its
station, the arrival its time); a line with a tag block keeps it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seawatch import schema
from seawatch._exceptions import ParameterError

FEED_KINDS = ("tcp", "connect", "udp", "follow", "stdin", "websocket")
"""``tcp`` listens (a TCP server), ``connect`` is a TCP client, ``udp`` receives datagrams,
``follow`` reads a growing file, ``stdin`` standard input, ``websocket`` a websocket stream."""

JSON_SPOOL = "+json"
"""Suffix of the spool of a feed's JSON messages (``+`` is not allowed in feed names)."""
_NAME_OK = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_READ = 65_536


def nmea_checksum(body: bytes) -> str:
    """The two hex digits of the NMEA/tag-block XOR checksum of ``body``."""
    x = 0
    for b in body:
        x ^= b
    return f"{x:02X}"


def stamp_line(line: bytes, station: str, arrival_ms: int) -> bytes:
    """``line`` with a tag block naming ``station`` and the arrival time, unless it has one
    or is a comment (``#``: left as it came, so the ingest rejects it as ``empty``, as it
    does in a file, not as a tag block without a sentence)."""
    if line.startswith(b"\\") or line.lstrip().startswith(b"#"):
        return line
    body = f"s:{station},c:{arrival_ms}".encode()
    return b"\\" + body + b"*" + nmea_checksum(body).encode() + b"\\" + line


@dataclass(slots=True)
class FeedSpec:
    """One feed of the listener: its kind, target and name."""

    kind: str
    target: str = ""
    name: str = ""
    subscribe: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FEED_KINDS:
            raise ParameterError(
                f"unknown feed kind {self.kind!r} (one of {', '.join(FEED_KINDS)})"
            )
        if not self.name:
            base = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.kind}-{self.target}".strip("-"))
            self.name = base.strip("-")[:64] or self.kind
        if not _NAME_OK.match(self.name):
            raise ParameterError(
                f"feed name {self.name!r}: use 1-64 letters, digits, '.', '_' or '-'"
            )


def parse_hostport(value: str, *, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT`` or ``PORT`` -> (host, port).

    Raises:
        ParameterError: not a host and a port in 0..65535.
    """
    text = value.strip()
    for prefix in ("tcp://", "udp://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = default_host, text
    host = host.strip("[]") or default_host
    try:
        number = int(port)
    except ValueError:
        raise ParameterError(f"{value!r}: expected HOST:PORT") from None
    if not 0 <= number <= 65535:
        raise ParameterError(f"{value!r}: port must be 0..65535")
    return host, number


@dataclass(slots=True)
class FeedStats:
    """Health of one feed (what ``seawatch feeds`` and ``/api/feeds`` show)."""

    name: str
    kind: str
    target: str
    lines: int = 0
    bytes: int = 0
    rejects: Counter[str] = field(default_factory=Counter)
    connections: int = 0
    open_connections: int = 0
    reconnects: int = 0
    refused: int = 0
    late: int = 0
    """Messages whose own time was older than the watermark (latest time - lateness)."""
    last_message: float | None = None
    """Wall-clock time (epoch s) of the last line."""
    stale: bool = False
    error: str | None = None
    _window: list[tuple[float, int]] = field(default_factory=list)

    def seen(self, n_lines: int, n_bytes: int) -> None:
        now = time.time()
        self.lines += n_lines
        self.bytes += n_bytes
        if n_lines:
            self.last_message = now
            self.stale = False
            self._window.append((now, n_lines))
            if len(self._window) > 4096:
                del self._window[:2048]

    def rate(self, now: float | None = None, span_s: float = 10.0) -> float:
        """Lines per second over the last ``span_s`` seconds."""
        t = time.time() if now is None else now
        self._window = [(w, n) for w, n in self._window if t - w <= span_s]
        return sum(n for _, n in self._window) / span_s

    def to_dict(self) -> dict[str, Any]:
        last = self.last_message
        return {
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "messages": self.lines,
            "bytes": self.bytes,
            "messages_per_s": round(self.rate(), 1),
            "rejects": sum(self.rejects.values()),
            "rejects_by_reason": dict(sorted(self.rejects.items())),
            "connections": self.connections,
            "open_connections": self.open_connections,
            "reconnects": self.reconnects,
            "refused": self.refused,
            "late": self.late,
            "last_message": None
            if last is None
            else datetime.fromtimestamp(last, UTC).isoformat(timespec="milliseconds"),
            "stale": self.stale,
            "error": self.error,
        }


class LineSplitter:
    """Cuts a byte stream into lines; never holds more than ``max_line_bytes`` of one.

    ``feed(data)`` returns the complete lines (without the newline). A line longer than the
    cap comes out as its first ``max_line_bytes + 1`` bytes (so that the ingest rejects it as
    ``line_length``), once its end is seen; ``long_lines`` counts them and ``last_long`` holds
    the length and sha256 of the last one."""

    def __init__(self, max_line_bytes: int = schema.MAX_LINE_BYTES) -> None:
        self.max_line_bytes = max_line_bytes
        self._pending = bytearray()
        self._skip: Any = None
        self._skip_len = 0
        self._skip_head = b""
        self.long_lines = 0
        self.last_long: tuple[int, str] | None = None

    @property
    def buffered(self) -> int:
        return len(self._pending)

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        while data:
            if self._skip is not None:
                nl = data.find(b"\n")
                part = data if nl < 0 else data[:nl]
                self._skip.update(part)
                self._skip_len += len(part)
                if nl < 0:
                    return out
                out.append(self._skip_head)
                self.long_lines += 1
                self.last_long = (self._skip_len, self._skip.hexdigest())
                self._skip = None
                data = data[nl + 1 :]
                continue
            nl = data.find(b"\n")
            if nl < 0:
                self._pending += data
                if len(self._pending) > self.max_line_bytes:
                    head = bytes(self._pending)
                    self._skip = hashlib.sha256(head)
                    self._skip_len = len(head)
                    self._skip_head = head[: self.max_line_bytes + 1]
                    self._pending = bytearray()
                return out
            if self._pending:
                line = bytes(self._pending) + data[:nl]
                self._pending = bytearray()
            else:
                line = data[:nl]
            data = data[nl + 1 :]
            if len(line) > self.max_line_bytes:
                self.long_lines += 1
                self.last_long = (len(line), hashlib.sha256(line).hexdigest())
                line = line[: self.max_line_bytes + 1]
            out.append(line.rstrip(b"\r"))
        return out

    def flush(self) -> list[bytes]:
        """The last line without a newline (at the end of a stream)."""
        if self._skip is not None:
            self.long_lines += 1
            self.last_long = (self._skip_len, self._skip.hexdigest())
            self._skip = None
            return [self._skip_head]
        if self._pending:
            line = bytes(self._pending).rstrip(b"\r")
            self._pending = bytearray()
            return [line]
        return []


class Spool:
    """A feed's lines on disk until the next commit: ``<dir>/<feed>-<n>.<ext>.part``,
    renamed to ``<feed>-<n>.<ext>`` (fsynced) by :meth:`rotate`. ``ext`` is ``nmea`` or
    ``csv`` (websocket JSON messages)."""

    def __init__(self, folder: Path, feed: str, ext: str, header: bytes = b"") -> None:
        self.folder = folder
        self.feed = feed
        self.ext = ext
        self.header = header
        self._file: Any = None
        self._path: Path | None = None
        self.pending_lines = 0
        self._held: list[bytes] = []
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, lines: list[bytes], *, hold: bool = True) -> None:
        if hold and self.ext == "nmea":
            # the first fragments of a multi-sentence message wait for the rest, so that a
            # commit never cuts a message in two (its parts would be orphan fragments)
            lines = self._held + lines
            self._held = []
            k = len(lines)
            while k > 0 and len(lines) - k < 9 and _unfinished(lines[k - 1]):
                k -= 1
            self._held = lines[k:]
            lines = lines[:k]
        if not lines:
            return
        if self._file is None:
            stamp = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            self._path = self.folder / f"{self.feed}--{stamp}.{self.ext}.part"
            self._file = open(self._path, "wb")  # noqa: SIM115 (kept open across writes)
            if self.header:
                self._file.write(self.header)
        self._file.write(b"\n".join(lines) + b"\n")
        self.pending_lines += len(lines)

    def rotate(self, *, final: bool = False) -> Path | None:
        """Close the current file (fsynced) and make it ready to commit; None if empty.
        ``final``: the feed has ended, held fragments are written too."""
        if final and self._held:
            held, self._held = self._held, []
            self.write(held, hold=False)
        if self._file is None or self._path is None:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        ready = self._path.with_suffix("")  # drop .part
        os.replace(self._path, ready)
        self._file, self._path, self.pending_lines = None, None, 0
        return ready


_FRAGMENT = re.compile(rb"[!$]\w{5},(\d),(\d),")


def _unfinished(line: bytes) -> bool:
    """A fragment of a multi-sentence message that is not its last."""
    m = _FRAGMENT.search(line, 0, 200)
    return m is not None and m.group(2) < m.group(1)


def recover_spools(folder: Path) -> list[Path]:
    """After a crash: ``.part`` files cut to their last whole line and made ready; returns
    every ready spool file, oldest first."""
    if not folder.is_dir():
        return []
    for part in sorted(folder.glob("*.part")):
        data = part.read_bytes()
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            part.unlink()
            continue
        if cut < len(data):
            with open(part, "r+b") as f:
                f.truncate(cut)
        os.replace(part, part.with_suffix(""))
    return ready_spools(folder)


def ready_spools(folder: Path) -> list[Path]:
    """Spool files waiting for a commit, oldest first."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix in (".nmea", ".csv")]
    return sorted(files, key=lambda p: p.name.rsplit("--", 1)[-1])


def spool_feed(path: Path) -> str:
    """The feed name of a spool file (a JSON feed's CSV spool is ``<feed>+json--...``)."""
    return path.name.rsplit("--", 1)[0].removesuffix(JSON_SPOOL)


# ---- aisstream-style JSON -------------------------------------------------------------

CSV_HEADER = b"mmsi,ts,lat,lon,sog_kn,cog_deg,heading_deg,nav_status,name,ship_type,imo,callsign\n"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        text = '"' + text.replace('"', '""').replace("\r", " ").replace("\n", " ") + '"'
    return text


def _num(value: Any) -> Any:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def json_message_row(raw: bytes, arrival: float) -> bytes | None:
    """One aisstream-style JSON message as a CSV row (positions and identity), or None when
    it is not one (the caller counts it as a reject). Values are taken as data, never
    interpreted: non-numeric numbers become empty cells."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict):
        return None
    meta = doc.get("MetaData") or doc.get("Metadata") or {}
    msg = doc.get("Message") or {}
    if not isinstance(meta, dict) or not isinstance(msg, dict):
        return None
    kind = doc.get("MessageType")
    body = msg.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, dict):
        body = {}
    mmsi = _num(meta.get("MMSI")) or _num(body.get("UserID"))
    if not isinstance(mmsi, int) or not 0 < mmsi < 1_000_000_000:
        return None
    ts = meta.get("time_utc")
    when = datetime.fromtimestamp(arrival, UTC)
    if isinstance(ts, str):
        text = ts.replace(" +0000 UTC", "+00:00").replace("Z", "+00:00")
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(text)
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    lat = _num(body.get("Latitude", meta.get("latitude")))
    lon = _num(body.get("Longitude", meta.get("longitude")))
    cells = [
        mmsi,
        when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        lat,
        lon,
        _num(body.get("Sog")),
        _num(body.get("Cog")),
        _num(body.get("TrueHeading")),
        _num(body.get("NavigationalStatus")),
        body.get("Name") if isinstance(body.get("Name"), str) else meta.get("ShipName"),
        _num(body.get("Type")),
        _num(body.get("ImoNumber")),
        body.get("CallSign") if isinstance(body.get("CallSign"), str) else None,
    ]
    if lat is None or lon is None:
        return None
    name = cells[8]
    cells[8] = name.strip() if isinstance(name, str) else None
    return ",".join(_csv_cell(c) for c in cells).encode("utf-8", "replace")


# ---- the feed tasks -------------------------------------------------------------------

Sink = Callable[[str, list[bytes]], None]
"""``sink(feed_name, lines)``: where a feed's lines go (the listener's spools)."""


@dataclass(slots=True)
class Limits:
    """Per-connection bounds: a client cannot stop the others or grow memory."""

    max_line_bytes: int = schema.MAX_LINE_BYTES
    max_clients: int = 64
    """TCP server: connections beyond this are refused (closed at once)."""
    idle_timeout_s: float = 300.0
    """TCP server: a client silent this long (a slow-loris) is disconnected."""
    stale_after_s: float = 60.0
    """TCP client / websocket: silent this long -> stale, and reconnected."""
    backoff_s: tuple[float, float] = (0.5, 30.0)
    """TCP client / websocket: first and largest wait between reconnects."""


class FeedRunner:
    """Runs one feed as asyncio tasks, handing lines to ``sink``."""

    def __init__(self, spec: FeedSpec, stats: FeedStats, sink: Sink, limits: Limits) -> None:
        self.spec, self.stats, self.sink, self.limits = spec, stats, sink, limits
        self.ended = asyncio.Event()
        self._server: Any = None
        self._handlers: set[asyncio.Task[Any]] = set()

    def _deliver(self, lines: list[bytes], n_bytes: int) -> None:
        now_ms = int(time.time() * 1000)
        out = [stamp_line(ln, self.spec.name, now_ms) for ln in lines if ln.strip()]
        self.stats.seen(len(out), n_bytes)
        if out:
            self.sink(self.spec.name, out)

    def _take(self, splitter: LineSplitter, data: bytes, *, last: bool = False) -> None:
        """``data`` through ``splitter`` (``last``: the end of the stream, the line in
        progress included): whole lines delivered, lines over the limit counted as
        ``line_length`` rejects."""
        before = splitter.long_lines
        lines = splitter.feed(data) if data else []
        if last:
            lines += splitter.flush()
        self._deliver(lines, len(data))
        if splitter.long_lines > before:
            self.stats.rejects["line_length"] += splitter.long_lines - before

    async def _pump(self, reader: asyncio.StreamReader, *, idle_s: float | None) -> None:
        splitter = LineSplitter(self.limits.max_line_bytes)
        while True:
            try:
                data = await asyncio.wait_for(reader.read(_READ), timeout=idle_s)
            except TimeoutError:
                self.stats.stale = True
                break
            if not data:
                break
            self._take(splitter, data)
        self._take(splitter, b"", last=True)

    async def run(self) -> None:
        kind = self.spec.kind
        try:
            if kind == "tcp":
                await self._tcp_server()
            elif kind == "connect":
                await self._tcp_client()
            elif kind == "udp":
                await self._udp()
            elif kind == "follow":
                await self._follow()
            elif kind == "stdin":
                await self._stdin()
            else:
                await self._websocket()
        finally:
            self.ended.set()

    # TCP server
    async def _tcp_server(self) -> None:
        host, port = parse_hostport(self.spec.target)

        async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self.stats.open_connections >= self.limits.max_clients:
                self.stats.refused += 1
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
                return
            self.stats.connections += 1
            self.stats.open_connections += 1
            me = asyncio.current_task()
            if me is not None:
                self._handlers.add(me)
            try:
                await self._pump(reader, idle_s=self.limits.idle_timeout_s)
            except (ConnectionError, OSError, asyncio.CancelledError):
                pass  # cancelled: the server is stopping (a handler must end normally)
            finally:
                if me is not None:
                    self._handlers.discard(me)
                self.stats.open_connections -= 1
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

        self._server = await asyncio.start_server(client, host, port, limit=_READ)
        sock = self._server.sockets[0].getsockname()
        self.stats.target = f"{sock[0]}:{sock[1]}"
        server = self._server
        try:
            # start_server already serves. Not serve_forever(): from Python 3.12 on, its
            # cancellation waits for every client to hang up, so a feed still connected
            # (AIS-catcher pushing to us) kept SIGTERM from stopping the listener
            await asyncio.get_running_loop().create_future()
        finally:
            server.close()
            handlers = [t for t in self._handlers if not t.done()]
            for t in handlers:
                t.cancel()
            await asyncio.gather(*handlers, return_exceptions=True)
            await server.wait_closed()

    # TCP client with reconnect and staleness
    async def _tcp_client(self) -> None:
        host, port = parse_hostport(self.spec.target)
        first, top = self.limits.backoff_s
        wait = first
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, port, limit=_READ)
            except OSError as exc:
                self.stats.error = f"cannot connect: {exc.strerror or exc}"
                await asyncio.sleep(wait)
                wait = min(top, wait * 2)
                self.stats.reconnects += 1
                continue
            self.stats.connections += 1
            self.stats.open_connections = 1
            self.stats.error = None
            got = self.stats.lines
            try:
                await self._pump(reader, idle_s=self.limits.stale_after_s)
            except (ConnectionError, OSError) as exc:
                self.stats.error = f"connection lost: {exc}"
            finally:
                self.stats.open_connections = 0
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
            if self.stats.lines > got:
                wait = first  # it worked for a while: start the backoff again
            await asyncio.sleep(wait)
            wait = min(top, wait * 2)
            self.stats.reconnects += 1

    # UDP
    async def _udp(self) -> None:
        host, port = parse_hostport(self.spec.target, default_host="127.0.0.1")
        runner = self

        class _Proto(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                # a datagram is whole: its last line ends with it
                runner._take(LineSplitter(runner.limits.max_line_bytes), data, last=True)

        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(_Proto, local_addr=(host, port))
        sock = transport.get_extra_info("sockname")
        self.stats.target = f"{sock[0]}:{sock[1]}"
        try:
            await asyncio.Event().wait()
        finally:
            transport.close()

    # a growing file
    async def _follow(self) -> None:
        path = Path(self.spec.target)
        splitter = LineSplitter(self.limits.max_line_bytes)
        pos = 0
        inode = None
        while True:
            try:
                st = path.stat()
            except OSError:
                await asyncio.sleep(0.2)
                continue
            if inode is not None and (st.st_ino != inode or st.st_size < pos):
                pos = 0  # rotated or truncated: read the new file from its start
                self.stats.reconnects += 1
            inode = st.st_ino
            if st.st_size > pos:
                with open(path, "rb") as f:
                    f.seek(pos)
                    while True:
                        data = f.read(_READ)
                        if not data:
                            break
                        pos += len(data)
                        self._take(splitter, data)
                        await asyncio.sleep(0)
            await asyncio.sleep(0.2)

    # standard input: ends at EOF
    async def _stdin(self) -> None:
        import sys

        fd = sys.stdin.buffer.fileno()
        splitter = LineSplitter(self.limits.max_line_bytes)
        while True:
            data = await asyncio.to_thread(os.read, fd, 1 << 20)
            if not data:
                break
            self._take(splitter, data)
        self._take(splitter, b"", last=True)

    # websocket with a subscription message
    async def _websocket(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        first, top = self.limits.backoff_s
        wait = first
        while True:
            try:
                async with connect(
                    self.spec.target,
                    max_size=self.limits.max_line_bytes,
                    open_timeout=self.limits.stale_after_s,
                ) as ws:
                    self.stats.connections += 1
                    self.stats.open_connections = 1
                    self.stats.error = None
                    if self.spec.subscribe:
                        await ws.send(self.spec.subscribe)
                    while True:
                        try:
                            msg = await asyncio.wait_for(
                                ws.recv(), timeout=self.limits.stale_after_s
                            )
                        except TimeoutError:
                            self.stats.stale = True
                            break
                        data = msg.encode() if isinstance(msg, str) else msg
                        self._websocket_message(data)
                        wait = first
            except (OSError, WebSocketException, TimeoutError) as exc:
                self.stats.error = f"websocket: {type(exc).__name__}: {exc}"[:300]
            self.stats.open_connections = 0
            await asyncio.sleep(wait)
            wait = min(top, wait * 2)
            self.stats.reconnects += 1

    def _websocket_message(self, data: bytes) -> None:
        text = data.lstrip()
        if text.startswith(b"{"):
            row = json_message_row(text, time.time())
            if row is None:
                self.stats.rejects["json_message"] += 1
                self.stats.seen(0, len(data))
                return
            self.stats.seen(1, len(data))
            self.sink(self.spec.name + JSON_SPOOL, [row])
            return
        self._take(LineSplitter(self.limits.max_line_bytes), data, last=True)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
