"""Numba kernels over arrays sorted by vessel and time (no per-row Python)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from seawatch._units import KN_TO_MPS, M_PER_DEG
from seawatch.geo import hav_m

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


@njit(cache=True, nogil=True)
def segment_kernel(
    mmsi: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    sog_kn: F64,
    max_gap_us: int,
    max_speed_mps: float,
    jitter_m: float,
    max_active: int,
    spread_m: float,
    spread_mps: float,
) -> I64:
    """Ordinal segment (per vessel, in order of creation) of each point.

    Each point joins, among the open segments of its vessel that can reach it plausibly
    (distance <= jitter_m + max_speed * dt), the one it fits best: the least
    ``0.5 * (d / s)**2 + 2 * ln(s)``, where ``d`` is its distance from the segment's last
    point and ``s = spread_m + (v + spread_mps) * dt`` how far the vessel could have gone
    since at the speed ``v`` the point reports (``max_speed`` where it reports none): the
    log-likelihood of a spread that grows with the time elapsed. So a point goes to a near
    segment rather than a farther one of the same age, and to a segment updated seconds
    ago rather than one whose last point is hours old (which reaches almost anything).
    Ties go to the most recently updated. A point no open segment can reach opens a new
    one; segments idle for more than ``max_gap_us`` close; at most ``max_active`` stay
    open (the least recently updated is closed first).
    """
    n = len(ts)
    seg = np.empty(n, np.int64)
    last = np.empty(max_active, np.int64)
    ident = np.empty(max_active, np.int64)
    n_act = 0
    next_id = 0
    for i in range(n):
        if i == 0 or mmsi[i] != mmsi[i - 1]:
            n_act = 0
            next_id = 0
        # close idle segments (keep slot order stable)
        k = 0
        w = 0
        while k < n_act:
            if ts[i] - ts[last[k]] <= max_gap_us:
                last[w] = last[k]
                ident[w] = ident[k]
                w += 1
            k += 1
        n_act = w
        best = -1
        best_cost = math.inf
        v = max_speed_mps if math.isnan(sog_kn[i]) else min(max_speed_mps, sog_kn[i] * KN_TO_MPS)
        for k in range(n_act):
            j = last[k]
            dt_s = (ts[i] - ts[j]) / 1e6
            d = hav_m(lat[j], lon[j], lat[i], lon[i])
            reach = jitter_m + max_speed_mps * dt_s
            if d <= reach:
                spread = spread_m + (v + spread_mps) * dt_s
                cost = 0.5 * (d / spread) ** 2 + 2.0 * math.log(spread)
                better = False
                if best < 0 or cost < best_cost:
                    better = True
                elif cost == best_cost:
                    jb = last[best]
                    if ts[j] > ts[jb] or (ts[j] == ts[jb] and ident[k] < ident[best]):
                        better = True
                if better:
                    best = k
                    best_cost = cost
        if best >= 0:
            seg[i] = ident[best]
            last[best] = i
            continue
        if n_act == max_active:
            oldest = 0
            for k in range(1, n_act):
                if ts[last[k]] < ts[last[oldest]]:
                    oldest = k
            for k in range(oldest, n_act - 1):
                last[k] = last[k + 1]
                ident[k] = ident[k + 1]
            n_act -= 1
        last[n_act] = i
        ident[n_act] = next_id
        seg[i] = next_id
        n_act += 1
        next_id += 1
    return seg


@njit(cache=True, nogil=True)
def _floor_div(a: int, b: int) -> int:
    q = a // b
    return q


@njit(cache=True, nogil=True)
def _still(i: int, lat: F64, lon: F64, sog: F64, gap_us: int, still_kn: float) -> bool:
    """True when the vessel stayed put between points ``i`` and ``i + 1``: neither reported
    ``still_kn`` or more, and it moved less than that over the gap."""
    if not (math.isnan(sog[i]) or sog[i] < still_kn):
        return False
    if not (math.isnan(sog[i + 1]) or sog[i + 1] < still_kn):
        return False
    moved_m = hav_m(lat[i], lon[i], lat[i + 1], lon[i + 1])
    return moved_m < still_kn * KN_TO_MPS * (gap_us / 1e6)


@njit(cache=True, nogil=True)
def resample_kernel(
    bounds: I64,
    ts: I64,
    lat: F64,
    lon: F64,
    sog: F64,
    slot_us: int,
    max_gap_us: int,
    still_gap_us: int,
    still_kn: float,
    fill: bool,
    n_out: int,
) -> tuple[I64, I64, F64, F64, F64, npt.NDArray[np.bool_]]:
    """Slots on the fixed UTC grid (multiples of ``slot_us`` since the epoch).

    ``bounds`` delimits runs of rows (one segment each) sorted by time. A grid time g
    gets a slot when it lies between two consecutive points less than ``max_gap_us``
    apart, or less than ``still_gap_us`` apart when the vessel was still across the gap
    (both points' reported speeds, where present, and the net displacement over the gap
    below ``still_kn``): linear interpolation; or when a point lies within half a slot of
    g (that point). ``interpolated`` is True when no point of the run lies within half a
    slot. Called twice: ``fill=False`` counts, ``fill=True`` writes ``n_out`` slots.
    """
    half = slot_us // 2
    o_row = np.empty(n_out, np.int64)
    o_slot = np.empty(n_out, np.int64)
    o_lat = np.empty(n_out, np.float64)
    o_lon = np.empty(n_out, np.float64)
    o_sog = np.empty(n_out, np.float64)
    o_int = np.empty(n_out, np.bool_)
    count = 0
    for s in range(len(bounds) - 1):
        a = bounds[s]
        b = bounds[s + 1]
        if b <= a:
            continue
        g = (_floor_div(ts[a] - half, slot_us) + 1) * slot_us  # first g with g + half > ts[a]
        last_t = ts[b - 1]
        i = a  # last index with ts[i] <= g (or a when g < ts[a])
        while g <= last_t + half:
            while i + 1 < b and ts[i + 1] <= g:
                i += 1
            near = -1
            nd = slot_us
            can_interp = False
            if ts[i] <= g:
                if g - ts[i] <= half:
                    near = i
                    nd = g - ts[i]
                if i + 1 < b:
                    if ts[i + 1] - g < half and ts[i + 1] - g < nd:
                        near = i + 1
                    gap = ts[i + 1] - ts[i]
                    can_interp = gap < max_gap_us or (
                        gap < still_gap_us and _still(i, lat, lon, sog, gap, still_kn)
                    )
            elif ts[i] - g < half:
                near = i
            if can_interp:
                dt = ts[i + 1] - ts[i]
                f = 0.0 if dt == 0 else (g - ts[i]) / dt
                la = lat[i] + f * (lat[i + 1] - lat[i])
                dl = lon[i + 1] - lon[i]
                if dl > 180.0:
                    dl -= 360.0
                elif dl < -180.0:
                    dl += 360.0
                lo = lon[i] + f * dl
                if lo >= 180.0:
                    lo -= 360.0
                elif lo < -180.0:
                    lo += 360.0
                s0 = sog[i]
                s1 = sog[i + 1]
                if not math.isnan(s0) and not math.isnan(s1):
                    sp = s0 + f * (s1 - s0)
                elif not math.isnan(s0):
                    sp = s0
                elif not math.isnan(s1):
                    sp = s1
                elif dt > 0:
                    sp = hav_m(lat[i], lon[i], lat[i + 1], lon[i + 1]) / (dt / 1e6) / KN_TO_MPS
                else:
                    sp = math.nan
                if fill:
                    o_row[count] = s
                    o_slot[count] = g
                    o_lat[count] = la
                    o_lon[count] = lo
                    o_sog[count] = sp
                    o_int[count] = near < 0
                count += 1
            elif near >= 0:
                if fill:
                    o_row[count] = s
                    o_slot[count] = g
                    o_lat[count] = lat[near]
                    o_lon[count] = lon[near]
                    o_sog[count] = sog[near]
                    o_int[count] = False
                count += 1
            elif ts[i] <= g and i + 1 < b:
                # inside a long gap: jump to the first grid time near the next point
                nxt = (_floor_div(ts[i + 1] - half, slot_us) + 1) * slot_us
                g = max(g + slot_us, nxt)
                continue
            g += slot_us
    if not fill:
        o_row = np.empty(count, np.int64)
    return o_row, o_slot, o_lat, o_lon, o_sog, o_int


@njit(cache=True, nogil=True)
def _jump(lat: F64, lon: F64, ts_us: I64, a: int, b: int, jump_m: float, max_mps: float) -> bool:
    """Whether row ``b`` lies farther than ``jump_m`` from row ``a`` and farther than
    ``max_mps`` could take a vessel in the time between. The haversine only where a cheap
    upper bound of it (the degrees of latitude plus those of longitude) says it may be."""
    reach: float = max(jump_m, max_mps * (ts_us[b] - ts_us[a]) / 1e6)
    if (abs(lat[b] - lat[a]) + abs(lon[b] - lon[a])) * M_PER_DEG <= reach:
        return False
    d: float = hav_m(lat[a], lon[a], lat[b], lon[b])
    return d > reach


@njit(cache=True, nogil=True)
def _same_keys(keys: F64, i: int, j: int) -> bool:
    """Whether rows ``i`` and ``j`` have the same ``keys`` (NaN equals NaN)."""
    for k in range(keys.shape[1]):
        a, b = keys[j, k], keys[i, k]
        if not (a == b or (math.isnan(a) and math.isnan(b))):
            return False
    return True


@njit(cache=True, nogil=True)
def relay_copies(
    mmsi: I64,
    ts_us: I64,
    lat: F64,
    lon: F64,
    sog_kn: F64,
    keys: F64,
    window_us: int,
    jump_m: float,
    max_speed_kn: float,
    path_m: float,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Rows (sorted by vessel and time) that are copies of an earlier report relayed late,
    and the rows that jumped but were kept (for :func:`repeats_of_moving`).

    A row is a candidate when it jumps from the vessel's last kept row, or to its next row,
    farther than ``jump_m`` and faster than ``max_speed_kn`` (the jump that would open a
    second segment). It is a copy when it repeats an *original* of the ``window_us``
    before it, and the vessel has since been seen elsewhere: a kept row after the original
    (and at most ``window_us`` after the candidate) that the original could reach at the
    speed it reported (:data:`MOVED_ON_SLACK_KN` more, at most ``max_speed_kn``; the
    original's speed unknown: ``max_speed_kn``) and that the candidate jumps from or to.
    The original is either a kept row with the same position and the same ``keys`` (a row
    each; NaN equals NaN), or (``path_m`` > 0, for a candidate that jumps both ways) a
    point within ``path_m`` of the straight piece between two consecutive kept rows the
    vessel could sail (the copy of a report whose original was lost; the piece's later row
    stands for it). A copy of the vessel's last report is a copy too when the vessel's
    next report shows it had moved on (its own report of that time lost). A moored
    vessel's repeated reports stay, and so do a vessel's reports right after one wild row,
    and those of a second transmitter sharing the MMSI that stays put: nothing shows their
    originals' vessel elsewhere."""
    n = len(mmsi)
    out = np.zeros(n, np.bool_)
    odd = np.zeros(n, np.bool_)  # kept rows that jump: no piece of the path starts or ends there
    max_mps = max_speed_kn * KN_TO_MPS
    last = -1
    for i in range(n):
        if i == 0 or mmsi[i] != mmsi[i - 1]:
            last = i
            continue
        jump_in = _jump(lat, lon, ts_us, last, i, jump_m, max_mps)
        jump_out = i + 1 < n and mmsi[i + 1] == mmsi[i]  # or a jump out of it
        jump_out = jump_out and _jump(lat, lon, ts_us, i, i + 1, jump_m, max_mps)
        if not (jump_in or jump_out):
            last = i
            continue
        j = i - 1
        found = False
        while not found and j >= 0 and mmsi[j] == mmsi[i] and ts_us[i] - ts_us[j] <= window_us:
            if not out[j] and lat[j] == lat[i] and lon[j] == lon[i] and _same_keys(keys, i, j):
                found = _moved_on(
                    lat, lon, ts_us, mmsi, sog_kn, out, j, i, window_us, jump_m, max_mps
                )
            j -= 1
        if not found and path_m > 0.0 and jump_in and jump_out:
            found = _on_recent_path(
                lat, lon, ts_us, mmsi, sog_kn, out, odd, i, window_us, path_m, jump_m, max_mps
            )
        if found:
            out[i] = True
        else:
            odd[i] = True
            last = i
    return out, odd


@njit(cache=True, nogil=True)
def repeats_of_moving(
    mmsi: I64,
    ts_us: I64,
    lat: F64,
    lon: F64,
    sog_kn: F64,
    keys: F64,
    rows: I64,
    jumped: npt.NDArray[np.bool_],
    order: I64,
    sorted_hash: I64,
    row_hash: I64,
    window_us: int,
    moving_kn: float,
    after_us: int,
    jump_m: float,
    max_speed_kn: float,
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` repeat exactly (position and ``keys``) an earlier row of their
    vessel at most ``window_us`` before them, where the original reported at least
    ``moving_kn`` (a moving vessel never reports the same position twice: whether the
    repeat jumps or not, as the copies relayed after the vessel's last own report do not)
    or, for a row that ``jumped``, the vessel has been seen elsewhere since
    (:func:`_moved_on`, with rows up to ``after_us`` after the repeat; the most recent
    exact repeat decides): a copy however late.
    ``row_hash`` is a hash of each row's vessel and position, ``order`` the rows sorted by
    it (ties in row order) and ``sorted_hash`` the hashes in that order."""
    out = np.zeros(len(rows), np.bool_)
    kept = np.zeros(len(mmsi), np.bool_)  # "dropped" for _moved_on: none of these rows
    max_mps = max_speed_kn * KN_TO_MPS
    for c in range(len(rows)):
        i = rows[c]
        # the most recent earlier row with the same hash first; the first exact repeat
        # decides (a second transmitter's repeat of its own last report is not a copy)
        lo = np.searchsorted(sorted_hash, row_hash[i], side="left")
        hi = np.searchsorted(sorted_hash, row_hash[i], side="right")
        k = lo + np.searchsorted(order[lo:hi], i) - 1  # rows of one hash in row order
        while k >= lo:
            j = order[k]
            k -= 1
            if mmsi[j] != mmsi[i] or lat[j] != lat[i] or lon[j] != lon[i]:
                continue
            if ts_us[i] - ts_us[j] > window_us:
                break
            if not _same_keys(keys, i, j):
                continue
            out[c] = sog_kn[j] >= moving_kn or (
                jumped[c]
                and _moved_on(lat, lon, ts_us, mmsi, sog_kn, kept, j, i, after_us, jump_m, max_mps)
            )
            break
    return out


MOVED_ON_SLACK_KN = 10.0
"""How much faster than it reported a vessel is taken to sail when :func:`relay_copies`
asks whether it has been seen elsewhere since a report."""


@njit(cache=True, nogil=True)
def _moved_on(
    lat: F64,
    lon: F64,
    ts_us: I64,
    mmsi: I64,
    sog_kn: F64,
    dropped: npt.NDArray[np.bool_],
    origin: int,
    i: int,
    after_us: int,
    jump_m: float,
    max_mps: float,
) -> bool:
    """Whether a row after ``origin`` (not dropped, not ``i``, at most ``after_us`` after
    row ``i``) is within reach of ``origin`` at the speed it reported (see
    :func:`relay_copies`) while row ``i`` jumps from it or to it."""
    v = sog_kn[origin]
    mps = max_mps if math.isnan(v) else min(max_mps, (v + MOVED_ON_SLACK_KN) * KN_TO_MPS)
    r = origin + 1
    while r < len(mmsi) and mmsi[r] == mmsi[i] and ts_us[r] - ts_us[i] <= after_us:
        if r != i and not dropped[r] and not _jump(lat, lon, ts_us, origin, r, jump_m, mps):
            if r < i:
                if _jump(lat, lon, ts_us, r, i, jump_m, max_mps):
                    return True
            elif _jump(lat, lon, ts_us, i, r, jump_m, max_mps):
                return True
        r += 1
    return False


@njit(cache=True, nogil=True)
def _on_recent_path(
    lat: F64,
    lon: F64,
    ts_us: I64,
    mmsi: I64,
    sog_kn: F64,
    dropped: npt.NDArray[np.bool_],
    odd: npt.NDArray[np.bool_],
    i: int,
    window_us: int,
    path_m: float,
    jump_m: float,
    max_mps: float,
) -> bool:
    """Whether row ``i`` lies within ``path_m`` of a straight piece between two consecutive
    kept rows of its vessel from the ``window_us`` before it, a piece a vessel could sail
    (not itself a jump, nor from or to a row that jumped: another transmitter's report is
    not the vessel's path; metres on the plane tangent at row ``i``, exact enough over the
    few kilometres between two reports), whose track moved on (:func:`_moved_on`)."""
    kx = M_PER_DEG * math.cos(math.radians(lat[i]))
    ky = M_PER_DEG
    b = -1
    j = i - 1
    while j >= 0 and mmsi[j] == mmsi[i] and ts_us[i] - ts_us[j] <= window_us:
        if dropped[j]:
            j -= 1
            continue
        if b >= 0 and not (odd[j] or odd[b]) and not _jump(lat, lon, ts_us, j, b, jump_m, max_mps):
            dlon_a = lon[j] - lon[i]
            dlon_b = lon[b] - lon[i]
            # across the antimeridian: the nearer way round
            dlon_a -= 360.0 * round(dlon_a / 360.0)
            dlon_b -= 360.0 * round(dlon_b / 360.0)
            ax = dlon_a * kx
            ay = (lat[j] - lat[i]) * ky
            bx = dlon_b * kx
            by = (lat[b] - lat[i]) * ky
            dx = bx - ax
            dy = by - ay
            seg2 = dx * dx + dy * dy
            u = 0.0 if seg2 == 0.0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / seg2))
            px = ax + u * dx
            py = ay + u * dy
            if px * px + py * py <= path_m * path_m and _moved_on(
                lat, lon, ts_us, mmsi, sog_kn, dropped, b, i, window_us, jump_m, max_mps
            ):
                return True
        b = j
        j -= 1
    return False
