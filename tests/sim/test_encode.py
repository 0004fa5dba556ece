"""The AIS encoder against pyais (the oracle), field by field, on generated values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyais
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.sim import (
    encode_type5,
    encode_type18,
    encode_type24a,
    encode_type24b,
    encode_types123,
    sentences,
)
from seawatch.sim._encode import nmea_checksums, sixbit_text

AIS_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./", min_size=0, max_size=20
).map(lambda s: s.strip())
# pyais turns ship type codes outside its enum (reserved values) into 0
PYAIS_SHIP_TYPES = sorted(int(m.value) for m in pyais.constants.ShipType)
MMSI = st.integers(min_value=1, max_value=999_999_999)
LAT = st.floats(min_value=-90, max_value=90, allow_nan=False)
LON = st.floats(min_value=-180, max_value=180, allow_nan=False)
SOG = st.floats(min_value=0, max_value=102.2, allow_nan=False)
COG = st.floats(min_value=0, max_value=359.9, allow_nan=False)
HEADING = st.integers(min_value=0, max_value=359)


def _decode(parts: list[str]) -> dict[str, Any]:
    return dict(pyais.decode(*parts).asdict())


@settings(max_examples=60, deadline=None)
@given(
    mmsi=MMSI,
    lat=LAT,
    lon=LON,
    sog=SOG,
    cog=COG,
    heading=HEADING,
    second=st.integers(0, 60),
    msg_type=st.sampled_from([1, 2, 3]),
    status=st.integers(0, 15),
    turn=st.integers(-128, 127),
    raim=st.integers(0, 1),
    radio=st.integers(0, 2**19 - 1),
)
def test_types123_match_pyais(
    mmsi: int,
    lat: float,
    lon: float,
    sog: float,
    cog: float,
    heading: int,
    second: int,
    msg_type: int,
    status: int,
    turn: int,
    raim: int,
    radio: int,
) -> None:
    p = encode_types123(
        mmsi=[mmsi],
        lat=[lat],
        lon=[lon],
        sog_kn=[sog],
        cog_deg=[cog],
        heading_deg=[heading],
        second=[second],
        msg_type=[msg_type],
        nav_status=[status],
        turn=[turn],
        raim=[raim],
        radio=[radio],
    )
    assert len(p.payload[0]) == 28 and p.fill_bits[0] == 0
    d = _decode(sentences(p)[0])
    assert d["msg_type"] == msg_type
    assert d["mmsi"] == mmsi
    assert d["status"] == status
    assert d["lat"] == pytest.approx(round(lat * 600_000) / 600_000, abs=1.1e-6)
    assert d["lon"] == pytest.approx(round(lon * 600_000) / 600_000, abs=1.1e-6)
    assert d["speed"] == pytest.approx(round(sog * 10) / 10)
    assert d["course"] == pytest.approx(round(cog * 10) / 10)
    assert d["heading"] == heading
    assert d["second"] == second
    assert d["raim"] == bool(raim)
    assert d["radio"] == radio


def test_types123_not_available_sentinels() -> None:
    p = encode_types123(
        mmsi=[1],
        lat=[np.nan],
        lon=[np.nan],
        sog_kn=[np.nan],
        cog_deg=[np.nan],
        heading_deg=[np.nan],
        second=[60],
    )
    d = _decode(sentences(p)[0])
    assert (d["lat"], d["lon"], d["speed"], d["course"], d["heading"]) == (
        91.0,
        181.0,
        102.3,
        360.0,
        511,
    )


@settings(max_examples=40, deadline=None)
@given(mmsi=MMSI, lat=LAT, lon=LON, sog=SOG, cog=COG, heading=HEADING, second=st.integers(0, 59))
def test_type18_matches_pyais(
    mmsi: int, lat: float, lon: float, sog: float, cog: float, heading: int, second: int
) -> None:
    p = encode_type18(
        mmsi=[mmsi],
        lat=[lat],
        lon=[lon],
        sog_kn=[sog],
        cog_deg=[cog],
        heading_deg=[heading],
        second=[second],
    )
    d = _decode(sentences(p)[0])
    assert d["msg_type"] == 18
    assert d["mmsi"] == mmsi
    assert d["lat"] == pytest.approx(round(lat * 600_000) / 600_000, abs=1.1e-6)
    assert d["lon"] == pytest.approx(round(lon * 600_000) / 600_000, abs=1.1e-6)
    assert d["speed"] == pytest.approx(round(sog * 10) / 10)
    assert d["course"] == pytest.approx(round(cog * 10) / 10)
    assert d["heading"] == heading
    assert d["second"] == second
    assert d["cs"] is True


@settings(max_examples=40, deadline=None)
@given(
    mmsi=MMSI,
    imo=st.integers(0, 2**30 - 1),
    callsign=AIS_TEXT.map(lambda s: s[:7].strip()),
    name=AIS_TEXT,
    destination=AIS_TEXT,
    ship_type=st.sampled_from(PYAIS_SHIP_TYPES),
    length=st.integers(0, 500),
    beam=st.integers(0, 62),
    draught=st.floats(0, 25.5, allow_nan=False),
    month=st.integers(0, 12),
    day=st.integers(0, 31),
)
def test_type5_matches_pyais(
    mmsi: int,
    imo: int,
    callsign: str,
    name: str,
    destination: str,
    ship_type: int,
    length: int,
    beam: int,
    draught: float,
    month: int,
    day: int,
) -> None:
    p = encode_type5(
        mmsi=[mmsi],
        imo=[imo],
        callsign=[callsign],
        name=[name],
        ship_type=[ship_type],
        length_m=[length],
        beam_m=[beam],
        draught_m=[draught],
        destination=[destination],
        eta_month=[month],
        eta_day=[day],
    )
    assert len(p.payload[0]) == 71 and p.fill_bits[0] == 2
    parts = sentences(p, seq_id=np.array([7]))[0]
    assert len(parts) == 2
    assert parts[0].startswith("!AIVDM,2,1,7,A,") and parts[0].endswith(
        f"*{nmea_checksums([parts[0][1:-3]])[0]}"
    )
    assert ",2*" in parts[1]
    d = _decode(parts)
    assert d["msg_type"] == 5
    assert d["mmsi"] == mmsi
    assert d["imo"] == imo
    assert d["callsign"] == callsign
    assert d["shipname"] == name
    assert d["destination"] == destination
    assert d["ship_type"] == ship_type
    assert int(d["to_bow"]) + int(d["to_stern"]) == length
    assert int(d["to_port"]) + int(d["to_starboard"]) == beam
    assert d["draught"] == pytest.approx(round(draught * 10) / 10)
    assert (d["month"], d["day"]) == (month, day)


@settings(max_examples=40, deadline=None)
@given(
    mmsi=MMSI,
    name=AIS_TEXT,
    callsign=AIS_TEXT.map(lambda s: s[:7].strip()),
    ship_type=st.integers(0, 99),
    length=st.integers(0, 300),
    beam=st.integers(0, 60),
)
def test_type24_matches_pyais(
    mmsi: int, name: str, callsign: str, ship_type: int, length: int, beam: int
) -> None:
    a = _decode(sentences(encode_type24a(mmsi=[mmsi], name=[name]))[0])
    assert (a["msg_type"], a["mmsi"], a["partno"], a["shipname"]) == (24, mmsi, 0, name)
    b = _decode(
        sentences(
            encode_type24b(
                mmsi=[mmsi],
                ship_type=[ship_type],
                callsign=[callsign],
                length_m=[length],
                beam_m=[beam],
            )
        )[0]
    )
    assert (b["msg_type"], b["mmsi"], b["partno"]) == (24, mmsi, 1)
    assert b["ship_type"] == ship_type
    assert b["callsign"] == callsign
    assert int(b["to_bow"]) + int(b["to_stern"]) == length
    assert int(b["to_port"]) + int(b["to_starboard"]) == beam


def test_vectorised_batch_matches_one_by_one() -> None:
    rng = np.random.default_rng(3)
    n = 500
    kw = {
        "mmsi": rng.integers(1, 999_999_999, n),
        "lat": rng.uniform(-90, 90, n),
        "lon": rng.uniform(-180, 180, n),
        "sog_kn": rng.uniform(0, 30, n),
        "cog_deg": rng.uniform(0, 359.9, n),
        "heading_deg": rng.integers(0, 360, n).astype(float),
        "second": rng.integers(0, 60, n),
    }
    batch = encode_types123(**kw)
    for i in range(0, n, 97):
        one = encode_types123(**{k: v[i : i + 1] for k, v in kw.items()})
        assert one.payload[0] == batch.payload[i]
    for i, parts in enumerate(sentences(batch)):
        assert pyais.decode(*parts).asdict()["mmsi"] == kw["mmsi"][i]


def test_sixbit_text_pads_cuts_and_replaces() -> None:
    codes = sixbit_text(["ab", "TOO LONG NAME", "é"], 4)
    assert codes.shape == (3, 4)
    assert codes[0].tolist() == [1, 2, 0, 0]  # upper-cased, padded with '@'
    assert codes[1].tolist() == [20, 15, 15, 32]  # 'TOO ' cut at 4
    assert codes[2][0] == ord("?")


def test_checksums_are_xor_of_body() -> None:
    body = "AIVDM,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0"
    x = 0
    for c in body.encode():
        x ^= c
    assert nmea_checksums([body, ""]).tolist() == [f"{x:02X}", "00"]
