"""Hypothesis fuzz of the CSV reader: random quotes, delimiters, encodings, line endings and
sizes. Every data line is either a stored row or a counted reject, nothing crashes.

The default run is quick (200 files, every choice drawn by hypothesis); ``-m slow`` runs
10,000 files of up to 300 rows built from one drawn seed each (about five minutes).
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.sources import read_csv

HEADERS = (
    b"mmsi,ts,lat,lon,sog,cog,heading,name,ship_type",
    b"MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    b"Length,Width,Draft,Cargo,TransceiverClass",
    b'"mmsi","ts","lat","lon","name"',
)
BAD_HEADERS = (
    b"mmsi;ts;lat;lon",
    "mmsi,ts,lat,lon".encode("utf-16"),
    b"\x00\x01\x02,\x89PNG",
)

GOOD_FIELDS = (
    b"244000001",
    b"2024-03-01T10:00:00",
    b"2024-03-01 10:00:00",
    b"12.5",
    b"-61.25",
    b"9999-12-31T23:59:59",
    b"0001-01-01T00:00:00",
    b"",
    b"IMO9074729",
    b"70",
)
NASTY = (
    b'"',
    b'""',
    b'"a,b"',
    b"'",
    b",",
    b";",
    b"\t",
    b"|",
    b"\r",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    "É".encode("latin-1"),
    "ÉŁ☃".encode(),
    "ÉŁ".encode("utf-16"),
    b"[/]",
    b"=HYPERLINK(1)",
    b"\\",
    b" ",
)

field = st.one_of(
    st.sampled_from(GOOD_FIELDS),
    st.sampled_from(NASTY),
    st.binary(max_size=12),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
HUGE = (b"H" * (schema.MAX_LINE_BYTES + 1), b'"' + b"Q" * 70_000)
"""At most one per file (hypothesis favours boundary choices, so a per-field chance would
fill whole files with them): a line longer than the cap, and a long runaway quote."""


class _Chooser(Protocol):
    def choice(self, options: Sequence[bytes]) -> bytes: ...
    def integer(self, lo: int, hi: int) -> int: ...
    def boolean(self) -> bool: ...
    def field(self) -> bytes: ...


class _Drawn:
    """Choices drawn by hypothesis (shrinks well; its choice tree grows with each draw)."""

    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def choice(self, options: Sequence[bytes]) -> bytes:
        return self._draw(st.sampled_from(options))

    def integer(self, lo: int, hi: int) -> int:
        return self._draw(st.integers(lo, hi))

    def boolean(self) -> bool:
        return self._draw(st.booleans())

    def field(self) -> bytes:
        return self._draw(field)


class _Seeded:
    """Choices from a seeded generator: one hypothesis draw per file, so a long run keeps
    no per-field choice tree (drawing every field made a 3,000-file run grow past 3 GB)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def choice(self, options: Sequence[bytes]) -> bytes:
        return self._rng.choice(options)

    def integer(self, lo: int, hi: int) -> int:
        return self._rng.randint(lo, hi)

    def boolean(self) -> bool:
        return self._rng.random() < 0.5

    def field(self) -> bytes:
        kind = self._rng.randrange(4)
        if kind == 0:
            return self._rng.choice(GOOD_FIELDS)
        if kind == 1:
            return self._rng.choice(NASTY)
        if kind == 2:
            return self._rng.randbytes(self._rng.randint(0, 12))
        chars = [
            chr(self._rng.choice((self._rng.randint(32, 126), self._rng.randint(0, 0x10FFFF))))
            for _ in range(self._rng.randint(0, 12))
        ]
        return "".join(chars).encode("utf-8", "surrogatepass")


def _build(c: _Chooser, max_rows: int) -> bytes:
    header = c.choice(BAD_HEADERS if c.integer(0, 9) == 0 else HEADERS)
    width = header.count(b",") + 1
    rows: list[bytes] = []
    for _ in range(c.integer(0, max_rows)):
        if c.boolean():
            mmsi = str(c.integer(0, 1 << 31)).encode()
            lat = f"{c.integer(-100_000, 100_000) / 1000:.4f}".encode()
            cells = [mmsi, c.choice(GOOD_FIELDS[1:3]), lat, b"-61.0"]
            cells += [c.field() for _ in range(width - 4)]
        else:
            cells = [c.field() for _ in range(c.integer(0, width + 2))]
        rows.append(c.choice([b",", b",", b",", b";", b"\t"]).join(cells))
    if rows and c.boolean():
        k = c.integer(0, len(rows) - 1)
        rows[k] = rows[k] + b"," + c.choice(HUGE)
    eol = c.choice([b"\n", b"\r\n"])
    body = eol.join([header, *rows])
    if c.boolean():
        body += eol
    if c.boolean():
        body = b"\xef\xbb\xbf" + body
    return body


@st.composite
def csv_files(draw: st.DrawFn, max_rows: int) -> bytes:
    """CSV files whose every choice hypothesis draws (and can shrink)."""
    return _build(_Drawn(draw), max_rows)


def seeded_csv_files(max_rows: int) -> st.SearchStrategy[bytes]:
    """CSV files built from one drawn seed (for long runs)."""
    return st.integers(0, 2**63).map(lambda seed: _build(_Seeded(seed), max_rows))


@dataclass
class Tally:
    files: int = 0
    lines: int = 0
    positions: int = 0
    rejects: int = 0
    header_errors: int = 0


def _data_lines(body: bytes) -> int:
    """Lines after the header that are not blank (what must become a row or a reject)."""
    lines = body.split(b"\n")[1:]
    return sum(1 for line in lines if line.strip())


def _check(body: bytes, tally: Tally, *, chunk_bytes: int) -> None:
    tally.files += 1
    try:
        batches = list(read_csv(io.BytesIO(body), source="fuzz", chunk_bytes=chunk_bytes))
    except SourceError:
        tally.header_errors += 1  # a header that is not CSV or lacks mmsi/ts/lat/lon
        return
    positions = sum(b.positions.num_rows for b in batches)
    rejects = [r for b in batches for r in b.rejects.to_pylist()]
    assert {r["reason"] for r in rejects} <= schema.REJECT_REASONS
    n = _data_lines(body)
    assert positions + len(rejects) == n, (positions, len(rejects), n, body[:400])
    assert sum(b.lines for b in batches) >= n
    line_nos = [r["line_no"] for r in rejects]
    assert all(isinstance(x, int) and x >= 2 for x in line_nos), line_nos
    assert len(set(line_nos)) == len(line_nos)
    for b in batches:
        ts = b.positions.column("ts")
        assert ts.null_count == 0
        if b.positions.num_rows:
            assert not any(schema.outside_time_window(ts).to_pylist())
        assert all(
            len(r) <= schema.MAX_RAW_CHARS + 120 for r in b.rejects.column("raw").to_pylist()
        )
    tally.lines += n
    tally.positions += positions
    tally.rejects += len(rejects)


QUICK = Tally()
SLOW = Tally()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=csv_files(max_rows=30), chunk=st.sampled_from([1024, 4096, 1 << 20]))
def test_csv_reader_fuzz(body: bytes, chunk: int) -> None:
    _check(body, QUICK, chunk_bytes=chunk)


@pytest.mark.slow
@pytest.mark.timeout(3600)
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=seeded_csv_files(max_rows=300), chunk=st.sampled_from([1024, 2048, 1 << 20]))
def test_csv_reader_fuzz_slow(body: bytes, chunk: int) -> None:
    _check(body, SLOW, chunk_bytes=chunk)


def test_fuzz_tally_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the counts of the fuzz runs above (visible with ``-s``) after they ran."""
    for name, t in (("quick", QUICK), ("slow", SLOW)):
        if t.files:
            print(
                f"csv fuzz {name}: {t.files} files, {t.lines} data lines, {t.positions} "
                f"positions, {t.rejects} rejects, {t.header_errors} header errors, 0 crashes"
            )
    assert QUICK.lines == QUICK.positions + QUICK.rejects
    assert SLOW.lines == SLOW.positions + SLOW.rejects


@settings(max_examples=300, deadline=None)
@given(
    lengths=st.lists(st.sampled_from([0, 1, 5, 99, 100, 101, 250]), max_size=40),
    final_newline=st.booleans(),
    chunk=st.sampled_from([1, 2, 7, 64, 1024]),
)
def test_line_chunks_keep_every_line_and_cap_long_ones(
    lengths: list[int], final_newline: bool, chunk: int
) -> None:
    """Every line comes out once, in order; exactly those longer than the cap as LongLine."""
    from seawatch.sources._lines import LongLine, line_chunks

    data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if final_newline and lengths else b"")
    out: list[tuple[str, int]] = []
    for item in line_chunks(io.BytesIO(data), chunk, max_line_bytes=100):
        if isinstance(item, LongLine):
            out.append(("long", item.length_bytes))
        else:
            parts = item.split(b"\n")
            out.extend(("line", len(p)) for p in (parts[:-1] if item.endswith(b"\n") else parts))
    pieces = data.split(b"\n")
    lines = pieces[:-1] if data.endswith(b"\n") or not data else pieces
    expected = [("long", len(x)) if len(x) > 100 else ("line", len(x)) for x in lines]
    assert out == expected
