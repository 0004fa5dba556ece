"""Differential test: pyais encodes generated messages, seawatch decodes the same field values."""

from __future__ import annotations

from typing import Any

import pyais
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais.constants import ShipType

from seawatch.ais import decode_bytes

_ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/."


def _text(max_len: int) -> st.SearchStrategy[str]:
    head = st.sampled_from(_ALPHA)
    body = st.text(alphabet=_ALPHA + " ", max_size=max_len - 1)
    return st.one_of(st.just(""), st.builds(lambda h, b: (h + b).rstrip(), head, body))


mmsis = st.integers(min_value=1, max_value=999_999_999).filter(lambda m: m // 10_000_000 != 98)
lat_raw = st.one_of(st.integers(-54_000_000, 54_000_000), st.just(54_600_000))
lon_raw = st.one_of(st.integers(-108_000_000, 108_000_000), st.just(108_600_000))
speed_raw = st.one_of(st.integers(0, 1022), st.just(1023))
course_raw = st.one_of(st.integers(0, 3599), st.just(3600))
heading = st.one_of(st.integers(0, 359), st.just(511))
# pyais maps ship types outside its enum to 0 when encoding: draw the ones it knows
ship_types = st.sampled_from(sorted({v.value for v in ShipType}))
dims = st.tuples(st.integers(0, 511), st.integers(0, 511), st.integers(0, 63), st.integers(0, 63))


def _exp_pos(la: int, lo: int, div: float = 600000.0) -> tuple[float | None, float | None]:
    lat, lon = la / div, lo / div
    if abs(lat) > 90 or abs(lon) > 180:
        return None, None
    return lat, lon


def _exp_dims(d: tuple[int, int, int, int]) -> dict[str, float | None]:
    ln, bm = d[0] + d[1], d[2] + d[3]
    return {"length_m": float(ln) if ln else None, "beam_m": float(bm) if bm else None}


def _dims_fields(d: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(zip(("to_bow", "to_stern", "to_port", "to_starboard"), d, strict=True))


@st.composite
def messages(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """(pyais fields, expected position row subset, expected statics row subset or None)."""
    t = draw(st.sampled_from([1, 2, 3, 4, 5, 18, 19, 21, 24, 27]))
    mmsi = draw(mmsis)
    f: dict[str, Any] = {"msg_type": t, "mmsi": mmsi}
    pos: dict[str, Any] = {}
    stat: dict[str, Any] | None = None
    if t in (1, 2, 3, 4, 18, 19, 21):
        la, lo = draw(lat_raw), draw(lon_raw)
        f["lat"], f["lon"] = la / 600000.0, lo / 600000.0
        lat, lon = _exp_pos(la, lo)
        pos = {"lat": lat, "lon": lon}
    if t in (1, 2, 3, 18, 19):
        sp, co, hd = draw(speed_raw), draw(course_raw), draw(heading)
        f.update(speed=sp / 10, course=co / 10, heading=hd)
        pos.update(
            sog_kn=None if sp == 1023 else sp / 10,
            cog_deg=None if co == 3600 else co / 10,
            heading_deg=None if hd == 511 else hd,
        )
    if t in (1, 2, 3):
        status = draw(st.integers(0, 15))
        f["status"] = status
        pos["nav_status"] = status
    if t == 27:
        la, lo = draw(st.integers(-54000, 54000)), draw(st.integers(-108000, 108000))
        sp, co = draw(st.integers(0, 63)), draw(st.one_of(st.integers(0, 359), st.just(511)))
        status = draw(st.integers(0, 15))
        f.update(lat=la / 600, lon=lo / 600, speed=sp, course=co, status=status)
        lat, lon = _exp_pos(la, lo, 600.0)
        pos = {
            "lat": lat, "lon": lon, "sog_kn": None if sp == 63 else float(sp),
            "cog_deg": None if co == 511 else float(co), "nav_status": status,
        }  # fmt: skip
    if t == 5:
        d = draw(dims)
        name, call, dest = draw(_text(20)), draw(_text(7)), draw(_text(20))
        imo = draw(st.integers(0, 2**30 - 1))
        month, day = draw(st.integers(0, 12)), draw(st.integers(0, 31))
        hour, minute = draw(st.integers(0, 24)), draw(st.integers(0, 60))
        draught, ship_type = draw(st.integers(0, 255)), draw(ship_types)
        f.update(
            imo=imo, callsign=call, shipname=name, ship_type=ship_type, month=month, day=day,
            hour=hour, minute=minute, draught=draught / 10, destination=dest, **_dims_fields(d),
        )  # fmt: skip
        stat = {
            "imo": imo or None, "name": name or None, "callsign": call or None,
            "ship_type": ship_type, "draught_m": draught / 10 if draught else None,
            "destination": dest or None,
            "eta": f"{month:02d}-{day:02d}T{hour:02d}:{minute:02d}" if month and day else None,
            **_exp_dims(d),
        }  # fmt: skip
    if t == 19:
        d = draw(dims)
        name, ship_type = draw(_text(20)), draw(ship_types)
        f.update(shipname=name, ship_type=ship_type, **_dims_fields(d))
        stat = {"name": name or None, "ship_type": ship_type, **_exp_dims(d)}
    if t == 21:
        d = draw(dims)
        name = draw(_text(20))
        ext = draw(_text(14)) if len(name) == 20 else ""
        f.update(aid_type=draw(st.integers(0, 31)), name=name, name_ext=ext, **_dims_fields(d))
        stat = {"name": (name + ext) or None, "ship_type": None, **_exp_dims(d)}
    if t == 24:
        part = draw(st.integers(0, 1))
        f["partno"] = part
        if part == 0:
            name = draw(_text(20))
            f["shipname"] = name
            stat = {"name": name or None, "ship_type": None, "callsign": None}
        else:
            d = draw(dims)
            ship_type, call = draw(ship_types), draw(_text(7))
            f.update(ship_type=ship_type, callsign=call, **_dims_fields(d))
            stat = {"name": None, "ship_type": ship_type, "callsign": call or None, **_exp_dims(d)}
    return f, pos, stat


def _same(expected: dict[str, Any], row: dict[str, Any]) -> bool:
    for k, v in expected.items():
        w = row[k]
        if isinstance(v, float) and w is not None:
            if abs(v - w) > 1e-6 * max(1.0, abs(v)):
                return False
        elif v != w:
            return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages(), min_size=1, max_size=12))
def test_pyais_encoded_messages_decode_to_the_same_fields(
    batch: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]],
) -> None:
    lines: list[str] = []
    for i, (fields, _, _) in enumerate(batch):
        lines += pyais.encode_dict(
            fields,
            talker_id="AB" if i % 2 else "AI",
            sentence_type="VDM" if i % 3 else "VDO",
            seq_id=i % 10,
        )
    dec = decode_bytes(("\n".join(lines) + "\n").encode())
    assert dec.rejects.num_rows == 0, dec.rejects.to_pylist()
    assert dec.messages == len(batch)
    positions = dec.positions.to_pylist()
    statics = dec.statics.to_pylist()
    pi = 0
    for fields, pos, stat in batch:
        t, mmsi = fields["msg_type"], fields["mmsi"]
        if t != 5 and t != 24:
            row = positions[pi]
            pi += 1
            assert (row["mmsi"], row["msg_type"]) == (mmsi, t)
            assert _same(pos, row), (fields, row)
        if stat is not None:
            # type 24 parts of one MMSI may have been joined: match on the fields we set
            cands = [s for s in statics if s["mmsi"] == mmsi and s["msg_type"] == t]
            if t == 24:
                stat = {k: v for k, v in stat.items() if v is not None or k == "name"}
                if fields["partno"] == 1:
                    stat.pop("name")
            assert any(_same(stat, s) for s in cands), repr((stat, cands))
    assert pi == len(positions)
