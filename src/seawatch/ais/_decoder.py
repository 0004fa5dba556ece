"""The NMEA/AIS decoder: bytes in, Arrow tables out (docs/ARCHITECTURE.md, ``seawatch.ais``).

Line accounting. Every input line ends in exactly one of three places:

* part of a decoded message (positions, statics or others rows);
* *framing*: a line that only carries context for the next sentence and is consumed, not
  rejected: a ``$PGHP`` Gatehouse line, a tag block alone on its line;
* a row of ``rejects`` with a :class:`~seawatch.schema.RejectReason`. A rejected multi-sentence
  message gives one reject row per fragment line.

So ``records == message_lines + framing_lines + len(rejects)`` summed over all ``feed`` calls
and ``finish``, where ``records`` equals ``lines`` except that a line holding several
tag-blocked sentences (``\\s:..\\!AIVDM...*hh\\s:..\\!AIVDM...``) counts once per sentence.

Time of a message, first that applies: the tag block ``c:`` (seconds or milliseconds), the
preceding ``$PGHP`` line (it applies to the next AIS sentence), the receiver time at the end of
the sentence (``...*hh,...,1325394060``), ``default_time``; else null.

Type 24: a part A and a part B from the same MMSI are joined into one statics row (name from
A; ship type, call sign, dimensions from B; ``ts`` and station of the later part) when the second
part is the next type-24 part that MMSI sends, in either order. A part followed by another part
of the same kind is emitted alone (the fields of the other part null), as are parts still pending
at :meth:`NmeaDecoder.finish`.
"""

from __future__ import annotations

import bz2
import gzip
import mmap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.ais import _kernels as K
from seawatch.ais._scan import (
    NO_TIME,
    REASONS,
    ST_DECODED,
    ST_EMPTY,
    ST_FRAMING_OK,
    scan,
)

_REASONS_ARR = pa.array(REASONS, pa.string())

_CARRY_LINES = 1000
"""Pending fragments older than this many lines are given up as orphans between feeds."""

_CLASS = {5: "A", 19: "B", 21: "AtoN", 24: "B"}


@dataclass(frozen=True, slots=True)
class Decoded:
    """The result of decoding some NMEA lines (tables with the ``seawatch.schema`` schemas)."""

    positions: pa.Table
    statics: pa.Table
    others: pa.Table
    rejects: pa.Table
    lines: int
    """Input lines consumed."""
    messages: int
    """AIS messages decoded (a multi-sentence message counts once)."""
    by_type: dict[int, int] = field(default_factory=dict)
    """Decoded messages by AIS message type."""
    message_lines: int = 0
    """Lines (sentences) that became part of a decoded message."""
    framing_lines: int = 0
    """Lines consumed as pure framing ($PGHP, a lone tag block)."""
    records: int = 0
    """Input units: lines, counting a line with several tag-blocked sentences once per sentence."""

    @staticmethod
    def empty() -> Decoded:
        return Decoded(
            positions=schema.empty(schema.POSITIONS),
            statics=schema.empty(schema.STATICS),
            others=schema.empty(schema.OTHERS),
            rejects=schema.empty(schema.REJECTS),
            lines=0,
            messages=0,
        )

    def rejects_by_reason(self) -> dict[str, int]:
        """Reject counts by reason."""
        if self.rejects.num_rows == 0:
            return {}
        vc = self.rejects.column("reason").value_counts()
        return {str(v["values"]): int(v["counts"]) for v in vc.to_pylist()}

    @staticmethod
    def concat(parts: Iterable[Decoded]) -> Decoded:
        """One :class:`Decoded` from several (tables concatenated, counts summed)."""
        parts = list(parts)
        if not parts:
            return Decoded.empty()
        by_type: dict[int, int] = {}
        for p in parts:
            for k, v in p.by_type.items():
                by_type[k] = by_type.get(k, 0) + v

        def cat(name: str) -> pa.Table:
            tables = [getattr(p, name) for p in parts]
            nonempty = [t for t in tables if t.num_rows]
            if len(nonempty) <= 1:
                return nonempty[0] if nonempty else tables[0]
            return pa.concat_tables(nonempty).unify_dictionaries()

        return Decoded(
            positions=cat("positions"),
            statics=cat("statics"),
            others=cat("others"),
            rejects=cat("rejects"),
            lines=sum(p.lines for p in parts),
            messages=sum(p.messages for p in parts),
            by_type=dict(sorted(by_type.items())),
            message_lines=sum(p.message_lines for p in parts),
            framing_lines=sum(p.framing_lines for p in parts),
            records=sum(p.records for p in parts),
        )


def _to_us(t: datetime | None) -> int:
    if t is None:
        return NO_TIME
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    delta = t - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _strings(
    mat: npt.NDArray[np.uint8], n: npt.NDArray[np.int32], sel: npt.NDArray[np.int64]
) -> pa.Array:
    """Rows ``sel`` of a fixed-width byte matrix cut to lengths ``n`` -> strings (0 length: null)."""
    offsets, data = K.gather_rows(mat, n, sel)
    bitmap, nulls = _validity(n[sel] > 0)
    return pa.StringArray.from_buffers(
        len(sel), pa.py_buffer(offsets), pa.py_buffer(data), bitmap, nulls
    )


def _raw_lines(
    buf: npt.NDArray[np.uint8],
    whole: bytes | mmap.mmap,
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
) -> pa.Array:
    """The text of lines ``buf[start:end]`` (not UTF-8: decoded with replacement characters)."""
    offsets, data, ascii_only = K.gather_spans(buf, start, end)
    if ascii_only and offsets[-1] < 2**31:
        return pa.StringArray.from_buffers(
            len(start), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)
        )
    return pa.array(
        [bytes(whole[a:b]).decode("utf-8", "replace") for a, b in zip(start, end, strict=True)],
        pa.string(),
    )


def _validity(valid: npt.NDArray[np.bool_]) -> tuple[pa.Buffer | None, int]:
    """An Arrow validity bitmap for ``valid`` (None when all valid) and the null count."""
    nulls = len(valid) - int(np.count_nonzero(valid))
    if nulls == 0:
        return None, 0
    return pa.py_buffer(np.packbits(valid, bitorder="little")), nulls


def _num(
    values: npt.NDArray[Any], typ: pa.DataType, valid: npt.NDArray[np.bool_] | None = None
) -> pa.Array:
    """A fixed-width Arrow array over ``values``' own buffer (no copy), nulls where not ``valid``."""
    bitmap, nulls = (None, 0) if valid is None else _validity(valid)
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(typ, len(values), [bitmap, pa.py_buffer(values)], nulls)


def _dict_col(values: npt.NDArray[np.int32], names: list[str]) -> pa.Array:
    """Dictionary-encoded strings: indices into ``names`` (-1: null)."""
    bitmap, nulls = _validity(values >= 0)
    return pa.DictionaryArray.from_buffers(
        schema.DICT_STR,
        len(values),
        [bitmap, pa.py_buffer(np.ascontiguousarray(values, dtype=np.int32))],
        pa.array(names, type=pa.string()),
        nulls,
    )


class NmeaDecoder:
    """Streaming NMEA decoder. Feed whole lines; multi-sentence fragments carry between calls.

    ``accept_bad_checksum`` accepts sentences and tag blocks whose checksum is missing or wrong
    (by default they are rejected: a corrupt payload makes phantom positions).
    ``default_time`` is the time of messages the input gives none for (else their ``ts`` is null).
    """

    def __init__(
        self,
        *,
        source: str = "",
        accept_bad_checksum: bool = False,
        default_time: datetime | None = None,
    ) -> None:
        self._source = source
        self._accept_bad = accept_bad_checksum
        self._default_us = _to_us(default_time)
        self._lines = 0  # lines consumed so far
        self._pending_time = NO_TIME
        self._carry = b""
        self._carry_lines = np.zeros(0, np.int64)
        self._carry_time = np.zeros(0, np.int64)
        self._pending24: pa.Table | None = None  # type 24 parts waiting for their other half
        self._pending24_part = np.zeros(0, np.int8)
        self._tail = b""

    # ------------------------------------------------------------------ public

    def feed(self, data: bytes | mmap.mmap) -> Decoded:
        """Decode ``data`` (whole lines; an unterminated last line is held for the next call)."""
        if not isinstance(data, bytes | mmap.mmap):
            data = bytes(data)
        if self._tail:
            data = self._tail + (data if isinstance(data, bytes) else data[:])
        cut = data.rfind(b"\n") + 1
        if cut == len(data):  # the usual case: no copy
            self._tail = b""
            return self._run(data, final=False)
        self._tail = data[cut:]
        return self._run(data[:cut], final=False)

    def finish(self) -> Decoded:
        """Decode what is left: the unterminated last line, pending fragments become orphans."""
        data, self._tail = self._tail, b""
        out = self._run(data, final=True)
        flushed = self._flush24()
        if flushed is not None:
            out = Decoded.concat([out, flushed])
        return out

    # ------------------------------------------------------------------ core

    def _run(self, data: bytes | mmap.mmap, *, final: bool) -> Decoded:
        ncarry = len(self._carry_lines)
        if not data and ncarry == 0:
            return Decoded.empty()
        whole = self._carry + data if self._carry else data
        buf = np.frombuffer(whole, dtype=np.uint8)
        (
            nrec, r_line, r_start, r_end, r_status, pay_a, pay_b, fill, total, num, seq, chan,
            gid, gtotal, gnum, r_time, r_station, st_a, st_b, nlines, pend_time,
        ) = scan(buf, self._accept_bad, self._pending_time)  # fmt: skip
        self._pending_time = pend_time
        r_line = r_line[:nrec]
        # global, 1-based line numbers; the carried records keep theirs (one record each)
        line_no = r_line - ncarry + self._lines + 1
        line_no[:ncarry] = self._carry_lines
        r_time = r_time[:nrec]
        if ncarry:
            keep = self._carry_time != NO_TIME
            r_time[:ncarry][keep] = self._carry_time[keep]
        new_lines = nlines - ncarry
        self._lines += new_lines
        status = r_status[:nrec]
        msg_off, msg_recs, _nmsg = K.assemble(
            nrec, status, line_no, total, num, seq, chan, gid, gtotal, gnum, r_station,
            final, self._lines - _CARRY_LINES,
        )  # fmt: skip
        res = K.decode(
            buf, msg_off, msg_recs, status, pay_a, pay_b, fill, num, r_time, r_station,
            self._default_us,
        )  # fmt: skip
        (
            m_status, m_type, m_mmsi, m_ts, m_station,
            npos, p_mmsi, p_ts, p_type, p_station, lat, lon, sog, cog, heading, nav,
            nst, s_msg, s_imo, s_shiptype, s_len, s_beam, s_draught, s_eta, s_part,
            s_name, s_name_n, s_call, s_call_n, s_dest, s_dest_n,
            not_, o_msg, o_fill, o_bytes, o_off,
        ) = res  # fmt: skip
        stations = [
            bytes(whole[a:b]).decode("utf-8", "replace") for a, b in zip(st_a, st_b, strict=True)
        ]

        # carry pending fragments to the next feed
        carried = np.flatnonzero(status == K.ST_CARRIED)
        self._carry = b"".join(bytes(whole[r_start[r] : r_end[r]]) + b"\n" for r in carried)
        self._carry_lines = line_no[carried].copy()
        self._carry_time = r_time[carried].copy()

        ok = m_status == 0
        src_names = [self._source] if self._source else []
        n = npos
        positions = self._positions(
            p_mmsi[:n], p_ts[:n], lat[:n], lon[:n], sog[:n], cog[:n], heading[:n], nav[:n],
            p_type[:n], p_station[:n], stations, src_names,
        )  # fmt: skip
        others = self._others(
            m_mmsi, m_ts, m_type, m_station, o_msg[:not_], o_fill[:not_], o_bytes,
            o_off[: not_ + 1], stations, src_names,
        )  # fmt: skip
        st_cols: dict[str, Any] = {
            "msg": s_msg[:nst], "imo": s_imo[:nst], "shiptype": s_shiptype[:nst],
            "len": s_len[:nst], "beam": s_beam[:nst], "draught": s_draught[:nst],
            "eta": s_eta[:nst], "part": s_part[:nst],
            "name": (s_name[:nst], s_name_n[:nst]),
            "call": (s_call[:nst], s_call_n[:nst]),
            "dest": (s_dest[:nst], s_dest_n[:nst]),
        }  # fmt: skip
        statics = self._statics(st_cols, m_mmsi, m_ts, m_type, m_station, stations, src_names)

        # rejects: records whose status is a reason
        rej = np.flatnonzero((status >= ST_EMPTY) & (status < ST_DECODED))
        rejects = pa.Table.from_arrays(
            [
                pa.repeat(pa.scalar(self._source, pa.string()), len(rej)),
                _num(line_no[rej], pa.int64()),
                _REASONS_ARR.take(_num(status[rej].astype(np.int32), pa.int32())),
                _raw_lines(buf, whole, r_start[rej], r_end[rej]),
            ],
            schema=schema.REJECTS,
        )
        counts = np.bincount(m_type[ok], minlength=64)
        types = np.flatnonzero(counts)
        counts = counts[types]
        return Decoded(
            positions=positions,
            statics=statics,
            others=others,
            rejects=rejects,
            lines=new_lines,
            messages=int(ok.sum()),
            by_type={int(t): int(c) for t, c in zip(types, counts, strict=True)},
            message_lines=int((status == ST_DECODED).sum()),
            framing_lines=int((status[ncarry:] == ST_FRAMING_OK).sum()),
            records=nrec - ncarry,
        )

    # ------------------------------------------------------------------ tables

    @staticmethod
    def _common(
        ts: npt.NDArray[np.int64],
        station: npt.NDArray[np.int32],
        stations: list[str],
        src_names: list[str],
    ) -> tuple[pa.Array, pa.Array, pa.Array]:
        """The ``ts``, ``source`` and ``station`` columns of rows with these times and stations."""
        n = len(ts)
        src = np.zeros(n, np.int32) if src_names else np.full(n, -1, np.int32)
        return (
            _num(ts, schema.TS, ts != NO_TIME),
            _dict_col(src, src_names),
            _dict_col(station, stations),
        )

    def _positions(
        self,
        mmsi: npt.NDArray[np.uint32],
        ts: npt.NDArray[np.int64],
        lat: npt.NDArray[np.float64],
        lon: npt.NDArray[np.float64],
        sog: npt.NDArray[np.float32],
        cog: npt.NDArray[np.float32],
        heading: npt.NDArray[np.uint16],
        nav: npt.NDArray[np.uint8],
        msg_type: npt.NDArray[np.uint8],
        station: npt.NDArray[np.int32],
        stations: list[str],
        src_names: list[str],
    ) -> pa.Table:
        ts_a, src, stn = self._common(ts, station, stations, src_names)
        return pa.Table.from_arrays(
            [
                _num(mmsi, pa.uint32()),
                ts_a,
                _num(lat, pa.float64(), ~np.isnan(lat)),
                _num(lon, pa.float64(), ~np.isnan(lon)),
                _num(sog, pa.float32(), ~np.isnan(sog)),
                _num(cog, pa.float32(), ~np.isnan(cog)),
                _num(heading, pa.uint16(), heading != 0xFFFF),
                _num(nav, pa.uint8(), nav != 0xFF),
                _num(msg_type, pa.uint8()),
                src,
                stn,
            ],
            schema=schema.POSITIONS,
        )

    def _others(
        self,
        m_mmsi: npt.NDArray[np.uint32],
        m_ts: npt.NDArray[np.int64],
        m_type: npt.NDArray[np.uint8],
        m_station: npt.NDArray[np.int32],
        o_msg: npt.NDArray[np.int64],
        o_fill: npt.NDArray[np.uint8],
        o_bytes: npt.NDArray[np.uint8],
        o_off: npt.NDArray[np.int64],
        stations: list[str],
        src_names: list[str],
    ) -> pa.Table:
        ts, src, stn = self._common(m_ts[o_msg], m_station[o_msg], stations, src_names)
        payload = pa.LargeStringArray.from_buffers(
            len(o_msg), pa.py_buffer(o_off.astype(np.int64)), pa.py_buffer(o_bytes)
        ).cast(pa.string())
        return pa.Table.from_arrays(
            [
                pa.array(m_mmsi[o_msg], pa.uint32()),
                ts,
                pa.array(m_type[o_msg], pa.uint8()),
                payload,
                pa.array(o_fill, pa.uint8()),
                src,
                stn,
            ],
            schema=schema.OTHERS,
        )

    def _statics(
        self,
        c: dict[str, Any],
        m_mmsi: npt.NDArray[np.uint32],
        m_ts: npt.NDArray[np.int64],
        m_type: npt.NDArray[np.uint8],
        m_station: npt.NDArray[np.int32],
        stations: list[str],
        src_names: list[str],
    ) -> pa.Table:
        msg = c["msg"]
        eta_txt, eta_n = K.eta_text(c["eta"])

        def build(sel: npt.NDArray[np.int64]) -> pa.Table:
            m = msg[sel]
            types = m_type[m]
            cls = _CLASS_ARR.take(_num(_CLASS_IDX[types], pa.int32()))
            ts, src, stn = self._common(m_ts[m], m_station[m], stations, src_names)
            imo, st, ln = c["imo"][sel], c["shiptype"][sel], c["len"][sel]
            bm, dr = c["beam"][sel], c["draught"][sel]

            def text(key: str) -> pa.Array:
                mat, n = c[key]
                return _strings(mat, n, sel)

            return pa.Table.from_arrays(
                [
                    _num(m_mmsi[m], pa.uint32()),
                    ts,
                    _num(imo, pa.uint32(), imo != 0),
                    text("name"),
                    text("call"),
                    _num(st.astype(np.uint8), pa.uint8(), st != 0xFFFF),
                    _num(ln, pa.float32(), ~np.isnan(ln)),
                    _num(bm, pa.float32(), ~np.isnan(bm)),
                    _num(dr, pa.float32(), ~np.isnan(dr)),
                    text("dest"),
                    _strings(eta_txt, eta_n, sel),
                    cls,
                    _num(types, pa.uint8()),
                    src,
                    stn,
                ],
                schema=schema.STATICS,
            )

        part = c["part"]
        is24 = part >= 0
        if not is24.any():
            return build(np.arange(len(msg)))
        rest = build(np.flatnonzero(~is24))
        t24 = build(np.flatnonzero(is24))
        if self._pending24 is not None:
            t24 = pa.concat_tables([self._pending24, t24]).unify_dictionaries().combine_chunks()
            parts = np.concatenate([self._pending24_part, part[is24]])
        else:
            parts = part[is24]
        a_idx, b_idx, last, pend = K.join24(
            t24.column("mmsi").to_numpy().astype(np.uint32), parts.astype(np.int8)
        )
        pend = np.sort(pend)
        self._pending24 = t24.take(pa.array(pend))
        self._pending24_part = parts[pend]
        joined = _combine24(t24, a_idx, b_idx, last)
        return pa.concat_tables([rest, joined]).unify_dictionaries()

    def _flush24(self) -> Decoded | None:
        if self._pending24 is None or self._pending24.num_rows == 0:
            return None
        t24, parts = self._pending24, self._pending24_part
        self._pending24 = None
        idx = np.arange(t24.num_rows)
        joined = _combine24(t24, np.where(parts == 0, idx, -1), np.where(parts == 1, idx, -1), idx)
        out = Decoded.empty()
        return Decoded(
            positions=out.positions,
            statics=joined,
            others=out.others,
            rejects=out.rejects,
            lines=0,
            messages=0,
        )


_CLASS_NAMES = ["", "A", "B", "AtoN"]
_CLASS_ARR = pa.array(_CLASS_NAMES, pa.string())
_CLASS_IDX = np.zeros(64, np.int32)
for _t, _c in _CLASS.items():
    _CLASS_IDX[_t] = _CLASS_NAMES.index(_c)

_B_FIELDS = ("callsign", "ship_type", "length_m", "beam_m")


def _combine24(
    t24: pa.Table,
    a_idx: npt.NDArray[np.int64],
    b_idx: npt.NDArray[np.int64],
    last: npt.NDArray[np.int64],
) -> pa.Table:
    """Rows of joined type 24 parts: name from A, B fields from B, the rest from the later part."""
    t24 = t24.combine_chunks()
    base = t24.take(pa.array(last))
    a = pa.array(a_idx, mask=a_idx < 0)
    b = pa.array(b_idx, mask=b_idx < 0)
    cols = []
    for name in schema.STATICS.names:
        if name == "name":
            cols.append(t24.column(name).take(a))
        elif name in _B_FIELDS:
            cols.append(t24.column(name).take(b))
        else:
            cols.append(base.column(name))
    return pa.Table.from_arrays(cols, schema=schema.STATICS)


def decode_bytes(
    data: bytes | mmap.mmap,
    *,
    source: str = "",
    accept_bad_checksum: bool = False,
    default_time: datetime | None = None,
) -> Decoded:
    """Decode a whole buffer in one go (``feed`` + ``finish``)."""
    dec = NmeaDecoder(
        source=source, accept_bad_checksum=accept_bad_checksum, default_time=default_time
    )
    return Decoded.concat([dec.feed(data), dec.finish()])


PathArg = str | PathLike[str] | Iterable[str | PathLike[str]]


def _paths(path_or_paths: PathArg) -> list[Path]:
    if isinstance(path_or_paths, str | PathLike):
        return [Path(path_or_paths)]
    return [Path(p) for p in path_or_paths]


def _read(path: Path) -> bytes | mmap.mmap:
    """The bytes of a plain (memory-mapped), gzip, bzip2 or Zstandard file (by magic bytes).

    ``seawatch.sources.open_binary`` does the same for the layers above (with stdin); ``ais``
    sits below ``sources`` so it keeps this small private reader.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            if (
                head
                and head[:2] != b"\x1f\x8b"
                and head[:3] != b"BZh"
                and head != b"\x28\xb5\x2f\xfd"
            ):
                return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            data = head + fh.read()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data


def read_nmea_all(
    path_or_paths: PathArg,
    *,
    accept_bad_checksum: bool = False,
    default_time: datetime | None = None,
) -> Decoded:
    """Decode NMEA files (plain or gzip/bzip2/zstd compressed) into all four tables."""
    parts = []
    for p in _paths(path_or_paths):
        parts.append(
            decode_bytes(
                _read(p),
                source=p.name,
                accept_bad_checksum=accept_bad_checksum,
                default_time=default_time,
            )
        )
    return Decoded.concat(parts)


def read_nmea(
    path_or_paths: PathArg,
    *,
    accept_bad_checksum: bool = False,
    default_time: datetime | None = None,
) -> pa.Table:
    """Decode NMEA files into a positions table (``schema.POSITIONS``)."""
    return read_nmea_all(
        path_or_paths, accept_bad_checksum=accept_bad_checksum, default_time=default_time
    ).positions
