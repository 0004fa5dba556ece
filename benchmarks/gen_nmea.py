"""Write a large, realistic, deterministic AIS NMEA file for the decode benchmark.

    python benchmarks/gen_nmea.py OUT.nmea [--sentences 1200000] [--seed 42]

Traffic: a fleet of vessels moving along straight legs, one day of reports. Types 1/2/3
(Class A), 18 (Class B), 24 parts A and B, two-sentence type 5 (sequence ids 0-9, channel A/B);
about a third of the lines carry NMEA 4.x tag blocks (``s:`` station, ``c:`` time, and ``g:``
groups on the multi-sentence type 5 of that part); about 0.5 % noise (bad checksums, junk lines,
blank lines, a lost second fragment). Everything is vectorised with numpy (bit packing, six-bit
armouring, checksums); pyais is not needed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

Bits = npt.NDArray[np.uint8]


def _put(bits: Bits, start: int, width: int, values: npt.NDArray[np.int64]) -> None:
    """Write ``values`` (two's complement) as ``width``-bit fields at ``start`` of every row."""
    v = values.astype(np.int64) & ((1 << width) - 1)
    for i in range(width):
        bits[:, start + i] = (v >> (width - 1 - i)) & 1


def _put_text(bits: Bits, start: int, nchars: int, text: npt.NDArray[np.bytes_]) -> None:
    mat = np.frombuffer(text.astype(f"S{nchars}").tobytes(), np.uint8).reshape(-1, nchars)
    six = np.where(mat == 0, 0, np.where(mat >= 64, mat - 64, mat)).astype(np.int64)
    for j in range(nchars):
        _put(bits, start + 6 * j, 6, six[:, j])


def _armour(bits: Bits) -> tuple[npt.NDArray[np.uint8], int]:
    """Rows of bits -> rows of armoured payload bytes, and the fill bit count."""
    n, nbits = bits.shape
    nch = -(-nbits // 6)
    fill = nch * 6 - nbits
    padded = np.zeros((n, nch * 6), np.uint8)
    padded[:, :nbits] = bits
    six = (padded.reshape(n, nch, 6) * (1 << np.arange(5, -1, -1, dtype=np.uint8))).sum(
        axis=2, dtype=np.uint8
    )
    return np.where(six < 40, six + 48, six + 56).astype(np.uint8), fill


def _checksum(body: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.bitwise_xor.reduce(body, axis=1)


_HEX = np.frombuffer(b"0123456789ABCDEF", np.uint8)


def _sentences(
    payload: npt.NDArray[np.uint8], fill: int, total: int, num: int, seq: npt.NDArray[np.int64],
    chan: npt.NDArray[np.uint8], talker: bytes = b"AI",
) -> list[bytes]:  # fmt: skip
    """Rows of payload bytes -> ``!xxVDM,total,num,seq,chan,payload,fill*hh`` lines."""
    n, w = payload.shape
    head = np.frombuffer(b"!" + talker + b"VDM,%d,%d," % (total, num), np.uint8)
    body = np.empty((n, len(head) + 4 + w + 2), np.uint8)
    body[:, : len(head)] = head
    k = len(head)
    body[:, k] = np.where(seq < 0, 0, 48 + seq).astype(np.uint8)  # 0 marks "empty", removed below
    body[:, k + 1] = 44
    body[:, k + 2] = chan
    body[:, k + 3] = 44
    body[:, k + 4 : k + 4 + w] = payload
    body[:, k + 4 + w] = 44
    body[:, k + 5 + w] = 48 + fill
    cs = _checksum(np.where(body == 0, 0, body)[:, 1:])
    tail = np.stack([np.full(n, 42, np.uint8), _HEX[cs >> 4], _HEX[cs & 15]], axis=1)
    rows = np.concatenate([body, tail], axis=1)
    return [r.tobytes().replace(b"\x00", b"") for r in rows]


def _tag(
    stations: npt.NDArray[np.int64], t_s: npt.NDArray[np.int64], group: str = ""
) -> list[bytes]:
    out = []
    for s, t in zip(stations.tolist(), t_s.tolist(), strict=True):
        body = f"{group}s:r{s:04d},c:{t}".encode()
        cs = 0
        for c in body:
            cs ^= c
        out.append(b"\\" + body + b"*%02X\\" % cs)
    return out


def generate(n_sentences: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    n_vessels = 6000
    mmsi = rng.choice(
        np.arange(201_000_000, 775_999_999, 977, dtype=np.int64), n_vessels, replace=False
    )
    names = np.array([f"SEA {i:05d} {'ABCDEFGH'[i % 8]}" for i in range(n_vessels)], dtype="S20")
    calls = np.array([f"C{i:05d}" for i in range(n_vessels)], dtype="S7")
    dests = np.array(["CARACAS", "WILLEMSTAD", "ROTTERDAM", "HOUSTON", "PANAMA"], dtype="S20")
    lat0 = rng.uniform(-60, 70, n_vessels)
    lon0 = rng.uniform(-180, 180, n_vessels)
    sog0 = rng.uniform(0, 20, n_vessels)
    cog0 = rng.uniform(0, 360, n_vessels)
    # one ship type per vessel (its own generator: the positions' draws stay as they were);
    # until 2026-12-06 each static report drew its own, so the identity-change detector
    # found some 55,000 "changes" in a million lines that real traffic does not have
    ship_type = np.random.default_rng(seed + 1).choice([30, 36, 37, 52, 60, 70, 80], n_vessels)
    t0 = 1_700_000_000

    # shares of sentences: 1/2/3 70 %, 18 12 %, 24 4 %, 5 (2 sentences) 13 %, noise 1 %
    n_a = int(n_sentences * 0.70)
    n_b = int(n_sentences * 0.12)
    n_24 = int(n_sentences * 0.04)
    n_5 = int(n_sentences * 0.13) // 2
    n_noise = n_sentences - n_a - n_b - n_24 - 2 * n_5
    units: list[tuple[float, bytes]] = []

    def moving(k: int) -> tuple[npt.NDArray[np.int64], ...]:
        v = rng.integers(0, n_vessels, k)
        t = np.sort(rng.uniform(0, 86_400, k))
        dist_deg = sog0[v] * t / 3600 / 60
        lat = np.clip(lat0[v] + dist_deg * np.cos(np.radians(cog0[v])), -89, 89)
        lon = (lon0[v] + dist_deg * np.sin(np.radians(cog0[v])) + 180) % 360 - 180
        return v, t, lat, lon

    # Class A position reports
    v, t, lat, lon = moving(n_a)
    bits = np.zeros((n_a, 168), np.uint8)
    _put(bits, 0, 6, rng.choice([1, 1, 1, 2, 3], n_a))
    _put(bits, 8, 30, mmsi[v])
    _put(bits, 38, 4, rng.choice([0, 0, 0, 1, 5, 7], n_a))
    _put(bits, 42, 8, np.full(n_a, -128))
    _put(bits, 50, 10, np.round(sog0[v] * 10).astype(np.int64))
    _put(bits, 61, 28, np.round(lon * 600000).astype(np.int64))
    _put(bits, 89, 27, np.round(lat * 600000).astype(np.int64))
    _put(bits, 116, 12, np.round(cog0[v] * 10).astype(np.int64) % 3600)
    _put(
        bits, 128, 9, np.where(rng.random(n_a) < 0.1, 511, np.round(cog0[v]).astype(np.int64) % 360)
    )
    _put(bits, 137, 6, (t % 60).astype(np.int64))
    pay, fill = _armour(bits)
    lines = _sentences(
        pay, fill, 1, 1, np.full(n_a, -1), rng.choice([65, 66], n_a).astype(np.uint8)
    )
    units += zip(t.tolist(), lines, strict=True)

    # Class B position reports
    v, t, lat, lon = moving(n_b)
    bits = np.zeros((n_b, 168), np.uint8)
    _put(bits, 0, 6, np.full(n_b, 18))
    _put(bits, 8, 30, mmsi[v])
    _put(bits, 46, 10, np.round(sog0[v] * 10).astype(np.int64))
    _put(bits, 57, 28, np.round(lon * 600000).astype(np.int64))
    _put(bits, 85, 27, np.round(lat * 600000).astype(np.int64))
    _put(bits, 112, 12, np.round(cog0[v] * 10).astype(np.int64) % 3600)
    _put(bits, 124, 9, np.full(n_b, 511))
    pay, fill = _armour(bits)
    lines = _sentences(
        pay, fill, 1, 1, np.full(n_b, -1), rng.choice([65, 66], n_b).astype(np.uint8)
    )
    # at the time of the position (until 2026-12-06 a time of its own, so every vessel's
    # Class B reports jumped off its track: "spoofing" in the live benchmark)
    units += zip(t.tolist(), lines, strict=True)

    # type 24 A and B (B follows A for the same vessel)
    k = n_24 // 2
    v = rng.integers(0, n_vessels, k)
    t = rng.uniform(0, 86_400, k)
    a = np.zeros((k, 168), np.uint8)
    _put(a, 0, 6, np.full(k, 24))
    _put(a, 8, 30, mmsi[v])
    _put_text(a, 40, 20, names[v])
    b = np.zeros((k, 168), np.uint8)
    _put(b, 0, 6, np.full(k, 24))
    _put(b, 8, 30, mmsi[v])
    _put(b, 38, 2, np.ones(k, np.int64))
    _put(b, 40, 8, ship_type[v])
    _put_text(b, 90, 7, calls[v])
    _put(b, 132, 9, rng.integers(5, 30, k))
    _put(b, 141, 9, rng.integers(2, 10, k))
    _put(b, 150, 6, rng.integers(1, 4, k))
    _put(b, 156, 6, rng.integers(1, 4, k))
    pa_, fa = _armour(a)
    pb, fb = _armour(b)
    ch = np.full(k, 66, np.uint8)
    la = _sentences(pa_, fa, 1, 1, np.full(k, -1), ch)
    lb = _sentences(pb, fb, 1, 1, np.full(k, -1), ch)
    units += zip(t.tolist(), la, strict=True)
    units += zip((t + 0.5).tolist(), lb, strict=True)

    # type 5, two sentences each
    v = rng.integers(0, n_vessels, n_5)
    t = rng.uniform(0, 86_400, n_5)
    bits = np.zeros((n_5, 424), np.uint8)
    _put(bits, 0, 6, np.full(n_5, 5))
    _put(bits, 8, 30, mmsi[v])
    _put(bits, 40, 30, 9_000_000 + v)
    _put_text(bits, 70, 7, calls[v])
    _put_text(bits, 112, 20, names[v])
    _put(bits, 232, 8, ship_type[v])
    _put(bits, 240, 9, rng.integers(10, 200, n_5))
    _put(bits, 249, 9, rng.integers(5, 60, n_5))
    _put(bits, 258, 6, rng.integers(3, 20, n_5))
    _put(bits, 264, 6, rng.integers(3, 20, n_5))
    _put(bits, 274, 4, rng.integers(1, 13, n_5))
    _put(bits, 278, 5, rng.integers(1, 29, n_5))
    _put(bits, 283, 5, rng.integers(0, 24, n_5))
    _put(bits, 288, 6, rng.integers(0, 60, n_5))
    _put(bits, 294, 8, rng.integers(20, 150, n_5))
    _put_text(bits, 302, 20, dests[rng.integers(0, len(dests), n_5)])
    pay, _ = _armour(bits)  # 71 characters, fill 2
    seq = rng.integers(0, 10, n_5)
    ch = rng.choice([65, 66], n_5).astype(np.uint8)
    p1 = _sentences(np.ascontiguousarray(pay[:, :60]), 0, 2, 1, seq, ch)
    p2 = _sentences(np.ascontiguousarray(pay[:, 60:]), 2, 2, 2, seq, ch)
    tagged5 = rng.random(n_5) < 0.35
    gid = rng.integers(1, 99_999, n_5)
    stations5 = rng.integers(0, 40, n_5)
    ts5 = (t0 + t).astype(np.int64)
    for i in range(n_5):
        if tagged5[i]:
            g1 = _tag(stations5[i : i + 1], ts5[i : i + 1], f"g:1-2-{gid[i]},")[0]
            body = f"g:2-2-{gid[i]}".encode()
            cs = 0
            for c in body:
                cs ^= c
            g2 = b"\\" + body + b"*%02X\\" % cs
            units.append((float(t[i]), g1 + p1[i] + b"\n" + g2 + p2[i]))
        else:
            units.append((float(t[i]), p1[i] + b"\n" + p2[i]))

    # noise: bad checksums, junk, blank lines, GPS sentences, lost second fragments
    for i in range(n_noise):
        kind = i % 5
        tt = float(rng.uniform(0, 86_400))
        if kind == 0:
            line = units[int(rng.integers(0, n_a))][1]
            units.append((tt, line[:-2] + b"00"))
        elif kind == 1:
            units.append((tt, b"garbage line %d" % i))
        elif kind == 2:
            units.append((tt, b""))
        elif kind == 3:
            units.append(
                (tt, b"$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A")
            )
        else:
            units.append((tt, p1[int(rng.integers(0, n_5))]))

    units.sort(key=lambda u: u[0])
    # tag blocks with s: and c: on about a third of the single-sentence lines
    times = np.array([u[0] for u in units])
    tagged = rng.random(len(units)) < 0.33
    stations = rng.integers(0, 40, len(units))
    out = []
    for i, (tt, line) in enumerate(units):
        if tagged[i] and line.startswith(b"!") and b"\n" not in line:
            out.append(_tag(stations[i : i + 1], np.array([t0 + int(tt)]), "")[0] + line)
        else:
            out.append(line)
    del times
    return b"\n".join(out) + b"\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--sentences", type=int, default=1_200_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    t = time.perf_counter()
    data = generate(args.sentences, args.seed)
    args.out.write_bytes(data)
    nlines = data.count(b"\n")
    print(
        f"wrote {args.out} ({len(data) / 1e6:.1f} MB, {nlines} lines) in {time.perf_counter() - t:.1f} s"
    )


if __name__ == "__main__":
    main()
