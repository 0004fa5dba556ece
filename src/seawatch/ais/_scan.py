"""Compiled pass 1: split a byte buffer into records and parse NMEA framing.

A *record* is one ``[\\tag block\\]sentence`` unit. Normally a line holds one record; a line
may hold several when a source concatenates tag-blocked sentences (``...*2C\\s:..\\!AIVDM...``).

For every record the kernel returns its status (``ST_*``), the payload span, fragment fields,
tag-block group, time (µs since the epoch, ``NO_TIME`` when none) and a station id.
"""

from __future__ import annotations

import sys

import numba as nb
import numpy as np
import numpy.typing as npt

NO_TIME = np.iinfo(np.int64).min

# record status; ST_* < ST_REJECT_BASE are consumed, the rest are reject reasons (see _REASONS)
ST_AIS = 0
ST_FRAMING_OK = 1
ST_EMPTY = 2
ST_NOT_AIS = 3
ST_FRAMING = 4
ST_CHECKSUM = 5
ST_TAG_BLOCK = 6
ST_ORPHAN = 7
ST_PAYLOAD_CHAR = 8
ST_PAYLOAD_LENGTH = 9
ST_UNSUPPORTED = 10
ST_BAD_VALUE = 11
ST_DECODED = 12  # set by the decoder on records that became part of a message

REASONS: tuple[str, ...] = (
    "",
    "",
    "empty",
    "not_ais",
    "framing",
    "checksum",
    "tag_block",
    "orphan_fragment",
    "payload_char",
    "payload_length",
    "unsupported_type",
    "bad_value",
    "",
)

_MAX_US = 4_102_444_800_000_000  # 2100-01-01: later times are not believed
_BS = 92  # backslash
_NL = 10
_CR = 13


# The helpers have explicit signatures and are not inlined by numba: each is compiled once
# and LLVM inlines it into ``scan`` (same speed); with ``inline="always"`` numba copied
# them into every call site, which doubled ``scan``'s compile time on a fresh machine.
# The buffer is read-only when it wraps ``bytes`` or a read-only mmap, writable otherwise.
_BUF = (nb.types.Array(nb.uint8, 1, "C", readonly=True), nb.uint8[::1])


@nb.njit(nb.int64(nb.int64), cache=True)
def _hexval(c: int) -> int:
    if 48 <= c <= 57:
        return c - 48
    if 65 <= c <= 70:
        return c - 55
    if 97 <= c <= 102:
        return c - 87
    return -1


@nb.njit(nb.boolean(nb.int64), cache=True)
def _is_space(c: int) -> bool:
    return c == 32 or c == 9 or c == _CR or c == 0


@nb.njit(nb.int64(nb.int64, nb.int64, nb.int64), cache=True)
def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@nb.njit([nb.int64(buf, nb.int64, nb.int64) for buf in _BUF], cache=True)
def _parse_uint(buf: npt.NDArray[np.uint8], a: int, b: int) -> int:
    """Digits in buf[a:b] as an int; -1 when empty, not all digits or too long."""
    if b <= a or b - a > 18:
        return -1
    v = 0
    for i in range(a, b):
        c = buf[i]
        if c < 48 or c > 57:
            return -1
        v = v * 10 + (c - 48)
    return v


@nb.njit([nb.int64(buf, nb.int64, nb.int64) for buf in _BUF], cache=True)
def _station_hash(buf: npt.NDArray[np.uint8], a: int, b: int) -> np.int64:
    h = np.uint64(14695981039346656037)
    for i in range(a, b):
        h = (h ^ np.uint64(buf[i])) * np.uint64(1099511628211)
    return np.int64(h >> np.uint64(1))


@nb.njit(nb.int64(nb.int64), cache=True)
def _epoch_to_us(v: int) -> int:
    # seconds or milliseconds since the epoch (ms when it would be after year 5138 as seconds)
    if v >= 100_000_000_000:
        return v * 1000
    return v * 1_000_000


@nb.njit(cache=True)
def _count_nl_bs(buf: npt.NDArray[np.uint8]) -> tuple[int, int]:
    """Newlines and backslashes in ``buf`` (a branch-free loop the compiler vectorises)."""
    n_nl = 0
    n_bs = 0
    for i in range(buf.shape[0]):
        c = buf[i]
        n_nl += c == _NL
        n_bs += c == _BS
    return n_nl, n_bs


_LITTLE = sys.byteorder == "little"
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_NL8 = np.uint64(0x0A0A0A0A0A0A0A0A)
_BYTE_IDX = np.uint64(0x0001020304050607)
"""Multiplier that moves the index of the byte whose bit is set (in ``1 << 8j``) to the top."""


@nb.njit(cache=True)
def _newlines(buf: npt.NDArray[np.uint8], out: npt.NDArray[np.int64]) -> None:
    """Positions of the newlines in ``buf`` into ``out``, eight bytes at a time.

    A word with no newline (most of them: lines are ~60 bytes) is skipped in a few operations;
    ``~(((x & 0x7f..) + 0x7f..) | x | 0x7f..)`` marks exactly the zero bytes of ``x``.
    """
    n = buf.shape[0]
    nw = n // 8
    k = 0
    if nw and _LITTLE:
        words = buf[: nw * 8].view(np.uint64)
        for i in range(nw):
            x = words[i] ^ _NL8
            t = ~(((x & _LOW7) + _LOW7) | x | _LOW7)
            while t:
                low = t & (~t + np.uint64(1))
                out[k] = i * 8 + np.int64(((low >> np.uint64(7)) * _BYTE_IDX) >> np.uint64(56))
                k += 1
                t ^= low
    else:
        nw = 0
    for i in range(nw * 8, n):
        if buf[i] == _NL:
            out[k] = i
            k += 1


@nb.njit(cache=True)
def scan(
    buf: npt.NDArray[np.uint8],
    accept_bad_checksum: bool,
    pending_time_in: int,
) -> tuple[
    int,
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.int8],
    npt.NDArray[np.int8],
    npt.NDArray[np.int8],
    npt.NDArray[np.int8],
    npt.NDArray[np.uint8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int8],
    npt.NDArray[np.int8],
    npt.NDArray[np.int64],
    npt.NDArray[np.int32],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    int,
    int,
]:
    n = buf.shape[0]
    n_nl, n_bs = _count_nl_bs(buf)
    nl = np.empty(n_nl, np.int64)
    _newlines(buf, nl)
    nmax = n_nl + n_bs + 2
    cm = np.empty(8, np.int64)
    r_line = np.empty(nmax, np.int64)
    r_start = np.empty(nmax, np.int64)
    r_end = np.empty(nmax, np.int64)
    r_status = np.empty(nmax, np.int8)
    # the per-record fields below are written for every ST_AIS record (the only ones read later)
    r_pay_a = np.empty(nmax, np.int64)
    r_pay_b = np.empty(nmax, np.int64)
    r_fill = np.empty(nmax, np.int8)
    r_total = np.empty(nmax, np.int8)
    r_num = np.empty(nmax, np.int8)
    r_seq = np.empty(nmax, np.int8)
    r_chan = np.empty(nmax, np.uint8)
    r_gid = np.empty(nmax, np.int64)
    r_gtotal = np.empty(nmax, np.int8)
    r_gnum = np.empty(nmax, np.int8)
    r_time = np.empty(nmax, np.int64)
    r_station = np.empty(nmax, np.int32)
    st_first_a = np.empty(nmax, np.int64)
    st_first_b = np.empty(nmax, np.int64)
    # station ids: an open-addressing hash table (hash -> id), far cheaper than a typed dict
    tsize = 64
    while tsize < n_bs + 16:
        tsize *= 2
    h_keys = np.zeros(tsize, np.int64)  # 0: empty slot (stored hashes are odd)
    h_vals = np.empty(tsize, np.int64)
    nstations = 0

    fs = np.empty(7, np.int64)
    fe = np.empty(7, np.int64)
    vals = np.full(8, -1, np.int64)
    pending_time = pending_time_in  # from a $PGHP line or a lone tag block
    pending_station = -1
    nrec = 0
    line = 0
    pos = 0
    while pos < n:
        # one line: [pos, eol)
        eol = nl[line] if line < nl.shape[0] else n
        a = pos
        b = eol
        while a < b and _is_space(buf[a]):
            a += 1
        while b > a and _is_space(buf[b - 1]):
            b -= 1
        if a == b or buf[a] == 35:  # blank or '#' comment
            r_line[nrec] = line
            r_start[nrec] = pos
            r_end[nrec] = eol
            r_status[nrec] = ST_EMPTY
            nrec += 1
        else:
            p = a
            while p < b:
                # ---- one record starting at p
                rec = nrec
                nrec += 1
                r_line[rec] = line
                r_start[rec] = p
                r_end[rec] = b
                r_gid[rec] = -1
                r_gtotal[rec] = 0
                r_gnum[rec] = 0
                status = ST_AIS
                tag_time = NO_TIME
                tag_station = -1
                tag_only = False
                if buf[p] == _BS:
                    # one pass: checksum up to '*' (or the closing backslash), then the closing
                    # backslash, normally right after the two hex digits
                    star = -1
                    x = np.uint8(0)
                    q = p + 1
                    while q < b:
                        c = buf[q]
                        if c == 42:
                            star = q
                            break
                        if c == _BS:
                            break
                        x ^= c
                        q += 1
                    if star >= 0:
                        q = star + 3 if star + 3 < b and buf[star + 3] == _BS else star + 1
                        while q < b and buf[q] != _BS:
                            q += 1
                    if q >= b:
                        status = ST_TAG_BLOCK
                    else:
                        # tag block content [p+1, q)
                        cend = q if star < 0 else star
                        if star < 0:
                            if not accept_bad_checksum:
                                status = ST_TAG_BLOCK
                        else:
                            ok = q - star == 3
                            if ok:
                                h1 = _hexval(buf[star + 1])
                                h2 = _hexval(buf[star + 2])
                                ok = h1 >= 0 and h2 >= 0 and h1 * 16 + h2 == x
                            if not ok and not accept_bad_checksum:
                                status = ST_TAG_BLOCK
                        # fields k:v separated by ','
                        f = p + 1
                        while f < cend and status == ST_AIS:
                            g = f
                            while g < cend and buf[g] != 44:
                                g += 1
                            if g - f >= 2 and buf[f + 1] == 58:
                                k = buf[f]
                                if k == 99:  # c: time
                                    v = _parse_uint(buf, f + 2, g)
                                    if v < 0 or _epoch_to_us(v) >= _MAX_US:
                                        status = ST_TAG_BLOCK
                                    else:
                                        tag_time = _epoch_to_us(v)
                                elif k == 115:  # s: station
                                    h = _station_hash(buf, f + 2, g)
                                    h |= 1
                                    slot = h & (tsize - 1)
                                    while h_keys[slot] != 0 and h_keys[slot] != h:
                                        slot = (slot + 1) & (tsize - 1)
                                    if h_keys[slot] == h:
                                        tag_station = h_vals[slot]
                                    else:
                                        h_keys[slot] = h
                                        h_vals[slot] = nstations
                                        st_first_a[nstations] = f + 2
                                        st_first_b[nstations] = g
                                        tag_station = nstations
                                        nstations += 1
                                elif k == 103:  # g: num-total-id
                                    d1 = f + 2
                                    while d1 < g and buf[d1] != 45:
                                        d1 += 1
                                    d2 = d1 + 1
                                    while d2 < g and buf[d2] != 45:
                                        d2 += 1
                                    gn = _parse_uint(buf, f + 2, d1)
                                    gt = _parse_uint(buf, d1 + 1, d2)
                                    gi = _parse_uint(buf, d2 + 1, g)
                                    if gn < 1 or gt < 1 or gn > gt or gt > 9 or gi < 0:
                                        status = ST_TAG_BLOCK
                                    else:
                                        r_gnum[rec] = gn
                                        r_gtotal[rec] = gt
                                        r_gid[rec] = gi
                            f = g + 1
                        p = q + 1
                        if p >= b and status == ST_AIS:
                            tag_only = True
                if status != ST_AIS:
                    # give up on the rest of the line
                    r_status[rec] = status
                    break
                if tag_only:
                    r_status[rec] = ST_FRAMING_OK
                    if tag_time != NO_TIME:
                        pending_time = tag_time
                    if tag_station >= 0:
                        pending_station = tag_station
                    break
                # ---- the sentence at p
                c0 = buf[p]
                # record ends at b or at the next backslash after the checksum
                star = -1
                x = np.uint8(0)
                ncomma = 0
                for i in range(p + 1, b):
                    c = buf[i]
                    if c == 42:
                        star = i
                        break
                    x ^= c
                    if c == 44:
                        if ncomma < 8:
                            cm[ncomma] = i
                        ncomma += 1
                rend = b
                scan_from = p if star < 0 else star
                for i in range(scan_from, b):
                    if buf[i] == _BS:
                        rend = i
                        break
                r_end[rec] = rend
                if c0 != 33 and c0 != 36:
                    r_status[rec] = ST_NOT_AIS
                    break
                if c0 == 36:
                    if not (
                        rend - p >= 6
                        and buf[p + 1] == 80
                        and buf[p + 2] == 71
                        and buf[p + 3] == 72
                        and buf[p + 4] == 80
                        and buf[p + 5] == 44
                    ):
                        r_status[rec] = ST_NOT_AIS
                        p = rend
                        continue
                    ok = star >= 0 and star + 2 < rend
                    if ok:
                        h1 = _hexval(buf[star + 1])
                        h2 = _hexval(buf[star + 2])
                        ok = h1 >= 0 and h2 >= 0 and h1 * 16 + h2 == x
                    if not ok and not accept_bad_checksum:
                        r_status[rec] = ST_CHECKSUM
                        p = rend
                        continue
                    # $PGHP,1,yyyy,mm,dd,hh,mi,ss,ms,...
                    vals[:] = -1
                    f = p + 6
                    fend = star if star >= 0 else rend
                    for kk in range(8):
                        g = f
                        while g < fend and buf[g] != 44:
                            g += 1
                        vals[kk] = _parse_uint(buf, f, g)
                        f = g + 1
                        if g >= fend:
                            break
                    y, mo, d, hh, mi, ss, ms = (
                        vals[1],
                        vals[2],
                        vals[3],
                        vals[4],
                        vals[5],
                        vals[6],
                        vals[7],
                    )
                    if (
                        y < 1970
                        or y > 2099
                        or mo < 1
                        or mo > 12
                        or d < 1
                        or d > 31
                        or hh < 0
                        or hh > 23
                        or mi < 0
                        or mi > 59
                        or ss < 0
                        or ss > 60
                    ):
                        r_status[rec] = ST_FRAMING
                    else:
                        if ms < 0:
                            ms = 0
                        days = _days_from_civil(y, mo, d)
                        pending_time = (
                            ((days * 24 + hh) * 60 + mi) * 60 + ss
                        ) * 1_000_000 + ms * 1000
                        r_status[rec] = ST_FRAMING_OK
                    p = rend
                    continue
                # '!' sentence: talker(2) + VDM/VDO + ','
                if not (
                    rend - p >= 7
                    and buf[p + 3] == 86
                    and buf[p + 4] == 68
                    and (buf[p + 5] == 77 or buf[p + 5] == 79)
                    and buf[p + 6] == 44
                ):
                    r_status[rec] = ST_NOT_AIS
                    p = rend
                    continue
                fend = rend
                if star >= 0:
                    fend = star
                    ok = star + 3 <= rend
                    if ok:
                        h1 = _hexval(buf[star + 1])
                        h2 = _hexval(buf[star + 2])
                        ok = h1 >= 0 and h2 >= 0 and h1 * 16 + h2 == x
                    if not ok and not accept_bad_checksum:
                        r_status[rec] = ST_CHECKSUM
                        p = rend
                        continue
                elif not accept_bad_checksum:
                    r_status[rec] = ST_CHECKSUM
                    p = rend
                    continue
                # six fields: total, num, seq, chan, payload, fill
                nf = 0
                f = p + 7
                if star >= 0:  # the commas were found during the checksum pass
                    if ncomma == 6:
                        nf = 6
                        for k in range(6):
                            fs[k] = cm[k] + 1
                            fe[k] = cm[k + 1] if k < 5 else star
                    nf_done = True
                else:
                    nf_done = False
                while not nf_done and nf < 7:
                    g = f
                    while g < fend and buf[g] != 44:
                        g += 1
                    fs[nf] = f
                    fe[nf] = g
                    nf += 1
                    if g >= fend:
                        break
                    f = g + 1
                if nf != 6:
                    r_status[rec] = ST_FRAMING
                    p = rend
                    continue
                total = _parse_uint(buf, fs[0], fe[0])
                num = _parse_uint(buf, fs[1], fe[1])
                seq = -2
                if fe[2] == fs[2]:
                    seq = -1
                elif fe[2] - fs[2] == 1:
                    seq = _parse_uint(buf, fs[2], fe[2])
                fill = _parse_uint(buf, fs[5], fe[5])
                if fe[5] == fs[5]:
                    fill = 0
                if (
                    total < 1
                    or total > 9
                    or num < 1
                    or num > total
                    or seq < -1
                    or fe[3] - fs[3] > 1
                    or fill < 0
                    or fill > 5
                ):
                    r_status[rec] = ST_FRAMING
                    p = rend
                    continue
                r_total[rec] = total
                r_num[rec] = num
                r_seq[rec] = seq
                r_chan[rec] = buf[fs[3]] if fe[3] > fs[3] else 0
                r_pay_a[rec] = fs[4]
                r_pay_b[rec] = fe[4]
                r_fill[rec] = fill
                # trailing receiver time: last ',' field after the checksum, all digits
                rx_time = NO_TIME
                if star >= 0 and star + 3 < rend and buf[star + 3] == 44:
                    e = rend
                    while e > star + 3 and _is_space(buf[e - 1]):
                        e -= 1
                    s = e
                    while s > star + 3 and buf[s - 1] != 44:
                        s -= 1
                    if 9 <= e - s <= 13:
                        v = _parse_uint(buf, s, e)
                        if v > 0 and _epoch_to_us(v) < _MAX_US:
                            rx_time = _epoch_to_us(v)
                if tag_time != NO_TIME:
                    r_time[rec] = tag_time
                elif pending_time != NO_TIME:
                    r_time[rec] = pending_time
                else:
                    r_time[rec] = rx_time
                r_station[rec] = tag_station if tag_station >= 0 else pending_station
                if num == total:
                    pending_time = NO_TIME
                    pending_station = -1
                r_status[rec] = ST_AIS
                p = rend
        pos = eol + 1
        line += 1
    return (
        nrec,
        r_line,
        r_start,
        r_end,
        r_status,
        r_pay_a,
        r_pay_b,
        r_fill,
        r_total,
        r_num,
        r_seq,
        r_chan,
        r_gid,
        r_gtotal,
        r_gnum,
        r_time,
        r_station,
        st_first_a[:nstations],
        st_first_b[:nstations],
        line,
        pending_time,
    )
