"""Ground-truth trajectories: each vessel's legs as a piecewise function of time.

Times are float seconds from the scenario start; positions in degrees, speeds in knots.
Everything is vectorised over the time array. Randomness (drift walks, swing phases)
comes from a generator seeded by ``(scenario seed, mmsi)`` (plus the clone's rank for a
vessel that shares another's MMSI), so a vessel's track does not depend on the other
vessels or on their order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from seawatch._exceptions import ParameterError
from seawatch._units import EARTH_RADIUS_M, KN_TO_MPS
from seawatch.geo import haversine_m
from seawatch.sim._scenario import Leg, Scenario, Vessel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


__all__ = [
    "State",
    "Track",
    "destination",
    "haversine_m",
    "initial_bearing_deg",
    "rng_key",
    "trajectories",
    "vessel_tracks",
]


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees 0..360."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return float(np.degrees(np.arctan2(y, x)) % 360.0)


def destination(
    lat: npt.ArrayLike, lon: npt.ArrayLike, bearing_deg: npt.ArrayLike, dist_m: npt.ArrayLike
) -> tuple[F64, F64]:
    """The point ``dist_m`` from ``lat``/``lon`` on the great circle of ``bearing_deg``."""
    p1 = np.radians(np.asarray(lat, dtype=np.float64))
    l1 = np.radians(np.asarray(lon, dtype=np.float64))
    b = np.radians(np.asarray(bearing_deg, dtype=np.float64))
    d = np.asarray(dist_m, dtype=np.float64) / EARTH_RADIUS_M
    p2 = np.arcsin(np.sin(p1) * np.cos(d) + np.cos(p1) * np.sin(d) * np.cos(b))
    l2 = l1 + np.arctan2(np.sin(b) * np.sin(d) * np.cos(p1), np.cos(d) - np.sin(p1) * np.sin(p2))
    lon2 = (np.degrees(l2) + 540.0) % 360.0 - 180.0
    return np.asarray(np.degrees(p2)), np.asarray(lon2)


@dataclass(frozen=True, slots=True)
class State:
    """True kinematic state at some times (NaN where the vessel does not exist)."""

    lat: F64
    lon: F64
    sog_kn: F64
    cog_deg: F64
    heading_deg: F64
    nav_status: I64
    interval_s: F64


@dataclass(frozen=True, slots=True)
class _Segment:
    t0: float
    t1: float
    leg: Leg
    lat0: float
    lon0: float
    # kind-specific precomputed values
    bearing_deg: float = 0.0
    speed_kn: float = 0.0
    dist_m: float = 0.0
    phase: float = 0.0
    grid_t: F64 | None = None
    grid_lat: F64 | None = None
    grid_lon: F64 | None = None
    grid_cog: F64 | None = None


class Track:
    """One vessel's true trajectory: :meth:`at` evaluates it at any times."""

    def __init__(self, vessel: Vessel, segments: list[_Segment], tracks: dict[int, Track]) -> None:
        self.vessel = vessel
        self._segments = segments
        self._tracks = tracks
        self.t_start = segments[0].t0
        self.t_end = segments[-1].t1

    @property
    def segments(self) -> list[tuple[float, float, Leg]]:
        """``(t0_s, t1_s, leg)`` of each leg."""
        return [(s.t0, s.t1, s.leg) for s in self._segments]

    def at(self, t_s: npt.ArrayLike) -> State:
        """The true state at ``t_s`` (seconds from the scenario start)."""
        t = np.asarray(t_s, dtype=np.float64)
        n = len(t)
        out = State(
            lat=np.full(n, np.nan),
            lon=np.full(n, np.nan),
            sog_kn=np.full(n, np.nan),
            cog_deg=np.full(n, np.nan),
            heading_deg=np.full(n, np.nan),
            nav_status=np.full(n, 15, dtype=np.int64),
            interval_s=np.full(n, np.nan),
        )
        starts = np.array([s.t0 for s in self._segments])
        idx = np.searchsorted(starts, t, side="right") - 1
        valid = (t >= self.t_start) & (t <= self.t_end)
        for k, seg in enumerate(self._segments):
            sel = np.flatnonzero(valid & (idx == k))
            if len(sel) == 0:
                continue
            self._eval(seg, t[sel], out, sel)
        return out

    def _eval(self, seg: _Segment, t: F64, out: State, sel: I64) -> None:
        leg = seg.leg
        v = self.vessel
        dt = t - seg.t0
        n = len(t)
        interval = leg.interval_s if leg.interval_s is not None else v.position_interval_s
        status = 0
        if leg.kind in ("course", "goto"):
            lat, lon = destination(
                seg.lat0, seg.lon0, seg.bearing_deg, seg.speed_kn * KN_TO_MPS * dt
            )
            sog = np.full(n, seg.speed_kn)
            cog = np.full(n, seg.bearing_deg)
            heading = cog
        elif leg.kind == "hold":
            period_s = 6 * 3600.0
            ang = seg.phase + 2 * np.pi * dt / period_s
            bearing = np.degrees(ang) % 360.0
            # the swing circle is centred on the leg's start, which lies on the circle
            c_lat, c_lon = destination(
                seg.lat0, seg.lon0, (np.degrees(seg.phase) + 180) % 360, leg.swing_m
            )
            lat, lon = destination(c_lat, c_lon, bearing, leg.swing_m)
            sog = np.full(n, leg.swing_m * 2 * np.pi / period_s / KN_TO_MPS)
            cog = (bearing + 90.0) % 360.0
            heading = (bearing + 180.0) % 360.0
            status = 1 if v.klass == "A" else 15
            if leg.interval_s is None:
                interval = v.at_rest_interval_s
        elif leg.kind == "drift":
            assert seg.grid_t is not None and seg.grid_lat is not None
            assert seg.grid_lon is not None and seg.grid_cog is not None
            lat = np.interp(t, seg.grid_t, seg.grid_lat)
            lon = np.interp(t, seg.grid_t, seg.grid_lon)
            k = np.clip(np.searchsorted(seg.grid_t, t, side="right") - 1, 0, len(seg.grid_cog) - 1)
            cog = seg.grid_cog[k]
            sog = np.full(n, seg.speed_kn)
            heading = cog
        else:  # follow
            assert leg.target is not None
            target = self._tracks[leg.target].at(t)
            lat, lon = destination(target.lat, target.lon, leg.bearing_deg, leg.distance_m)
            sog, cog, heading = target.sog_kn, target.cog_deg, target.heading_deg
            status = int(target.nav_status[0]) if n else 0
        if leg.nav_status is not None:
            status = leg.nav_status
        out.lat[sel] = lat
        out.lon[sel] = lon
        out.sog_kn[sel] = sog
        out.cog_deg[sel] = cog
        out.heading_deg[sel] = heading
        out.nav_status[sel] = status
        out.interval_s[sel] = interval


def _leg_end(leg: Leg, t0: float, where: str) -> float:
    if leg.until_h is not None:
        t1 = leg.until_h * 3600.0
    elif leg.duration_h is not None:
        t1 = t0 + leg.duration_h * 3600.0
    else:
        raise ParameterError(f"{where}: no duration")
    if t1 < t0:
        raise ParameterError(
            f"{where}: ends before it starts ({t1 / 3600:.2f} h < {t0 / 3600:.2f} h)"
        )
    return t1


def rng_key(scenario: Scenario, index: int, *extra: int) -> list[int]:
    """Seed of vessel ``index``'s random generators: ``[seed, mmsi, *extra]``, plus the
    clone's rank (1, 2, ...) for a vessel that shares an earlier vessel's MMSI."""
    v = scenario.vessels[index]
    rank = sum(1 for w in scenario.vessels[:index] if w.mmsi == v.mmsi)
    return [scenario.seed, v.mmsi, *extra] + ([1000 + rank] if rank else [])


def _build(vessel: Vessel, key: list[int], tracks: dict[int, Track]) -> Track:
    rng = np.random.default_rng(key)
    t = vessel.start_h * 3600.0
    lat, lon = vessel.lat, vessel.lon
    segments: list[_Segment] = []
    for i, leg in enumerate(vessel.legs):
        where = f"vessel {vessel.mmsi} leg {i + 1} ({leg.kind})"
        if leg.kind == "goto":
            assert leg.lat is not None and leg.lon is not None
            dist = float(
                haversine_m(
                    np.array([lat]), np.array([lon]), np.array([leg.lat]), np.array([leg.lon])
                )[0]
            )
            bearing = initial_bearing_deg(lat, lon, leg.lat, leg.lon)
            if leg.arrive_h is not None:
                t1 = leg.arrive_h * 3600.0
                if t1 <= t:
                    raise ParameterError(
                        f"{where}: arrive_h {leg.arrive_h} is not after the leg start"
                    )
                speed = dist / (t1 - t) / KN_TO_MPS
            else:
                assert leg.speed_kn is not None
                if leg.speed_kn <= 0:
                    raise ParameterError(f"{where}: speed_kn must be > 0")
                speed = leg.speed_kn
                t1 = t + dist / (speed * KN_TO_MPS)
            seg = _Segment(t, t1, leg, lat, lon, bearing_deg=bearing, speed_kn=speed, dist_m=dist)
            lat, lon = leg.lat, leg.lon
        elif leg.kind == "course":
            assert leg.heading_deg is not None and leg.speed_kn is not None
            t1 = _leg_end(leg, t, where)
            seg = _Segment(t, t1, leg, lat, lon, bearing_deg=leg.heading_deg, speed_kn=leg.speed_kn)
            e_lat, e_lon = destination(
                lat, lon, leg.heading_deg, leg.speed_kn * KN_TO_MPS * (t1 - t)
            )
            lat, lon = float(e_lat), float(e_lon)
        elif leg.kind == "hold":
            t1 = _leg_end(leg, t, where)
            seg = _Segment(t, t1, leg, lat, lon, phase=float(rng.uniform(0, 2 * np.pi)))
        elif leg.kind == "drift":
            t1 = _leg_end(leg, t, where)
            speed = leg.speed_kn if leg.speed_kn is not None else 0.5
            step_s = 600.0
            n_steps = max(1, int(np.ceil((t1 - t) / step_s)))
            grid_t = np.minimum(t + step_s * np.arange(n_steps + 1), t1)
            cog = (rng.uniform(0, 360) + np.cumsum(rng.normal(0.0, 25.0, n_steps))) % 360.0
            glat = np.empty(n_steps + 1)
            glon = np.empty(n_steps + 1)
            glat[0], glon[0] = lat, lon
            for k in range(n_steps):
                a, b = destination(
                    glat[k], glon[k], cog[k], speed * KN_TO_MPS * (grid_t[k + 1] - grid_t[k])
                )
                glat[k + 1], glon[k + 1] = float(a), float(b)
            seg = _Segment(
                t,
                t1,
                leg,
                lat,
                lon,
                speed_kn=speed,
                grid_t=grid_t,
                grid_lat=glat,
                grid_lon=glon,
                grid_cog=cog,
            )
            lat, lon = float(glat[-1]), float(glon[-1])
        else:  # follow
            t1 = _leg_end(leg, t, where)
            if leg.target not in tracks:
                raise ParameterError(f"{where}: target {leg.target} is not built yet")
            seg = _Segment(t, t1, leg, lat, lon)
            end = tracks[leg.target].at(np.array([t1]))
            if np.isnan(end.lat[0]):
                raise ParameterError(
                    f"{where}: target {leg.target} has no position at {t1 / 3600:.2f} h"
                )
            e_lat, e_lon = destination(end.lat[0], end.lon[0], leg.bearing_deg, leg.distance_m)
            lat, lon = float(e_lat), float(e_lon)
        segments.append(seg)
        t = seg.t1
    return Track(vessel, segments, tracks)


def vessel_tracks(scenario: Scenario) -> tuple[Track, ...]:
    """Every vessel's :class:`Track`, in the order of ``scenario.vessels``, built in the
    order that ``follow`` legs need (a ``follow`` target is an MMSI of one vessel)."""
    owner: dict[int, int] = {}
    for i, v in enumerate(scenario.vessels):
        for m in v.mmsis:
            owner.setdefault(m, i)
    deps: list[set[int]] = []
    for v in scenario.vessels:
        targets = {leg.target for leg in v.legs if leg.kind == "follow" and leg.target is not None}
        missing = targets - set(owner)
        if missing:
            raise ParameterError(f"vessel {v.mmsi} follows unknown vessel(s) {sorted(missing)}")
        deps.append({owner[m] for m in targets})
    built: dict[int, Track] = {}
    by_mmsi: dict[int, Track] = {}  # follow targets, under each MMSI of the target
    pending = list(range(len(scenario.vessels)))
    while pending:
        ready = [i for i in pending if deps[i] <= set(built) - {i} and i not in deps[i]]
        if not ready:
            cycle = [scenario.vessels[i].mmsi for i in pending]
            raise ParameterError(f"follow legs form a cycle among vessels {cycle}")
        for i in ready:
            tr = _build(scenario.vessels[i], rng_key(scenario, i), by_mmsi)
            built[i] = tr
            for m in scenario.vessels[i].mmsis:
                if owner[m] == i:
                    by_mmsi[m] = tr
        pending = [i for i in pending if i not in built]
    return tuple(built[i] for i in range(len(scenario.vessels)))


def trajectories(scenario: Scenario) -> dict[int, Track]:
    """Every vessel's :class:`Track` under each MMSI it broadcasts (a shared MMSI: the first
    vessel listed with it; :func:`vessel_tracks` has every vessel)."""
    out: dict[int, Track] = {}
    for v, tr in zip(scenario.vessels, vessel_tracks(scenario), strict=True):
        for m in v.mmsis:
            out.setdefault(m, tr)
    return out
