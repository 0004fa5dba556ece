"""Compiled passes 2 and 3: reassemble multi-sentence messages, dearmour and extract fields."""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt

from seawatch.ais._scan import (
    NO_TIME,
    ST_AIS,
    ST_BAD_VALUE,
    ST_DECODED,
    ST_ORPHAN,
    ST_PAYLOAD_CHAR,
    ST_PAYLOAD_LENGTH,
    ST_UNSUPPORTED,
)

_ARMOUR = np.full(256, 255, np.uint8)
_ARMOUR[48:88] = np.arange(0, 40)
_ARMOUR[96:120] = np.arange(40, 64)
"""Armoured payload character -> six-bit value; 255 for characters outside the alphabet."""

_MAX_CHARS = 9 * 128
"""Longest payload (characters) of one reassembled message."""

ST_CARRIED = 13  # a pending fragment carried over to the next feed

CAT_POSITION = 1
CAT_STATIC = 2
CAT_OTHER = 4

NAME_W = 34  # 20 characters, plus 14 for the type 21 name extension
CALL_W = 7
DEST_W = 20


@nb.njit(cache=True)
def assemble(
    nrec: int,
    status: npt.NDArray[np.int8],
    line_no: npt.NDArray[np.int64],
    total: npt.NDArray[np.int8],
    num: npt.NDArray[np.int8],
    seq: npt.NDArray[np.int8],
    chan: npt.NDArray[np.uint8],
    gid: npt.NDArray[np.int64],
    gtotal: npt.NDArray[np.int8],
    gnum: npt.NDArray[np.int8],
    station: npt.NDArray[np.int32],
    final: bool,
    carry_min_line: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], int]:
    """Group fragments into messages (in place: orphans get ST_ORPHAN, carried ST_CARRIED).

    Returns (msg_off, msg_recs, nmsg): message m is records msg_recs[msg_off[m]:msg_off[m+1]]
    in fragment order.
    """
    msg_off = np.zeros(nrec + 1, np.int64)
    msg_recs = np.empty(nrec, np.int64)
    nmulti = 1
    for r in range(nrec):
        if status[r] == ST_AIS and total[r] > 1:
            nmulti += 1
    slot_recs = np.full((nmulti, 9), -1, np.int64)
    slot_count = np.zeros(nmulti, np.int64)
    slot_total = np.zeros(nmulti, np.int64)
    slot_key = np.zeros(nmulti, np.int64)
    slots = nb.typed.Dict.empty(key_type=nb.types.int64, value_type=nb.types.int64)
    nslots = 0
    nmsg = 0
    nout = 0
    for r in range(nrec):
        if status[r] != ST_AIS:
            continue
        if total[r] == 1:
            msg_recs[nout] = r
            nout += 1
            nmsg += 1
            msg_off[nmsg] = nout
            continue
        # keys leave the station out: sources often tag only the first fragment with it
        if gid[r] >= 0 and gtotal[r] == total[r]:
            key = (np.int64(1) << 62) | (gid[r] & ((np.int64(1) << 56) - 1))
            k = np.int64(gnum[r])
        else:
            key = (np.int64(chan[r]) << 16) | (np.int64(seq[r] + 1) << 8) | np.int64(total[r])
            k = np.int64(num[r])
        if key in slots:
            s = slots[key]
            if slot_recs[s, k - 1] >= 0:
                # a repeated fragment number: the pending message will never complete
                for j in range(9):
                    if slot_recs[s, j] >= 0:
                        status[slot_recs[s, j]] = ST_ORPHAN
                del slots[key]
                s = -1
        else:
            s = -1
        if s < 0:
            s = nslots
            nslots += 1
            slots[key] = s
            slot_total[s] = total[r]
            slot_key[s] = key
        slot_recs[s, k - 1] = r
        slot_count[s] += 1
        if slot_count[s] == slot_total[s]:
            for j in range(slot_total[s]):
                msg_recs[nout] = slot_recs[s, j]
                nout += 1
            nmsg += 1
            msg_off[nmsg] = nout
            del slots[key]
    # what is left is pending: orphans at the end, else carried if recent
    for s in slots.values():
        first_line = np.int64(1) << 62
        for j in range(9):
            if slot_recs[s, j] >= 0:
                first_line = min(first_line, line_no[slot_recs[s, j]])
        keep = (not final) and first_line >= carry_min_line
        for j in range(9):
            if slot_recs[s, j] >= 0:
                status[slot_recs[s, j]] = ST_CARRIED if keep else ST_ORPHAN
    return msg_off[: nmsg + 1], msg_recs[:nout], nmsg


# The field helpers below have explicit signatures and are not inlined by numba: each is
# compiled once and LLVM inlines it into ``decode`` (same speed). Inlined by numba
# (``inline="always"``) or specialised per literal argument, they made ``decode`` take
# ~20 CPU-seconds to compile on a fresh machine.
_SB = nb.int64[::1]


@nb.njit(nb.int64(_SB, nb.int64, nb.int64, nb.int64), cache=True)
def _bits(sb: npt.NDArray[np.int64], nch: int, start: int, width: int) -> int:
    """Unsigned field of ``width`` (<= 30) bits at bit ``start``; bits past the end read 0.

    ``sb`` holds the payload as 60-bit words (ten six-bit characters each, zero-padded).
    """
    w = start // 60
    end = start - w * 60 + width
    if end <= 60:
        return int((sb[w] >> (60 - end)) & ((np.int64(1) << width) - 1))
    lo = end - 60
    hi = sb[w] & ((np.int64(1) << (width - lo)) - 1)
    return int((hi << lo) | (sb[w + 1] >> (60 - lo)))


@nb.njit(nb.int64(_SB, nb.int64, nb.int64, nb.int64), cache=True)
def _sbits(sb: npt.NDArray[np.int64], nch: int, start: int, width: int) -> int:
    v = _bits(sb, nch, start, width)
    if v >= (1 << (width - 1)):
        v -= 1 << width
    return v


# One explicit signature: called with constant field offsets, numba would otherwise compile
# a specialisation per distinct set of literal arguments (16 of them, each on a cold start).
@nb.njit(nb.int64(_SB, nb.int64, nb.int64, nb.int64, nb.int64, nb.uint8[::1], nb.int64), cache=True)
def _text(
    sb: npt.NDArray[np.int64],
    nch: int,
    nbits: int,
    start: int,
    nchars: int,
    out: npt.NDArray[np.uint8],
    off: int,
) -> int:
    """Six-bit text into out[off:]; stops at '@' or the payload end; trailing spaces dropped.

    Returns the number of bytes written.
    """
    n = 0
    for i in range(nchars):
        b = start + 6 * i
        if b + 6 > nbits:
            break
        v = _bits(sb, nch, b, 6)
        if v == 0:
            break
        out[off + n] = v + 64 if v < 32 else v
        n += 1
    while n > 0 and out[off + n - 1] == 32:
        n -= 1
    return n


@nb.njit(
    nb.void(nb.int64, nb.int64, nb.int64, nb.float64, nb.float64[::1], nb.float64[::1]), cache=True
)
def _set_lonlat(
    m: int,
    lon_raw: int,
    lat_raw: int,
    scale: float,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
) -> None:
    x = lon_raw / scale
    y = lat_raw / scale
    if -180.0 <= x <= 180.0 and -90.0 <= y <= 90.0:
        lon[m] = x
        lat[m] = y


@nb.njit(nb.void(_SB, nb.int64, nb.int64, nb.int64, nb.float32[::1], nb.float32[::1]), cache=True)
def _dims(
    sb: npt.NDArray[np.int64],
    nch: int,
    start: int,
    i: int,
    length: npt.NDArray[np.float32],
    beam: npt.NDArray[np.float32],
) -> None:
    bow = _bits(sb, nch, start, 9)
    stern = _bits(sb, nch, start + 9, 9)
    port = _bits(sb, nch, start + 18, 6)
    stbd = _bits(sb, nch, start + 24, 6)
    if bow + stern > 0:
        length[i] = bow + stern
    if port + stbd > 0:
        beam[i] = port + stbd


@nb.njit(cache=True)
def decode(
    buf: npt.NDArray[np.uint8],
    msg_off: npt.NDArray[np.int64],
    msg_recs: npt.NDArray[np.int64],
    status: npt.NDArray[np.int8],
    pay_a: npt.NDArray[np.int64],
    pay_b: npt.NDArray[np.int64],
    fill: npt.NDArray[np.int8],
    num: npt.NDArray[np.int8],
    rtime: npt.NDArray[np.int64],
    rstation: npt.NDArray[np.int32],
    default_ts: int,
) -> tuple:  # type: ignore[type-arg]
    """Dearmour and extract fields; position rows come out compact (row ``i`` of ``p_*``).

    ``default_ts`` is the time of messages that have none (``NO_TIME``: leave them null).
    """
    nmsg = msg_off.shape[0] - 1
    # pre-pass: how many statics and how many bytes of "other" payloads
    nst = 0
    nother = 0
    nother_bytes = 0
    for m in range(nmsg):
        r0 = msg_recs[msg_off[m]]
        c = np.int64(buf[pay_a[r0]]) if pay_b[r0] > pay_a[r0] else 48
        t = c - 48 if c < 88 else c - 56
        if t == 5 or t == 19 or t == 21 or t == 24:
            nst += 1
        elif not (t == 1 or t == 2 or t == 3 or t == 4 or t == 9 or t == 18 or t == 27):
            nother += 1
            for j in range(msg_off[m], msg_off[m + 1]):
                nother_bytes += pay_b[msg_recs[j]] - pay_a[msg_recs[j]]
    # every row of these is written (no fill pass over fresh memory); the position columns are
    # reset row by row, as the rows are used
    m_status = np.empty(nmsg, np.int8)
    m_type = np.empty(nmsg, np.uint8)
    m_mmsi = np.empty(nmsg, np.uint32)
    m_ts = np.empty(nmsg, np.int64)
    m_station = np.empty(nmsg, np.int32)
    lat = np.empty(nmsg, np.float64)
    lon = np.empty(nmsg, np.float64)
    sog = np.empty(nmsg, np.float32)
    cog = np.empty(nmsg, np.float32)
    heading = np.empty(nmsg, np.uint16)
    nav = np.empty(nmsg, np.uint8)
    p_mmsi = np.empty(nmsg, np.uint32)
    p_ts = np.empty(nmsg, np.int64)
    p_type = np.empty(nmsg, np.uint8)
    p_station = np.empty(nmsg, np.int32)
    npos = 0
    s_msg = np.empty(nst, np.int64)
    s_imo = np.zeros(nst, np.uint32)
    s_shiptype = np.full(nst, 0xFFFF, np.uint16)
    s_len = np.full(nst, np.nan, np.float32)
    s_beam = np.full(nst, np.nan, np.float32)
    s_draught = np.full(nst, np.nan, np.float32)
    s_eta = np.zeros((nst, 4), np.int16)  # month, day, hour, minute (month 0: none)
    s_part = np.full(nst, -1, np.int8)
    s_name = np.zeros((nst, NAME_W), np.uint8)
    s_name_n = np.zeros(nst, np.int32)
    s_call = np.zeros((nst, CALL_W), np.uint8)
    s_call_n = np.zeros(nst, np.int32)
    s_dest = np.zeros((nst, DEST_W), np.uint8)
    s_dest_n = np.zeros(nst, np.int32)
    o_msg = np.empty(nother, np.int64)
    o_fill = np.zeros(nother, np.uint8)
    o_bytes = np.empty(nother_bytes, np.uint8)
    o_off = np.zeros(nother + 1, np.int64)
    sb = np.zeros(_MAX_CHARS // 10 + 4, np.int64)  # payload as 60-bit words
    ist = 0
    iot = 0
    ob = 0
    for m in range(nmsg):
        a = msg_off[m]
        b = msg_off[m + 1]
        # dearmour all fragments
        nch = 0
        for j in range(a, b):
            nch += pay_b[msg_recs[j]] - pay_a[msg_recs[j]]
        bad = nch > _MAX_CHARS
        acc = np.int64(0)
        rem = 0  # characters in acc
        nw = 0  # full words written
        seen = np.uint8(0)  # OR of the six-bit values: 255 (bit 7) marks a bad character
        for j in range(a, b):
            if bad:
                break
            r = msg_recs[j]
            i = pay_a[r]
            e = pay_b[r]
            while i < e:
                if rem == 0 and e - i >= 10:  # ten characters, one word, no branches
                    w = np.int64(0)
                    for q in range(10):
                        v = _ARMOUR[buf[i + q]]
                        seen |= v
                        w = (w << 6) | v
                    sb[nw] = w
                    nw += 1
                    i += 10
                    continue
                v = _ARMOUR[buf[i]]
                seen |= v
                acc = (acc << 6) | v
                rem += 1
                i += 1
                if rem == 10:
                    sb[nw] = acc
                    nw += 1
                    acc = np.int64(0)
                    rem = 0
            if seen & 0x80:
                bad = True
        sb[nw] = acc << (6 * (10 - rem)) if rem else np.int64(0)
        sb[nw + 1] = 0
        sb[nw + 2] = 0
        last = msg_recs[b - 1]
        nbits = 6 * nch - fill[last]
        st = 0
        t = 0
        if bad:
            st = ST_PAYLOAD_CHAR
        elif nbits < 38:
            st = ST_PAYLOAD_LENGTH
        else:
            t = _bits(sb, nch, 0, 6)
            if t == 0 or t > 27:
                st = ST_UNSUPPORTED
        # time and station: the first fragment that has them
        ts = NO_TIME
        stn = np.int32(-1)
        for j in range(a, b):
            r = msg_recs[j]
            if ts == NO_TIME and rtime[r] != NO_TIME:
                ts = rtime[r]
            if stn < 0 and rstation[r] >= 0:
                stn = rstation[r]
        if ts == NO_TIME:
            ts = default_ts
        m_ts[m] = ts
        m_station[m] = stn
        m_type[m] = t
        mmsi = 0
        cat = 0
        ip = npos  # the position row, used when cat gets CAT_POSITION
        lat[ip] = np.nan
        lon[ip] = np.nan
        sog[ip] = np.nan
        cog[ip] = np.nan
        heading[ip] = 0xFFFF
        nav[ip] = 0xFF
        if st == 0:
            mmsi = _bits(sb, nch, 8, 30)
            if mmsi == 0 and (
                t == 1
                or t == 2
                or t == 3
                or t == 4
                or t == 5
                or t == 9
                or t == 18
                or t == 19
                or t == 21
                or t == 24
                or t == 27
            ):
                st = ST_BAD_VALUE
        if st == 0:
            if t == 1 or t == 2 or t == 3:
                if nbits < 137:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION
                    nav[ip] = _bits(sb, nch, 38, 4)
                    v = _bits(sb, nch, 50, 10)
                    if v != 1023:
                        sog[ip] = v / 10.0
                    _set_lonlat(
                        ip, _sbits(sb, nch, 61, 28), _sbits(sb, nch, 89, 27), 600000.0, lon, lat
                    )
                    v = _bits(sb, nch, 116, 12)
                    if v < 3600:
                        cog[ip] = v / 10.0
                    v = _bits(sb, nch, 128, 9)
                    if v < 360:
                        heading[ip] = v
            elif t == 4:
                if nbits < 134:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION
                    _set_lonlat(
                        ip, _sbits(sb, nch, 79, 28), _sbits(sb, nch, 107, 27), 600000.0, lon, lat
                    )
            elif t == 9:
                if nbits < 128:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION
                    v = _bits(sb, nch, 50, 10)
                    if v != 1023:
                        sog[ip] = v
                    _set_lonlat(
                        ip, _sbits(sb, nch, 61, 28), _sbits(sb, nch, 89, 27), 600000.0, lon, lat
                    )
                    v = _bits(sb, nch, 116, 12)
                    if v < 3600:
                        cog[ip] = v / 10.0
            elif t == 18 or t == 19:
                if nbits < (133 if t == 18 else 301):
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION
                    v = _bits(sb, nch, 46, 10)
                    if v != 1023:
                        sog[ip] = v / 10.0
                    _set_lonlat(
                        ip, _sbits(sb, nch, 57, 28), _sbits(sb, nch, 85, 27), 600000.0, lon, lat
                    )
                    v = _bits(sb, nch, 112, 12)
                    if v < 3600:
                        cog[ip] = v / 10.0
                    v = _bits(sb, nch, 124, 9)
                    if v < 360:
                        heading[ip] = v
                    if t == 19:
                        cat |= CAT_STATIC
                        s_msg[ist] = m
                        s_name_n[ist] = _text(sb, nch, nbits, 143, 20, s_name[ist], 0)
                        s_shiptype[ist] = _bits(sb, nch, 263, 8)
                        _dims(sb, nch, 271, ist, s_len, s_beam)
                        ist += 1
            elif t == 27:
                if nbits < 94:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION
                    nav[ip] = _bits(sb, nch, 40, 4)
                    _set_lonlat(
                        ip, _sbits(sb, nch, 44, 18), _sbits(sb, nch, 62, 17), 600.0, lon, lat
                    )
                    v = _bits(sb, nch, 79, 6)
                    if v != 63:
                        sog[ip] = v
                    v = _bits(sb, nch, 85, 9)
                    if v < 360:
                        cog[ip] = v
            elif t == 21:
                if nbits < 249:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_POSITION | CAT_STATIC
                    _set_lonlat(
                        ip, _sbits(sb, nch, 164, 28), _sbits(sb, nch, 192, 27), 600000.0, lon, lat
                    )
                    s_msg[ist] = m
                    n = _text(sb, nch, nbits, 43, 20, s_name[ist], 0)
                    if n == 20 and nbits >= 278:
                        n += _text(sb, nch, nbits, 272, 14, s_name[ist], 20)
                    s_name_n[ist] = n
                    _dims(sb, nch, 219, ist, s_len, s_beam)
                    ist += 1
            elif t == 5:
                if nbits < 420:
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_STATIC
                    s_msg[ist] = m
                    s_imo[ist] = _bits(sb, nch, 40, 30)
                    s_call_n[ist] = _text(sb, nch, nbits, 70, 7, s_call[ist], 0)
                    s_name_n[ist] = _text(sb, nch, nbits, 112, 20, s_name[ist], 0)
                    s_shiptype[ist] = _bits(sb, nch, 232, 8)
                    _dims(sb, nch, 240, ist, s_len, s_beam)
                    s_eta[ist, 0] = _bits(sb, nch, 274, 4)
                    s_eta[ist, 1] = _bits(sb, nch, 278, 5)
                    s_eta[ist, 2] = _bits(sb, nch, 283, 5)
                    s_eta[ist, 3] = _bits(sb, nch, 288, 6)
                    v = _bits(sb, nch, 294, 8)
                    if v > 0:
                        s_draught[ist] = v / 10.0
                    s_dest_n[ist] = _text(sb, nch, nbits, 302, 20, s_dest[ist], 0)
                    ist += 1
            elif t == 24:
                part = _bits(sb, nch, 38, 2)
                if part > 1:
                    st = ST_BAD_VALUE
                elif nbits < (160 if part == 0 else 162):
                    st = ST_PAYLOAD_LENGTH
                else:
                    cat = CAT_STATIC
                    s_msg[ist] = m
                    s_part[ist] = part
                    if part == 0:
                        s_name_n[ist] = _text(sb, nch, nbits, 40, 20, s_name[ist], 0)
                    else:
                        s_shiptype[ist] = _bits(sb, nch, 40, 8)
                        s_call_n[ist] = _text(sb, nch, nbits, 90, 7, s_call[ist], 0)
                        if mmsi // 10_000_000 != 98:  # auxiliary craft carry a mothership MMSI
                            _dims(sb, nch, 132, ist, s_len, s_beam)
                    ist += 1
            else:
                cat = CAT_OTHER
                o_msg[iot] = m
                o_fill[iot] = fill[last]
                for j in range(a, b):
                    r = msg_recs[j]
                    for i in range(pay_a[r], pay_b[r]):
                        o_bytes[ob] = buf[i]
                        ob += 1
                iot += 1
                o_off[iot] = ob
        if cat & CAT_POSITION:
            p_mmsi[ip] = mmsi
            p_ts[ip] = ts
            p_type[ip] = t
            p_station[ip] = stn
            npos += 1
        m_status[m] = st
        m_mmsi[m] = mmsi
        for j in range(a, b):
            status[msg_recs[j]] = ST_DECODED if st == 0 else st
    return (
        m_status,
        m_type,
        m_mmsi,
        m_ts,
        m_station,
        npos,
        p_mmsi,
        p_ts,
        p_type,
        p_station,
        lat,
        lon,
        sog,
        cog,
        heading,
        nav,
        ist,
        s_msg,
        s_imo,
        s_shiptype,
        s_len,
        s_beam,
        s_draught,
        s_eta,
        s_part,
        s_name,
        s_name_n,
        s_call,
        s_call_n,
        s_dest,
        s_dest_n,
        iot,
        o_msg,
        o_fill,
        o_bytes,
        o_off,
    )


@nb.njit(cache=True)
def join24(
    mmsi: npt.NDArray[np.uint32], part: npt.NDArray[np.int8]
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]
]:
    """Pair type 24 parts A and B per MMSI, in order (see ``_decoder`` docstring).

    Returns (a_idx, b_idx, last_idx) of the emitted rows (-1: that part is absent) and the
    indices of the rows still pending at the end, unordered (the caller sorts them with
    numpy: a sort inside the kernel costs 1.2 s of compilation on a fresh machine).
    """
    n = mmsi.shape[0]
    a_idx = np.empty(n, np.int64)
    b_idx = np.empty(n, np.int64)
    last = np.empty(n, np.int64)
    pending = nb.typed.Dict.empty(key_type=nb.types.int64, value_type=nb.types.int64)
    k = 0
    for r in range(n):
        m = np.int64(mmsi[r])
        if m in pending:
            p = pending[m]
            if part[p] == part[r]:
                a_idx[k] = p if part[p] == 0 else -1
                b_idx[k] = p if part[p] == 1 else -1
                last[k] = p
                k += 1
                pending[m] = r
            else:
                a_idx[k] = p if part[p] == 0 else r
                b_idx[k] = r if part[p] == 0 else p
                last[k] = r
                k += 1
                del pending[m]
        else:
            pending[m] = r
    rest = np.empty(len(pending), np.int64)
    j = 0
    for v in pending.values():
        rest[j] = v
        j += 1  # noqa: SIM113 - numba loop over dict values
    return a_idx[:k], b_idx[:k], last[:k], rest


_ETA_SEPS = np.array([ord("-"), ord("T"), ord(":")], np.uint8)


@nb.njit(cache=True)
def eta_text(eta: npt.NDArray[np.int16]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int32]]:
    """``MM-DDTHH:MM`` rows from (month, day, hour, minute); length 0 when month or day is 0."""
    n = eta.shape[0]
    out = np.empty((n, 11), np.uint8)
    length = np.zeros(n, np.int32)
    for i in range(n):
        for k in range(4):
            v = int(eta[i, k])
            out[i, 3 * k] = 48 + min(max(v // 10, 0), 9)
            out[i, 3 * k + 1] = 48 + min(max(v % 10, 0), 9)
            if k < 3:
                out[i, 3 * k + 2] = _ETA_SEPS[k]
        if eta[i, 0] > 0 and eta[i, 1] > 0:
            length[i] = 11
    return out, length


@nb.njit(cache=True)
def gather_rows(
    mat: npt.NDArray[np.uint8], n: npt.NDArray[np.int32], sel: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """Arrow string buffers (offsets, data) of rows ``sel`` of ``mat``, row r cut to ``n[r]``."""
    offsets = np.zeros(sel.shape[0] + 1, np.int32)
    total = 0
    for i in range(sel.shape[0]):
        total += n[sel[i]]
        offsets[i + 1] = total
    data = np.empty(total, np.uint8)
    k = 0
    for i in range(sel.shape[0]):
        r = sel[i]
        for j in range(n[r]):
            data[k] = mat[r, j]
            k += 1
    return offsets, data


@nb.njit(cache=True)
def gather_spans(
    buf: npt.NDArray[np.uint8], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], bool]:
    """Arrow string buffers (int64 offsets, data) of ``buf[start[i]:end[i]]``; True if all ASCII."""
    offsets = np.zeros(start.shape[0] + 1, np.int64)
    total = 0
    for i in range(start.shape[0]):
        total += end[i] - start[i]
        offsets[i + 1] = total
    data = np.empty(total, np.uint8)
    k = 0
    high = np.uint8(0)
    for i in range(start.shape[0]):
        for j in range(start[i], end[i]):
            c = buf[j]
            high |= c
            data[k] = c
            k += 1
    return offsets, data, bool(high < 128)
