"""Open an input as a binary stream, decompressing by magic bytes (not only by suffix).

Decompression never raises on damaged input: a truncated or corrupt stream, or junk after
its end, ends the stream where the damage starts and is recorded (:class:`Damage`), so
the caller keeps the good part and reports the rest as a ``damaged_input`` reject.
Concatenated members (``cat a.gz b.gz``, multi-frame zstd) are read as one stream;
trailing zero bytes (tape padding) are ignored as gzip does.
"""

from __future__ import annotations

import bz2
import io
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

import zstandard

from seawatch._exceptions import SourceError

Compression = Literal["gzip", "bz2", "zstd", "none"]

_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_MAGIC_LEN = 4


def sniff_compression(head: bytes) -> Compression:
    """The compression of a stream that starts with ``head`` (its first 4 bytes suffice)."""
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZSTD_MAGIC):
        return "zstd"
    if head.startswith(_BZ2_MAGIC) and len(head) >= 4 and head[3:4].isdigit():
        return "bz2"
    return "none"


def _is_stdin(path: str | Path) -> bool:
    return str(path) == "-"


class Damage:
    """What went wrong while decompressing one input (``None`` while nothing did)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.at_bytes = 0
        """Decompressed bytes delivered before the damage."""
        self.lost = True
        """False when only junk after a complete stream was ignored."""

    def __call__(self) -> str | None:
        if self.reason is None:
            return None
        tail = "the rest is lost" if self.lost else "the junk is ignored"
        return f"{self.reason} after {self.at_bytes:,} decompressed bytes; {tail}"


class _Member(Protocol):
    eof: bool
    hungry: bool
    """False while the decompressor still holds input it has not turned into output."""

    def pull(self, data: bytes, max_len: int) -> tuple[bytes, bytes]:
        """Decompress from ``data``; return (output, input not consumed: after the end of
        the member, what follows it)."""
        ...


class _Gzip:
    def __init__(self) -> None:
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.eof = False
        self.hungry = True  # what zlib has not consumed comes back as unconsumed_tail

    def pull(self, data: bytes, max_len: int) -> tuple[bytes, bytes]:
        out = self._d.decompress(data, max_len)
        self.eof = self._d.eof
        return out, self._d.unused_data if self.eof else self._d.unconsumed_tail


class _Bz2:
    def __init__(self) -> None:
        self._d = bz2.BZ2Decompressor()
        self.eof = False
        self.hungry = True

    def pull(self, data: bytes, max_len: int) -> tuple[bytes, bytes]:
        out = self._d.decompress(data, max_len)
        self.eof = self._d.eof
        self.hungry = bool(self._d.needs_input)  # else it buffers input: drain it first
        return out, self._d.unused_data if self.eof else b""


class _Zstd:
    _PIECE = 4096
    """Compressed bytes per call (the zstandard object has no output limit)."""

    def __init__(self) -> None:
        self._d = zstandard.ZstdDecompressor().decompressobj()
        self.eof = False
        self.hungry = True  # the input it was not given stays with the caller

    def pull(self, data: bytes, max_len: int) -> tuple[bytes, bytes]:
        out = self._d.decompress(data[: self._PIECE])
        self.eof = self._d.eof
        rest = data[self._PIECE :]
        return out, self._d.unused_data + rest if self.eof else rest


_MEMBERS: dict[str, tuple[type[_Gzip] | type[_Bz2] | type[_Zstd], bytes]] = {
    "gzip": (_Gzip, _GZIP_MAGIC),
    "bz2": (_Bz2, _BZ2_MAGIC),
    "zstd": (_Zstd, _ZSTD_MAGIC),
}
_DECODE_ERRORS = (zlib.error, OSError, EOFError, ValueError, zstandard.ZstdError)
_READ_BYTES = 1 << 16
_PULL_BYTES = 1 << 16


class _Decompressing(io.RawIOBase):
    """A raw reader that decompresses ``raw`` and stops, recording why, at damage."""

    def __init__(self, raw: BinaryIO, compression: str, damage: Damage) -> None:
        self._raw = raw
        self._kind = compression
        self._factory, self._magic = _MEMBERS[compression]
        self._member: _Gzip | _Bz2 | _Zstd = self._factory()
        self._in = b""
        self._out = b""
        self._out_pos = 0
        self._done = False
        self._damage = damage
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = len(buffer)
        filled = 0
        while filled < n:
            if self._out_pos < len(self._out):
                k = min(n - filled, len(self._out) - self._out_pos)
                buffer[filled : filled + k] = self._out[self._out_pos : self._out_pos + k]
                self._out_pos += k
                filled += k
                continue
            if self._done:
                break
            self._out = self._step()
            self._out_pos = 0
            self._produced += len(self._out)
        return filled

    def _fail(self, reason: str, *, lost: bool = True) -> bytes:
        self._damage.reason = reason
        self._damage.lost = lost
        self._damage.at_bytes = self._produced
        self._done = True
        return b""

    def _read(self) -> bytes:
        return self._raw.read(_READ_BYTES) or b""

    def _pull(self, data: bytes) -> bytes:
        try:
            out, self._in = self._member.pull(data, _PULL_BYTES)
        except _DECODE_ERRORS as exc:
            return self._fail(f"corrupt {self._kind} data ({exc})")
        return out

    def _step(self) -> bytes:
        if self._member.eof:
            return self._next_member()
        if self._in:
            return self._pull(self._in)
        if not self._member.hungry:
            return self._pull(b"")
        data = self._read()
        if data:
            return self._pull(data)
        out = self._pull(b"")  # output the decompressor may still hold
        if out or self._member.eof or self._done:
            return out
        return self._fail(f"truncated {self._kind} stream")

    def _next_member(self) -> bytes:
        rest = self._in
        self._in = b""
        while True:
            rest = rest.lstrip(b"\x00")
            if len(rest) >= len(self._magic):
                break
            more = self._read()
            if not more:
                if rest:
                    return self._fail(
                        f"{len(rest)} bytes of junk after the {self._kind} stream", lost=False
                    )
                self._done = True
                return b""
            rest += more
        if not rest.startswith(self._magic):
            return self._fail(f"junk after the end of the {self._kind} stream", lost=False)
        self._member = self._factory()
        self._in = rest
        return b""

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _wrap(raw: io.BufferedReader[Any], compression: Compression, damage: Damage) -> BinaryIO:
    if compression == "none":
        return raw
    reader = _Decompressing(raw, compression, damage)
    return io.BufferedReader(reader, buffer_size=1 << 20)


def open_binary(path: str | Path) -> BinaryIO:
    """Open ``path`` for binary reading, transparently decompressed.

    ``"-"`` reads standard input. Plain files and gzip, bzip2 and Zstandard
    compressed files are recognised by their magic bytes, whatever their suffix
    (so ``feed.log`` that is really gzip is read correctly). The caller closes the
    returned stream (closing it closes the underlying file; stdin is left open).

    Raises:
        SourceError: the file does not exist or cannot be read.
    """
    return open_counted(path)[0]


def open_counted(path: str | Path) -> tuple[BinaryIO, Callable[[], int]]:
    """:func:`open_binary`, plus a function giving the (compressed) bytes read so far."""
    stream, count, _ = open_checked(path)
    return stream, count


def open_checked(path: str | Path) -> tuple[BinaryIO, Callable[[], int], Damage]:
    """:func:`open_counted`, plus the :class:`Damage` record of its decompression (call it
    after reading: ``None``, or the damage as one sentence)."""
    counting: _CountingReader
    if _is_stdin(path):
        counting = _CountingReader(sys.stdin.buffer, close_inner=False)
    else:
        try:
            inner = open(path, "rb", buffering=0)  # noqa: SIM115 - returned to the caller
        except OSError as exc:
            raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
        counting = _CountingReader(inner, close_inner=True)
    buffered = io.BufferedReader(counting, buffer_size=1 << 20)
    try:
        head = buffered.peek(_MAGIC_LEN)[:_MAGIC_LEN]
    except OSError as exc:
        buffered.close()
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    damage = Damage()
    return _wrap(buffered, sniff_compression(head), damage), counting.count, damage


class _CountingReader(io.RawIOBase):
    """A raw reader that counts the bytes it delivers; optionally leaves its source open."""

    def __init__(self, inner: BinaryIO | io.RawIOBase, *, close_inner: bool) -> None:
        self._inner = inner
        self._close_inner = close_inner
        self._count = 0

    def count(self) -> int:
        return self._count

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self._count += n
        return n

    def close(self) -> None:
        if not self.closed and self._close_inner:
            self._inner.close()
        super().close()
