"""Open an input as a binary stream, decompressing by magic bytes (not only by suffix)."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
from pathlib import Path
from typing import BinaryIO, Literal

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


def _wrap(raw: io.BufferedReader, compression: Compression) -> BinaryIO:
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
    buffered: io.BufferedReader
    if _is_stdin(path):
        buffered = io.BufferedReader(_NoCloseReader(sys.stdin.buffer))
    else:
        try:
            buffered = open(path, "rb")  # noqa: SIM115 - returned to the caller
        except OSError as exc:
            raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    try:
        head = buffered.peek(_MAGIC_LEN)[:_MAGIC_LEN]
    except OSError as exc:
        buffered.close()
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return _wrap(buffered, sniff_compression(head))


class _NoCloseReader(io.RawIOBase):
    """A raw reader over stdin that does not close it when the caller closes the stream."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n
