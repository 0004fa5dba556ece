"""Vectorised AIS payload and NMEA sentence encoder (types 1/2/3, 5, 18, 24 A and B).

Every function works on numpy arrays of field values, one element per message, and
returns the armoured payloads and their fill bits. Values use the decoded units
(degrees, knots, metres); "not available" is encoded with the standard sentinels
(lat 91, lon 181, speed 102.3, course 360, heading 511). The field layouts follow
ITU-R M.1371-5; tests check them field by field against pyais (the oracle).

Only numpy: the simulator must not depend on pyais at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seawatch._exceptions import ParameterError

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

__all__ = [
    "Payloads",
    "encode_type5",
    "encode_type18",
    "encode_type24a",
    "encode_type24b",
    "encode_types123",
    "nmea_checksums",
    "pack",
    "sentences",
    "sixbit_text",
]

_HEX = np.array([f"{i:02X}" for i in range(256)])

MAX_FRAGMENT_CHARS = 60
"""Payload characters per sentence of a multi-sentence message (keeps lines < 82 chars)."""


@dataclass(frozen=True, slots=True)
class Payloads:
    """Armoured payloads (``str`` array) and their fill bits (``int64`` array)."""

    payload: npt.NDArray[np.str_]
    fill_bits: I64


# ------------------------------------------------------------------------------ bits


def sixbit_text(texts: Sequence[str] | npt.NDArray[np.object_], n_chars: int) -> I64:
    """AIS 6-bit character codes of ``texts``, upper-cased, padded with ``@`` (0), cut at
    ``n_chars``: an ``(n, n_chars)`` int64 array. Characters outside the AIS alphabet
    (ASCII 32..95 after upper-casing) become ``?``."""
    n = len(texts)
    out = np.zeros((n, n_chars), dtype=np.int64)
    if n == 0:
        return out
    joined = "".join(f"{str(t).upper()[:n_chars]:@<{n_chars}}" for t in texts)
    codes = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8).astype(np.int64)
    codes = codes.reshape(n, n_chars)
    codes = np.where((codes < 32) | (codes > 95), ord("?"), codes)
    out[:] = np.where(codes >= 64, codes - 64, codes)
    return out


def pack(fields: Sequence[tuple[npt.ArrayLike, int]]) -> Payloads:
    """Pack integer fields ``(values, width_bits)`` (two's complement for negatives) into
    armoured 6-bit payloads. All value arrays have the same length; a 2-D array of shape
    ``(n, k)`` is ``k`` consecutive fields of ``width_bits`` each (text characters)."""
    cols: list[I64] = []
    widths: list[int] = []
    n: int | None = None
    for values, width in fields:
        arr = np.asarray(values, dtype=np.int64)
        if arr.ndim == 1:
            arr = arr[:, None]
        if n is None:
            n = arr.shape[0]
        elif arr.shape[0] != n:
            raise ParameterError("pack: field arrays differ in length")
        for k in range(arr.shape[1]):
            cols.append(arr[:, k])
            widths.append(width)
    if n is None:
        raise ParameterError("pack: no fields")
    total = sum(widths)
    fill = (-total) % 6
    bits = np.zeros((n, total + fill), dtype=np.uint8)
    pos = 0
    for col, width in zip(cols, widths, strict=True):
        masked = col & ((1 << width) - 1)
        shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
        bits[:, pos : pos + width] = (masked[:, None] >> shifts) & 1
        pos += width
    n_chars = (total + fill) // 6
    sextets = bits.reshape(n, n_chars, 6) @ np.array([32, 16, 8, 4, 2, 1], dtype=np.uint8)
    armoured = np.where(sextets < 40, sextets + 48, sextets + 56).astype(np.uint8)
    payload = np.ascontiguousarray(armoured).view(f"S{n_chars}").reshape(n).astype(str)
    return Payloads(payload=payload, fill_bits=np.full(n, fill, dtype=np.int64))


def _full(n: int, value: int) -> I64:
    return np.full(n, value, dtype=np.int64)


def _arr(values: npt.ArrayLike, n: int, default: int) -> I64:
    if values is None:
        return _full(n, default)
    a = np.asarray(values)
    if a.ndim == 0:
        return np.full(n, a, dtype=np.int64)
    return a.astype(np.int64)


def _coord(deg: npt.ArrayLike, missing: float) -> I64:
    """Degrees to 1/10000 minute, with NaN as the "not available" sentinel."""
    d = np.asarray(deg, dtype=np.float64)
    d = np.where(np.isnan(d), missing, d)
    return np.rint(d * 600_000.0).astype(np.int64)


def _tenths(values: npt.ArrayLike, missing: int, top: int) -> I64:
    v = np.asarray(values, dtype=np.float64)
    out = np.rint(np.where(np.isnan(v), -1.0, v) * 10.0).astype(np.int64)
    return np.where((out < 0) | (out > top), missing, out)


def _heading(values: npt.ArrayLike) -> I64:
    v = np.asarray(values, dtype=np.float64)
    out = np.rint(np.where(np.isnan(v), 511.0, v)).astype(np.int64) % 512
    return np.where(out > 359, 511, out)


# ------------------------------------------------------------------------------ messages


def encode_types123(
    *,
    mmsi: npt.ArrayLike,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    sog_kn: npt.ArrayLike,
    cog_deg: npt.ArrayLike,
    heading_deg: npt.ArrayLike,
    second: npt.ArrayLike,
    msg_type: npt.ArrayLike = 1,
    nav_status: npt.ArrayLike = 0,
    turn: npt.ArrayLike = -128,
    accuracy: npt.ArrayLike = 0,
    maneuver: npt.ArrayLike = 0,
    raim: npt.ArrayLike = 0,
    radio: npt.ArrayLike = 0,
    repeat: npt.ArrayLike = 0,
) -> Payloads:
    """Class A position reports (types 1, 2, 3; 168 bits, 28 characters, no fill)."""
    m = np.asarray(mmsi, dtype=np.int64)
    n = len(m)
    return pack(
        [
            (_arr(msg_type, n, 1), 6),
            (_arr(repeat, n, 0), 2),
            (m, 30),
            (_arr(nav_status, n, 15), 4),
            (_arr(turn, n, -128), 8),
            (_tenths(sog_kn, 1023, 1022), 10),
            (_arr(accuracy, n, 0), 1),
            (_coord(lon, 181.0), 28),
            (_coord(lat, 91.0), 27),
            (_tenths(cog_deg, 3600, 3599), 12),
            (_heading(heading_deg), 9),
            (_arr(second, n, 60), 6),
            (_arr(maneuver, n, 0), 2),
            (_full(n, 0), 3),
            (_arr(raim, n, 0), 1),
            (_arr(radio, n, 0), 19),
        ]
    )


def encode_type18(
    *,
    mmsi: npt.ArrayLike,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    sog_kn: npt.ArrayLike,
    cog_deg: npt.ArrayLike,
    heading_deg: npt.ArrayLike,
    second: npt.ArrayLike,
    accuracy: npt.ArrayLike = 0,
    cs: npt.ArrayLike = 1,
    display: npt.ArrayLike = 0,
    dsc: npt.ArrayLike = 1,
    band: npt.ArrayLike = 1,
    msg22: npt.ArrayLike = 1,
    assigned: npt.ArrayLike = 0,
    raim: npt.ArrayLike = 0,
    radio: npt.ArrayLike = 0,
    repeat: npt.ArrayLike = 0,
) -> Payloads:
    """Class B position reports (type 18; 168 bits)."""
    m = np.asarray(mmsi, dtype=np.int64)
    n = len(m)
    return pack(
        [
            (_full(n, 18), 6),
            (_arr(repeat, n, 0), 2),
            (m, 30),
            (_full(n, 0), 8),
            (_tenths(sog_kn, 1023, 1022), 10),
            (_arr(accuracy, n, 0), 1),
            (_coord(lon, 181.0), 28),
            (_coord(lat, 91.0), 27),
            (_tenths(cog_deg, 3600, 3599), 12),
            (_heading(heading_deg), 9),
            (_arr(second, n, 60), 6),
            (_full(n, 0), 2),
            (_arr(cs, n, 1), 1),
            (_arr(display, n, 0), 1),
            (_arr(dsc, n, 1), 1),
            (_arr(band, n, 1), 1),
            (_arr(msg22, n, 1), 1),
            (_arr(assigned, n, 0), 1),
            (_arr(raim, n, 0), 1),
            (_arr(radio, n, 0), 20),
        ]
    )


def _dims(length_m: npt.ArrayLike, beam_m: npt.ArrayLike, n: int) -> tuple[I64, I64, I64, I64]:
    """Length and beam to (to_bow, to_stern, to_port, to_starboard), antenna at 2/3 aft."""
    length = np.nan_to_num(np.asarray(length_m, dtype=np.float64) * np.ones(n), nan=0.0)
    beam = np.nan_to_num(np.asarray(beam_m, dtype=np.float64) * np.ones(n), nan=0.0)
    bow = np.clip(np.rint(length * 2.0 / 3.0), 0, 511).astype(np.int64)
    stern = np.clip(np.rint(length - bow), 0, 511).astype(np.int64)
    port = np.clip(np.rint(beam / 2.0), 0, 63).astype(np.int64)
    starboard = np.clip(np.rint(beam - port), 0, 63).astype(np.int64)
    return bow, stern, port, starboard


def encode_type5(
    *,
    mmsi: npt.ArrayLike,
    imo: npt.ArrayLike,
    callsign: Sequence[str],
    name: Sequence[str],
    ship_type: npt.ArrayLike,
    length_m: npt.ArrayLike,
    beam_m: npt.ArrayLike,
    draught_m: npt.ArrayLike,
    destination: Sequence[str],
    eta_month: npt.ArrayLike = 0,
    eta_day: npt.ArrayLike = 0,
    eta_hour: npt.ArrayLike = 24,
    eta_minute: npt.ArrayLike = 60,
    epfd: npt.ArrayLike = 1,
    ais_version: npt.ArrayLike = 0,
    dte: npt.ArrayLike = 0,
    repeat: npt.ArrayLike = 0,
) -> Payloads:
    """Class A static and voyage data (type 5; 424 bits, 71 characters, 2 fill bits)."""
    m = np.asarray(mmsi, dtype=np.int64)
    n = len(m)
    bow, stern, port, starboard = _dims(length_m, beam_m, n)
    draught = np.clip(
        np.rint(np.nan_to_num(np.asarray(draught_m, dtype=np.float64) * np.ones(n)) * 10.0),
        0,
        255,
    ).astype(np.int64)
    return pack(
        [
            (_full(n, 5), 6),
            (_arr(repeat, n, 0), 2),
            (m, 30),
            (_arr(ais_version, n, 0), 2),
            (_arr(imo, n, 0), 30),
            (sixbit_text(callsign, 7), 6),
            (sixbit_text(name, 20), 6),
            (_arr(ship_type, n, 0), 8),
            (bow, 9),
            (stern, 9),
            (port, 6),
            (starboard, 6),
            (_arr(epfd, n, 1), 4),
            (_arr(eta_month, n, 0), 4),
            (_arr(eta_day, n, 0), 5),
            (_arr(eta_hour, n, 24), 5),
            (_arr(eta_minute, n, 60), 6),
            (draught, 8),
            (sixbit_text(destination, 20), 6),
            (_arr(dte, n, 0), 1),
            (_full(n, 0), 1),
        ]
    )


def encode_type24a(
    *, mmsi: npt.ArrayLike, name: Sequence[str], repeat: npt.ArrayLike = 0
) -> Payloads:
    """Class B static data, part A (type 24, part 0: the name; 160 bits)."""
    m = np.asarray(mmsi, dtype=np.int64)
    n = len(m)
    return pack(
        [
            (_full(n, 24), 6),
            (_arr(repeat, n, 0), 2),
            (m, 30),
            (_full(n, 0), 2),
            (sixbit_text(name, 20), 6),
        ]
    )


def encode_type24b(
    *,
    mmsi: npt.ArrayLike,
    ship_type: npt.ArrayLike,
    callsign: Sequence[str],
    length_m: npt.ArrayLike,
    beam_m: npt.ArrayLike,
    vendor_id: Sequence[str] | None = None,
    repeat: npt.ArrayLike = 0,
) -> Payloads:
    """Class B static data, part B (type 24, part 1: type, call sign, dimensions; 168 bits)."""
    m = np.asarray(mmsi, dtype=np.int64)
    n = len(m)
    bow, stern, port, starboard = _dims(length_m, beam_m, n)
    vendors = vendor_id if vendor_id is not None else ["SWS"] * n
    return pack(
        [
            (_full(n, 24), 6),
            (_arr(repeat, n, 0), 2),
            (m, 30),
            (_full(n, 1), 2),
            (_arr(ship_type, n, 0), 8),
            (sixbit_text(vendors, 3), 6),
            (_full(n, 0), 4),
            (_full(n, 0), 20),
            (sixbit_text(callsign, 7), 6),
            (bow, 9),
            (stern, 9),
            (port, 6),
            (starboard, 6),
            (_full(n, 0), 6),
        ]
    )


# ------------------------------------------------------------------------------ sentences


def nmea_checksums(bodies: Sequence[str]) -> npt.NDArray[np.str_]:
    """Two-hex-digit NMEA checksums (XOR of the bytes) of each body (without ``!``/``*``)."""
    if len(bodies) == 0:
        return np.array([], dtype="<U2")
    lengths = np.fromiter((len(b) for b in bodies), dtype=np.int64, count=len(bodies))
    # a trailing zero byte lets an empty last body start at len(buf) (XOR identity)
    buf = np.frombuffer("".join(bodies).encode("ascii") + b"\x00", dtype=np.uint8)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    xor = np.bitwise_xor.reduceat(buf, starts)
    xor = np.where(lengths == 0, 0, xor)
    return _HEX[xor]


def sentences(
    payloads: Payloads,
    *,
    channel: npt.NDArray[np.str_] | str = "A",
    seq_id: I64 | None = None,
    talker: str = "AIVDM",
    max_chars: int = MAX_FRAGMENT_CHARS,
) -> list[list[str]]:
    """The NMEA sentences of each payload (a list of 1 or more ``!AIVDM,...*hh`` strings):
    payloads longer than ``max_chars`` are split into fragments sharing a sequence id
    (``seq_id[i]`` in 0..9), the fill bits on the last fragment only."""
    n = len(payloads.payload)
    chans = np.broadcast_to(np.asarray(channel), (n,)).tolist()
    seqs = (seq_id if seq_id is not None else np.arange(n, dtype=np.int64) % 10).tolist()
    pays = payloads.payload.tolist()
    fills = payloads.fill_bits.tolist()
    bodies: list[str] = []
    counts: list[int] = []
    for p, fill, ch, seq in zip(pays, fills, chans, seqs, strict=True):
        if len(p) <= max_chars:
            bodies.append(f"{talker},1,1,,{ch},{p},{fill}")
            counts.append(1)
            continue
        parts = [p[k : k + max_chars] for k in range(0, len(p), max_chars)]
        total = len(parts)
        for k, part in enumerate(parts):
            f = fill if k == total - 1 else 0
            bodies.append(f"{talker},{total},{k + 1},{seq},{ch},{part},{f}")
        counts.append(total)
    sums = nmea_checksums(bodies).tolist()
    out: list[list[str]] = []
    pos = 0
    for c in counts:
        out.append([f"!{bodies[pos + k]}*{sums[pos + k]}" for k in range(c)])
        pos += c
    return out
