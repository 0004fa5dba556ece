"""Bounded line-aligned chunks of a stream, with a cap on the length of one line.

A line longer than :data:`seawatch.schema.MAX_LINE_BYTES` is never held in memory: its
bytes are hashed while they stream past and only its start is kept, so a 200 MB line
costs a few MB, not 200 MB (or an out-of-memory kill). It becomes a ``line_length``
reject whose ``raw`` gives its start, length and sha256 (:func:`truncate_raw`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch import schema

_HEAD_BYTES = 200


@dataclass(frozen=True, slots=True)
class LongLine:
    """A line that exceeded the cap: its length in bytes, sha256 and first bytes."""

    length_bytes: int
    sha256: str
    head: bytes

    def raw(self) -> str:
        """The ``raw`` text of its reject."""
        text = self.head.decode("utf-8", "replace")
        return f"{text}… [line of {self.length_bytes:,} bytes, sha256 {self.sha256}]"


class _Skipper:
    """Accumulates a too-long line without keeping it."""

    def __init__(self, start: bytes) -> None:
        self._hash = hashlib.sha256(start)
        self._length = len(start)
        self._head = start[:_HEAD_BYTES]

    def add(self, data: bytes) -> None:
        self._hash.update(data)
        self._length += len(data)

    def done(self) -> LongLine:
        return LongLine(self._length, self._hash.hexdigest(), self._head)


def _split_long(data: bytes, max_line_bytes: int) -> Iterator[bytes | LongLine]:
    """``data`` (whole lines) with every line longer than the cap replaced by a LongLine."""
    if len(data) <= max_line_bytes:
        yield data
        return
    buf = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.r_[0, ends[:-1] + 1]
    long_idx = np.flatnonzero(ends - starts > max_line_bytes)
    if len(long_idx) == 0:
        yield data
        return
    pos = 0
    for i in long_idx.tolist():
        a, b = int(starts[i]), int(ends[i])
        if a > pos:
            yield data[pos:a]
        line = data[a:b].rstrip(b"\r")
        yield LongLine(len(line), hashlib.sha256(line).hexdigest(), line[:_HEAD_BYTES])
        pos = b + 1
    if pos < len(data):
        yield data[pos:]


def line_chunks(
    stream: BinaryIO, chunk_bytes: int, *, max_line_bytes: int = schema.MAX_LINE_BYTES
) -> Iterator[bytes | LongLine]:
    """Chunks of whole lines (each ends with ``\\n``, but the very last may not), in order,
    with each line longer than ``max_line_bytes`` given as a :class:`LongLine` instead."""
    pending = bytearray()  # the start of a line not yet ended (grows without copying)
    skipping: _Skipper | None = None
    while True:
        data = stream.read(chunk_bytes)
        if not data:
            if skipping is not None:
                yield skipping.done()
            elif pending:
                yield from _split_long(bytes(pending), max_line_bytes)
            return
        if skipping is not None:
            nl = data.find(b"\n")
            if nl < 0:
                skipping.add(data)
                continue
            skipping.add(data[:nl].rstrip(b"\r"))
            yield skipping.done()
            skipping = None
            data = data[nl + 1 :]
        cut = data.rfind(b"\n")
        if cut < 0:
            pending += data
        else:
            block = bytes(pending) + data[: cut + 1] if pending else data[: cut + 1]
            pending = bytearray(data[cut + 1 :])
            yield from _split_long(block, max_line_bytes)
        if len(pending) > max_line_bytes:
            skipping = _Skipper(bytes(pending))
            pending = bytearray()


def printable(text: str, limit: int = 200) -> str:
    """``text`` for an error message: control and other unprintable characters escaped
    (``\\x1b``: a file cannot drive the terminal), cut to ``limit`` characters."""
    out = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text[: limit + 1])
    return out if len(out) <= limit else out[:limit] + "…"


def truncate_raw(text: str, limit: int = schema.MAX_RAW_CHARS) -> str:
    """``text`` if short, else its first ``limit`` characters plus its length and sha256."""
    if len(text) <= limit:
        return text
    data = text.encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(data).hexdigest()
    return f"{text[:limit]}… [{len(data):,} bytes, sha256 {digest}]"


def truncate_raw_column(rejects: pa.Table, limit: int = schema.MAX_RAW_CHARS) -> pa.Table:
    """``rejects`` with every ``raw`` longer than ``limit`` characters cut (see
    :func:`truncate_raw`); a table with no long ``raw`` is returned as it is."""
    if rejects.num_rows == 0:
        return rejects
    raw = rejects.column("raw")
    long_mask = pc.fill_null(pc.greater(pc.utf8_length(raw), limit), False)
    if not pc.any(long_mask).as_py():
        return rejects
    values = raw.to_pylist()
    for i in np.flatnonzero(long_mask.to_numpy(zero_copy_only=False)).tolist():
        values[i] = truncate_raw(values[i], limit)
    idx = rejects.schema.get_field_index("raw")
    return rejects.set_column(idx, rejects.schema.field(idx), pa.array(values, pa.string()))
