"""Open an input as a binary stream, decompressing by magic bytes (not only by suffix)."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Literal

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


def _wrap(raw: io.BufferedReader[Any], compression: Compression) -> BinaryIO:
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    if compression == "bz2":
        return bz2.BZ2File(raw, mode="rb")  # type: ignore[return-value]
    if compression == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
        return io.BufferedReader(reader)
    return raw


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
    return _wrap(buffered, sniff_compression(head)), counting.count


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
