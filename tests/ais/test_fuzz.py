"""The decoder never crashes: random bytes and mutated real sentences are decoded or counted."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seawatch.ais import Decoded, NmeaDecoder, decode_bytes
from seawatch.schema import REJECT_REASONS

_CORPUS = [
    "gpsd/test/sample.aivdm",
    "libais/test/data/tagblock.nmea",
    "gfw-ais-tools/sample/mixed_types.nmea",
    "gfw-ais-tools/sample/bad-type5.nmea",
    "pyais/tests/mixed.txt",
    "dma-aislib/ais-lib-communication/src/test/resources/replay_dump.txt",
]
_ALPHABET = b"!$\\,*:-0123456789ABCDEFabcdef@`wW~\r\n \t\x00\xff" + bytes(range(48, 120))


def _lines(shared_data: Path) -> list[bytes]:
    out: list[bytes] = []
    for name in _CORPUS:
        out += [ln for ln in (shared_data / name).read_bytes().splitlines() if ln]
    return out


def _mutate(rng: random.Random, line: bytes) -> bytes:
    b = bytearray(line)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        i = rng.randrange(len(b) + 1)
        if op == 0 and b:  # flip a byte
            b[min(i, len(b) - 1)] = rng.choice(_ALPHABET)
        elif op == 1:  # insert
            b[i:i] = bytes([rng.choice(_ALPHABET)])
        elif op == 2 and b:  # delete a span
            del b[i : i + rng.randint(1, 8)]
        elif op == 3:  # truncate
            del b[i:]
        else:  # duplicate a span (fields, tag blocks)
            j = rng.randrange(len(b) + 1)
            b[i:i] = b[min(i, j) : max(i, j)][:40]
    return bytes(b)


def _check(d: Decoded, nlines: int) -> None:
    assert d.lines == nlines
    assert d.records == d.message_lines + d.framing_lines + d.rejects.num_rows
    assert set(d.rejects.column("reason").to_pylist()) <= REJECT_REASONS
    for tab in (d.positions,):
        lat = [v for v in tab.column("lat").to_pylist() if v is not None]
        lon = [v for v in tab.column("lon").to_pylist() if v is not None]
        assert all(-90 <= v <= 90 for v in lat) and all(-180 <= v <= 180 for v in lon)


def _run(shared_data: Path, cases: int, seed: int) -> None:
    rng = random.Random(seed)
    real = _lines(shared_data)
    batch: list[bytes] = []
    for n in range(cases):
        kind = rng.random()
        if kind < 0.15:
            batch.append(
                bytes(rng.randrange(256) for _ in range(rng.randint(0, 90))).replace(b"\n", b" ")
            )
        else:
            batch.append(_mutate(rng, rng.choice(real)).replace(b"\n", b" "))
        if len(batch) == 2000 or n == cases - 1:
            data = b"\n".join(batch) + b"\n"
            _check(decode_bytes(data), len(batch))
            _check(decode_bytes(data, accept_bad_checksum=True), len(batch))
            batch = []


def test_fuzz_quick(shared_data: Path) -> None:
    _run(shared_data, 6000, seed=1)


@pytest.mark.slow
def test_fuzz_100k(shared_data: Path) -> None:
    _run(shared_data, 120_000, seed=2)


def test_random_chunks_never_crash(shared_data: Path) -> None:
    rng = random.Random(3)
    data = b"\n".join(_mutate(rng, ln) for ln in _lines(shared_data)) + b"\n"
    dec = NmeaDecoder(accept_bad_checksum=True)
    parts = []
    i = 0
    while i < len(data):
        n = rng.randint(1, 5000)  # arbitrary byte splits: partial lines are held back
        parts.append(dec.feed(data[i : i + n]))
        i += n
    parts.append(dec.finish())
    _check(Decoded.concat(parts), data.count(b"\n"))
