"""From a :class:`Scenario` to files: NMEA with tag blocks, a NOAA-style CSV, truth.json.

Steps: sample each vessel's true track at its report times (integer seconds, with a
small random phase), drop the reports in ``silent`` windows (the truth: nothing sent),
drop received reports with ``noise.drop_prob``, add GPS jitter, put the broadcast position
of reports in ``spoof`` windows at the false point, encode positions (types 1/3 or 18) and
statics (type 5, or 24 A+B) as NMEA sentences with the identity broadcast at each time
(``identity`` changes; statics also go out at once when it changes), add duplicates heard
by other stations and corrupted lines, and sort everything by reception time. Both files
open with the simulated mark (:mod:`seawatch._simulated`), so the store knows them for
simulated data whoever ingests them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._simulated import marker_line
from seawatch._units import EARTH_RADIUS_M
from seawatch.sim._encode import (
    Payloads,
    encode_type5,
    encode_type18,
    encode_type24a,
    encode_type24b,
    encode_types123,
    nmea_checksums,
    sentences,
)
from seawatch.sim._scenario import Identity, Scenario, Truth, Vessel
from seawatch.sim._track import Track, rng_key, vessel_tracks

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

__all__ = ["NOAA_COLUMNS", "TRUE_POSITIONS", "SimulationResult", "simulate"]

NOAA_COLUMNS: tuple[str, ...] = (
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
)
"""Columns of the old MarineCadastre (NOAA) AIS CSV files."""

TRUE_POSITIONS = pa.schema(
    [
        pa.field("mmsi", pa.uint32(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("lat", pa.float64()),
        pa.field("lon", pa.float64()),
        pa.field("reported_lat", pa.float64()),
        pa.field("reported_lon", pa.float64()),
        pa.field("sog_kn", pa.float32()),
        pa.field("cog_deg", pa.float32()),
        pa.field("received", pa.bool_()),
    ]
)
"""Every report a vessel sent: true and reported (jittered) position, whether received."""

_ARMOUR = np.frombuffer(
    b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw", np.uint8
)


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What :func:`simulate` wrote: ``paths`` (``nmea``, ``csv``, ``truth``), the ground
    truth, the sent reports (:data:`TRUE_POSITIONS`) and counts."""

    paths: dict[str, Path]
    truth: Truth
    positions: pa.Table
    n_lines: int
    n_messages: int


@dataclass(slots=True)
class _Reports:
    mmsi: I64
    ident: I64  # index into the vessel's identities() of each report
    t_s: I64
    lat: F64
    lon: F64
    rlat: F64
    rlon: F64
    sog: F64
    cog: F64
    heading: F64
    status: I64
    received: npt.NDArray[np.bool_]


def _report_times(track: Track, rng: np.random.Generator) -> I64:
    """Integer report times (s): each leg sampled at its interval with a random phase."""
    chunks: list[I64] = []
    for t0, t1, _leg in track.segments:
        mid = np.array([(t0 + t1) / 2.0])
        interval = float(track.at(mid).interval_s[0]) if t1 > t0 else 60.0
        n = int(np.floor((t1 - t0) / interval)) + 1
        base = t0 + interval * np.arange(n)
        jit = rng.uniform(0.0, 0.2 * interval, n)
        t = np.floor(np.minimum(base + jit, t1)).astype(np.int64)
        chunks.append(t)
    if not chunks:
        return np.zeros(0, np.int64)
    return np.unique(np.concatenate(chunks))


def _identity_index(identities: tuple[Identity, ...], t_s: I64) -> I64:
    """Which identity each time broadcasts (index into ``Vessel.identities()``)."""
    starts = np.array([i.at_s for i in identities[1:]], np.float64)
    return np.searchsorted(starts, t_s.astype(np.float64), side="right").astype(np.int64)


def _reports(vessel: Vessel, track: Track, scenario: Scenario, key: list[int]) -> _Reports:
    rng = np.random.default_rng(key)
    t = _report_times(track, rng)
    end_s = scenario.duration_h * 3600.0
    t = t[(t >= 0) & (t <= end_s)]
    for s in vessel.silent:
        t = t[(t < s.start_h * 3600.0) | (t >= s.end_h * 3600.0)]
    st = track.at(t.astype(np.float64))
    keep = ~np.isnan(st.lat)
    t = t[keep]
    n = len(t)
    lat, lon = st.lat[keep], st.lon[keep]
    jitter = scenario.noise.jitter_m
    if jitter > 0:
        dn = rng.normal(0.0, jitter, n)
        de = rng.normal(0.0, jitter, n)
        rlat = lat + np.degrees(dn / EARTH_RADIUS_M)
        rlon = lon + np.degrees(de / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    else:
        rlat, rlon = lat.copy(), lon.copy()
    # reported speed: the true speed with a little sensor noise, never negative
    sog = np.clip(st.sog_kn[keep] + rng.normal(0.0, 0.05, n), 0.0, None)
    cog = (st.cog_deg[keep] + rng.normal(0.0, 1.0, n)) % 360.0
    received = rng.random(n) >= scenario.noise.drop_prob
    for sp in vessel.spoof:
        # GNSS spoofing: the receiver reports the false point (with its usual jitter),
        # standing still; the true track (lat, lon) goes on
        w = (t >= sp.start_h * 3600.0) & (t < sp.end_h * 3600.0)
        rlat[w] = sp.lat + (rlat[w] - lat[w])
        rlon[w] = sp.lon + (rlon[w] - lon[w]) * np.cos(np.radians(lat[w])) / np.cos(
            np.radians(sp.lat)
        )
        sog[w] = 0.0
    ids = vessel.identities()
    ident = _identity_index(ids, t)
    return _Reports(
        mmsi=np.array([i.mmsi for i in ids], np.int64)[ident],
        ident=ident,
        t_s=t,
        lat=lat,
        lon=lon,
        rlat=rlat,
        rlon=rlon,
        sog=sog,
        cog=cog,
        heading=st.heading_deg[keep],
        status=st.nav_status[keep],
        received=received,
    )


def _static_times(vessel: Vessel, rep: _Reports) -> I64:
    """Static report times: every ``static_interval_s`` while the vessel is transmitting,
    and at each identity change (snapped to the next report time so statics are never sent
    inside a silence), one second after that report."""
    if len(rep.t_s) == 0:
        return np.zeros(0, np.int64)
    grid = np.arange(rep.t_s[0], rep.t_s[-1] + 1, vessel.static_interval_s)
    changes = np.array([c.at_h * 3600.0 for c in vessel.identity], np.float64)
    idx = np.searchsorted(rep.t_s, np.concatenate([grid, changes]))
    idx = idx[idx < len(rep.t_s)]
    return np.unique(rep.t_s[idx]) + 1


@dataclass(slots=True)
class _Msgs:
    t_s: list[I64]
    station: list[npt.NDArray[np.str_]]
    payloads: list[Payloads]


def simulate(
    scenario: Scenario,
    out_dir: str | Path,
    *,
    write_nmea: bool = True,
    write_csv: bool = True,
) -> SimulationResult:
    """Simulate ``scenario`` into ``out_dir`` (created): ``<name>.nmea``, ``<name>.csv``
    and ``truth.json``. Same scenario and seed give the same bytes."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tracks = vessel_tracks(scenario)
    rng = np.random.default_rng([scenario.seed, 2])
    start_unix = int(scenario.start.timestamp())
    stations = np.array(scenario.stations if scenario.stations else ("sim-1",))

    reps: list[_Reports] = []
    msgs = _Msgs([], [], [])
    for vi, vessel in enumerate(scenario.vessels):
        rep = _reports(vessel, tracks[vi], scenario, rng_key(scenario, vi, 1))
        reps.append(rep)
        vrng = np.random.default_rng(rng_key(scenario, vi, 3))
        primary = vessel.station if vessel.station is not None else str(vrng.choice(stations))
        r = rep.received
        n = int(r.sum())
        if n:
            tr = rep.t_s[r]
            if vessel.klass == "A":
                mtype = np.where(vrng.random(n) < 0.15, 3, 1)
                p = encode_types123(
                    mmsi=rep.mmsi[r],
                    lat=rep.rlat[r],
                    lon=rep.rlon[r],
                    sog_kn=rep.sog[r],
                    cog_deg=rep.cog[r],
                    heading_deg=rep.heading[r],
                    second=tr % 60,
                    msg_type=mtype,
                    nav_status=rep.status[r],
                )
            else:
                p = encode_type18(
                    mmsi=rep.mmsi[r],
                    lat=rep.rlat[r],
                    lon=rep.rlon[r],
                    sog_kn=rep.sog[r],
                    cog_deg=rep.cog[r],
                    heading_deg=rep.heading[r],
                    second=tr % 60,
                )
            msgs.t_s.append(tr)
            msgs.station.append(np.full(n, primary))
            msgs.payloads.append(p)
        ts = _static_times(vessel, rep)
        k = len(ts)
        if k:
            ids = vessel.identities()
            st = [ids[j] for j in _identity_index(ids, ts).tolist()]
            s_mmsi = np.array([i.mmsi for i in st], np.int64)
            if vessel.klass == "A":
                ps = [
                    encode_type5(
                        mmsi=s_mmsi,
                        imo=np.array([i.imo for i in st], np.int64),
                        callsign=[i.callsign for i in st],
                        name=[i.name for i in st],
                        ship_type=np.array([i.ship_type for i in st], np.int64),
                        length_m=vessel.length_m,
                        beam_m=vessel.beam_m,
                        draught_m=vessel.draught_m,
                        destination=[i.destination for i in st],
                    )
                ]
                times = [ts]
            else:
                ps = [
                    encode_type24a(mmsi=s_mmsi, name=[i.name for i in st]),
                    encode_type24b(
                        mmsi=s_mmsi,
                        ship_type=np.array([i.ship_type for i in st], np.int64),
                        callsign=[i.callsign for i in st],
                        length_m=vessel.length_m,
                        beam_m=vessel.beam_m,
                    ),
                ]
                times = [ts, ts + 1]
            for p, tt in zip(ps, times, strict=True):
                msgs.t_s.append(tt)
                msgs.station.append(np.full(k, primary))
                msgs.payloads.append(p)

    all_t = np.concatenate(msgs.t_s) if msgs.t_s else np.zeros(0, np.int64)
    all_sta = np.concatenate(msgs.station) if msgs.station else np.zeros(0, str)
    all_pay = Payloads(
        payload=np.concatenate([p.payload for p in msgs.payloads])
        if msgs.payloads
        else np.zeros(0, str),
        fill_bits=np.concatenate([p.fill_bits for p in msgs.payloads])
        if msgs.payloads
        else np.zeros(0, np.int64),
    )
    n_msg = len(all_t)
    channel = np.where(rng.random(n_msg) < 0.5, "A", "B")
    sents = sentences(all_pay, channel=channel, seq_id=np.arange(n_msg) % 10)

    # duplicates: the same sentences heard by another station a few seconds later
    noise = scenario.noise
    dup = rng.random(n_msg) < noise.duplicate_prob if len(stations) > 1 else np.zeros(n_msg, bool)
    lo, hi = noise.duplicate_delay_s
    delay = rng.integers(lo, hi + 1, n_msg)
    other = rng.integers(1, max(len(stations), 2), n_msg)

    # (time, order, tag-block body, sentence); tag checksums are computed in one batch
    lines: list[tuple[int, int, str, str]] = []
    group = 0
    station_index = {s: i for i, s in enumerate(stations.tolist())}

    def emit(i: int, t_unix: int, sta: str) -> None:
        nonlocal group
        parts = sents[i]
        if len(parts) == 1:
            lines.append((t_unix, len(lines), f"s:{sta},c:{t_unix}", parts[0]))
            return
        group = group % 9999 + 1
        for k, s in enumerate(parts):
            lines.append(
                (t_unix, len(lines), f"g:{k + 1}-{len(parts)}-{group},s:{sta},c:{t_unix}", s)
            )

    t_unix_all = (start_unix + all_t).tolist()
    sta_all = all_sta.tolist()
    for i in range(n_msg):
        emit(i, t_unix_all[i], sta_all[i])
        if dup[i]:
            j = (station_index.get(sta_all[i], 0) + int(other[i])) % len(stations)
            emit(i, t_unix_all[i] + int(delay[i]), str(stations[j]))

    lines.sort(key=lambda x: (x[0], x[1]))
    tag_sums = nmea_checksums([x[2] for x in lines]).tolist()
    text_lines = [f"\\{x[2]}*{c}\\{x[3]}" for x, c in zip(lines, tag_sums, strict=True)]
    corrupt = np.flatnonzero(rng.random(len(text_lines)) < noise.corrupt_prob)
    for li in corrupt:
        text_lines[li] = _corrupt(text_lines[li], rng)

    paths: dict[str, Path] = {}
    if write_nmea:
        p_nmea = out / f"{scenario.name}.nmea"
        mark = marker_line(scenario=scenario.name, seed=scenario.seed)
        p_nmea.write_bytes(("\r\n".join([mark, *text_lines]) + "\r\n").encode("ascii"))
        paths["nmea"] = p_nmea
    if write_csv:
        p_csv = out / f"{scenario.name}.csv"
        mark = marker_line(scenario=scenario.name, seed=scenario.seed)
        p_csv.write_text(mark + "\r\n" + _noaa_csv(scenario, reps), encoding="ascii", newline="")
        paths["csv"] = p_csv
    assert scenario.truth is not None
    p_truth = out / "truth.json"
    p_truth.write_text(scenario.truth.to_json(), encoding="utf-8")
    paths["truth"] = p_truth
    return SimulationResult(
        paths=paths,
        truth=scenario.truth,
        positions=_positions_table(scenario, reps),
        n_lines=len(text_lines),
        n_messages=n_msg,
    )


def _corrupt(line: str, rng: np.random.Generator) -> str:
    """Replace one payload character by another armouring character: the payload stays
    well-formed but the NMEA checksum no longer matches."""
    body_start = line.index("!")
    fields = line[body_start:].split(",")
    payload = fields[5]
    if not payload:
        return line
    k = int(rng.integers(0, len(payload)))
    current = ord(payload[k])
    choices = _ARMOUR[np.not_equal(_ARMOUR, current)]
    fields[5] = payload[:k] + chr(int(rng.choice(choices))) + payload[k + 1 :]
    return line[:body_start] + ",".join(fields)


def _positions_table(scenario: Scenario, reps: list[_Reports]) -> pa.Table:
    start_us = int(scenario.start.timestamp()) * 1_000_000
    cols: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in TRUE_POSITIONS.names}
    for r in reps:
        cols["mmsi"].append(r.mmsi.astype(np.uint32))
        cols["ts"].append(start_us + r.t_s * 1_000_000)
        cols["lat"].append(r.lat)
        cols["lon"].append(r.lon)
        cols["reported_lat"].append(r.rlat)
        cols["reported_lon"].append(r.rlon)
        cols["sog_kn"].append(r.sog.astype(np.float32))
        cols["cog_deg"].append(r.cog.astype(np.float32))
        cols["received"].append(r.received)
    arrays = [
        pa.array(np.concatenate(cols[f.name]) if cols[f.name] else [], type=f.type)
        for f in TRUE_POSITIONS
    ]
    return pa.Table.from_arrays(arrays, schema=TRUE_POSITIONS)


def _noaa_csv(scenario: Scenario, reps: list[_Reports]) -> str:
    """Received positions as old MarineCadastre rows (one per message, no duplicates)."""
    start = np.datetime64(int(scenario.start.timestamp()), "s")
    chunks: list[pa.Table] = []
    for vessel, r in zip(scenario.vessels, reps, strict=True):
        k = np.flatnonzero(r.received)
        n = len(k)
        if n == 0:
            continue

        def const(value: str, n: int = n) -> pa.Array:
            return pa.array([value.replace(",", " ")] * n, pa.string())

        def each(values: list[str], ident: I64 = r.ident[k]) -> pa.Array:
            # a value per row, from the identity each report was sent under
            table = pa.array([v.replace(",", " ") for v in values], pa.string())
            return pc.take(table, pa.array(ident))

        def num(x: F64, decimals: int) -> pa.Array:
            return pc.cast(pa.array(np.round(x, decimals)), pa.string())

        ids = vessel.identities()
        hd = r.heading[k]
        heading = np.where(np.isnan(hd), 511, np.rint(np.nan_to_num(hd)) % 360).astype(np.int64)
        status = const("") if vessel.klass == "B" else pc.cast(pa.array(r.status[k]), pa.string())
        times = np.datetime_as_string(start + r.t_s[k].astype("timedelta64[s]"), unit="s")
        cols = [
            each([str(i.mmsi) for i in ids]),
            pa.array(times.astype(object), pa.string()),
            num(r.rlat[k], 5),
            num(r.rlon[k], 5),
            num(r.sog[k], 1),
            num(r.cog[k], 1),
            pc.cast(pa.array(heading), pa.string()),
            each([i.name for i in ids]),
            each([f"IMO{i.imo:07d}" if i.imo else "" for i in ids]),
            each([i.callsign for i in ids]),
            each([str(i.ship_type) for i in ids]),
            status,
            const(f"{vessel.length_m:g}" if vessel.length_m else ""),
            const(f"{vessel.beam_m:g}" if vessel.beam_m else ""),
            const(f"{vessel.draught_m:g}" if vessel.draught_m else ""),
            each([str(i.ship_type) if vessel.klass == "A" else "" for i in ids]),
            const(vessel.klass),
        ]
        line = pc.binary_join_element_wise(*cols, ",")
        chunks.append(
            pa.table({"t": pa.array(r.t_s[k]), "mmsi": pa.array(r.mmsi[k]), "line": line})
        )
    header = ",".join(NOAA_COLUMNS) + "\n"
    if not chunks:
        return header
    table = pa.concat_tables(chunks).sort_by([("t", "ascending"), ("mmsi", "ascending")])
    return header + "\n".join(table.column("line").to_pylist()) + "\n"
