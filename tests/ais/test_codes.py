"""MID -> flag and ship-type group tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from seawatch.ais import codes


def test_flag_of_ship_mmsi() -> None:
    assert codes.flag_of_mmsi(775123456) == "VE"
    assert codes.flag_of_mmsi(366999999) == "US"
    assert codes.flag_of_mmsi(374000001) == "PA"  # recent allocation
    assert codes.flag_of_mmsi(306123456) == "CW"  # shared MID, documented choice
    assert codes.flag_of_mmsi(608000001) == "SH"
    assert codes.flag_of_mmsi(740000001) == "FK"


def test_flag_of_special_mmsis() -> None:
    assert codes.flag_of_mmsi(3669999) == "US"  # 00 366 9999: a US coast station
    assert codes.flag_of_mmsi(3669) is None
    assert codes.flag_of_mmsi(2320001) == "GB"  # 00 232 0001 coast station
    assert codes.flag_of_mmsi(23200001) == "GB"  # 0 232 00001 group
    assert codes.flag_of_mmsi(111232001) == "GB"  # SAR aircraft
    assert codes.flag_of_mmsi(992321234) == "GB"  # AtoN
    assert codes.flag_of_mmsi(982321234) == "GB"  # craft of a parent ship
    assert codes.flag_of_mmsi(823212345) == "GB"  # handheld
    assert codes.flag_of_mmsi(970123456) is None  # SART
    assert codes.flag_of_mmsi(972123456) is None  # MOB
    assert codes.flag_of_mmsi(974123456) is None  # EPIRB
    assert codes.flag_of_mmsi(123456789) is None
    assert codes.flag_of_mmsi(0) is None
    assert codes.flag_of_mmsi(217000000) is None  # unallocated MID


def test_flags_of_vectorised_matches_scalar() -> None:
    mmsi = np.array([775123456, 970123456, 2320001, 0, 538001234, 999999999], dtype=np.int64)
    got = codes.flags_of(mmsi).to_pylist()
    assert got == [codes.flag_of_mmsi(int(m)) for m in mmsi]
    arrow = codes.flags_of(pa.array([775123456, None], type=pa.uint32()))
    assert arrow.to_pylist() == ["VE", None]
    assert arrow.type == pa.string()


def test_country_name() -> None:
    assert codes.country_name("VE") == "Venezuela"
    assert codes.country_name("pt") == "Portugal"
    assert codes.country_name("GB") == "United Kingdom"
    assert codes.country_name("XX") is None


def test_ship_groups() -> None:
    cases = {
        30: "fishing", 31: "tug", 52: "tug", 35: "military", 36: "pleasure", 37: "pleasure",
        50: "pilot", 51: "sar", 55: "law_enforcement", 60: "passenger", 69: "passenger",
        70: "cargo", 79: "cargo", 80: "tanker", 89: "tanker", 0: "other", 90: "other",
        None: "other", 1024: "tanker",
    }  # fmt: skip
    for t, g in cases.items():
        assert codes.ship_group(t) == g, t
        assert g in codes.SHIP_GROUPS
    arr = pa.array([30, None, 84, 1024, 300], type=pa.int64())
    assert codes.ship_groups_of(arr).to_pylist() == [
        "fishing",
        "other",
        "tanker",
        "tanker",
        "other",
    ]


def test_nav_status() -> None:
    assert codes.NAV_STATUS[5] == "moored"
    assert codes.nav_status_text(7) == "engaged in fishing"
    assert codes.nav_status_text(None) is None


def test_country_names_is_a_copy_of_the_mid_table() -> None:
    from seawatch.ais.codes import country_name, country_names

    names = country_names()
    assert names["VE"] == country_name("VE") and len(names) > 200
    names["VE"] = "changed"
    assert country_names()["VE"] != "changed"
