"""AIS code tables: flag state from the MMSI, ship-type groups, navigation status texts.

The MID table (``seawatch/data/mid.csv``) is the ITU 2023 "Table of Maritime Identification
Digits" (via uscg-nais-data, MIT) joined to ISO 3166 alpha-2 codes (MobiML, BSD-3-Clause, and
trajectory-data, MIT); see ``seawatch.ais._mid_build`` and NOTICE.

MMSI rules (ITU-R M.585) used by :func:`flag_of_mmsi`:

* ``MIDxxxxxx`` (first digit 2-7): a ship; the flag is the MID (first three digits).
* ``0MIDxxxxx``: a group of ships; ``00MIDxxxx``: a coast station -> the MID after the zeros.
* ``111MIDxxx``: a SAR aircraft -> its MID.
* ``98MIDxxxx``: a craft associated with a parent ship; ``99MIDxxxx``: an aid to navigation
  -> its MID.
* ``8MIDxxxxx``: a handheld VHF with DSC -> its MID.
* ``970xxyyyy`` (AIS-SART), ``972xxyyyy`` (MOB), ``974xxyyyy`` (EPIRB-AIS) and other ``97``
  numbers, ``1xxxxxxxx`` other than ``111``, and MIDs not in the table -> ``None``.

MID 306 is shared by Bonaire-Sint Eustatius-Saba (BQ), Curaçao (CW) and Sint Maarten (SX);
an MMSI cannot tell them apart, so ``306`` maps to ``CW`` (as the other public tables do).
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "NAV_STATUS",
    "SHIP_GROUPS",
    "country_name",
    "country_names",
    "flag_codes",
    "flag_of_mmsi",
    "flags_of",
    "mid_of_mmsi",
    "nav_status_text",
    "ship_group",
    "ship_groups_of",
]

NAV_STATUS: dict[int, str] = {
    0: "under way using engine",
    1: "at anchor",
    2: "not under command",
    3: "restricted manoeuvrability",
    4: "constrained by her draught",
    5: "moored",
    6: "aground",
    7: "engaged in fishing",
    8: "under way sailing",
    9: "reserved for HSC",
    10: "reserved for WIG",
    11: "power-driven vessel towing astern",
    12: "power-driven vessel pushing ahead or towing alongside",
    13: "reserved",
    14: "AIS-SART, MOB or EPIRB active",
    15: "not defined",
}
"""ITU-R M.1371 navigational status (message types 1-3, 27) -> text."""

SHIP_GROUPS: tuple[str, ...] = (
    "tanker",
    "cargo",
    "military",
    "law_enforcement",
    "fishing",
    "passenger",
    "tug",
    "pilot",
    "sar",
    "pleasure",
    "other",
)
"""Every value :func:`ship_group` returns."""


def nav_status_text(status: int | None) -> str | None:
    """The text of a navigational status code, ``None`` for ``None`` or out of range."""
    return None if status is None else NAV_STATUS.get(int(status))


# ---------------------------------------------------------------- flags


@cache
def _mid_table() -> tuple[npt.NDArray[np.int16], tuple[str, ...], dict[str, str]]:
    """(MID 0-999 -> index into codes or -1, codes, iso2 -> country name)."""
    text = resources.files("seawatch").joinpath("data", "mid.csv").read_text(encoding="utf-8")
    lut = np.full(1000, -1, dtype=np.int16)
    codes: list[str] = []
    names: dict[str, str] = {}
    for row in csv.DictReader(text.splitlines()):
        iso = row["iso2"]
        if iso not in codes:
            codes.append(iso)
        if row["primary"] == "1":
            lut[int(row["mid"])] = codes.index(iso)
        # the country proper (no " - " territory suffix) wins; otherwise the last territory row
        if (
            " - " not in row["allocated_to"]
            or iso not in names
            or " - " in names.get("_" + iso, "")
        ):
            names[iso] = row["country"]
            names["_" + iso] = row["allocated_to"]
    return lut, tuple(codes), {k: v for k, v in names.items() if not k.startswith("_")}


def _mids(mmsi: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The MID of each MMSI (vectorised), -1 where the MMSI carries no flag."""
    m = mmsi
    first = m // 100_000_000
    mid = np.full(m.shape, -1, dtype=np.int64)
    valid = (m > 0) & (m <= 999_999_999)
    ship = valid & (first >= 2) & (first <= 7)
    mid[ship] = m[ship] // 1_000_000
    zero = valid & (first == 0)
    coast = zero & (m < 10_000_000)  # 00MIDxxxx
    group = zero & ~coast  # 0MIDxxxxx
    mid[coast] = (m[coast] // 10_000) % 1000
    mid[group] = (m[group] // 100_000) % 1000
    sar = valid & (m // 1_000_000 == 111)  # 111MIDxxx
    mid[sar] = (m[sar] // 1000) % 1000
    handheld = valid & (first == 8)  # 8MIDxxxxx
    mid[handheld] = (m[handheld] // 100_000) % 1000
    nine = valid & ((m // 10_000_000 == 98) | (m // 10_000_000 == 99))  # 98MIDxxxx, 99MIDxxxx
    mid[nine] = (m[nine] // 10_000) % 1000
    return mid


def _as_int64(mmsi: object) -> npt.NDArray[np.int64]:
    if isinstance(mmsi, pa.ChunkedArray | pa.Array):
        arr = mmsi.to_numpy(zero_copy_only=False)
        mask = np.asarray(mmsi.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        out = np.where(mask, -1, np.nan_to_num(arr.astype(np.float64), nan=-1)).astype(np.int64)
        return out
    return np.asarray(mmsi, dtype=np.int64)


def mid_of_mmsi(mmsi: int) -> int | None:
    """The Maritime Identification Digits of ``mmsi`` per the rules above, or ``None``."""
    mid = int(_mids(np.array([mmsi], dtype=np.int64))[0])
    return None if mid < 0 else mid


def flag_of_mmsi(mmsi: int) -> str | None:
    """The flag state (ISO 3166 alpha-2) of ``mmsi``, or ``None`` when it carries none.

    >>> flag_of_mmsi(775123456), flag_of_mmsi(970012345)
    ('VE', None)
    """
    flag: str | None = flags_of(np.array([mmsi], dtype=np.int64))[0].as_py()
    return flag


def flags_of(mmsi: object) -> pa.Array:
    """Vectorised :func:`flag_of_mmsi` over a numpy or Arrow integer array -> ``pa.string()``.

    Nulls and MMSIs that carry no flag give null.
    """
    lut, codes, _ = _mid_table()
    mids = _mids(_as_int64(mmsi))
    idx = np.where(mids >= 0, lut[np.clip(mids, 0, 999)], -1).astype(np.int32)
    dictionary = pa.array(codes, type=pa.string())
    indices = pa.array(idx, mask=idx < 0, type=pa.int32())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def country_names() -> dict[str, str]:
    """ISO alpha-2 -> short English country or territory name, for every code in the MID
    table (a copy)."""
    return dict(_mid_table()[2])


def flag_codes() -> tuple[str, ...]:
    """Every ISO alpha-2 code the MID table assigns (the valid flags), sorted."""
    return tuple(sorted(_mid_table()[1]))


def country_name(iso2: str | None) -> str | None:
    """A short English country or territory name for an ISO alpha-2 code in the MID table."""
    if iso2 is None:
        return None
    return _mid_table()[2].get(iso2.upper())


# ---------------------------------------------------------------- ship types


def _group_lut() -> tuple[str, ...]:
    lut = ["other"] * 256
    lut[30] = "fishing"
    lut[31] = lut[32] = lut[52] = "tug"
    lut[35] = "military"
    lut[36] = lut[37] = "pleasure"
    lut[50] = "pilot"
    lut[51] = "sar"
    lut[55] = "law_enforcement"
    for t in range(60, 70):
        lut[t] = "passenger"
    for t in range(70, 80):
        lut[t] = "cargo"
    for t in range(80, 90):
        lut[t] = "tanker"
    return tuple(lut)


_GROUP_LUT = _group_lut()
# US NAIS codes 1001-1025 (NOAA/USCG vessel type list, MarineCadastre data)
_US_CODES: dict[int, str] = {
    1001: "fishing",
    1002: "fishing",
    1003: "cargo",
    1004: "cargo",
    1012: "passenger",
    1013: "passenger",
    1014: "passenger",
    1015: "passenger",
    1016: "cargo",
    1017: "tanker",
    1019: "pleasure",
    1023: "tanker",
    1024: "tanker",
    1025: "tug",
}


def ship_group(ship_type: int | None) -> str:
    """The group of an AIS ship-and-cargo type code (ITU-R M.1371 table 53).

    30 fishing; 31, 32, 52 tug; 35 military; 36, 37 pleasure; 50 pilot; 51 sar;
    55 law_enforcement; 60-69 passenger; 70-79 cargo; 80-89 tanker; US NAIS codes
    1001-1025 by their NOAA group; anything else (including ``None``) ``other``.
    """
    if ship_type is None:
        return "other"
    t = int(ship_type)
    if 0 <= t < 256:
        return _GROUP_LUT[t]
    return _US_CODES.get(t, "other")


def ship_groups_of(ship_type: object) -> pa.Array:
    """Vectorised :func:`ship_group` over a numpy or Arrow integer array -> ``pa.string()``."""
    t = _as_int64(ship_type)
    groups = np.array(SHIP_GROUPS)
    code_of = {g: i for i, g in enumerate(SHIP_GROUPS)}
    lut = np.array([code_of[g] for g in _GROUP_LUT], dtype=np.int32)
    idx = np.full(t.shape, code_of["other"], dtype=np.int32)
    small = (t >= 0) & (t < 256)
    idx[small] = lut[t[small]]
    for code, g in _US_CODES.items():
        idx[t == code] = code_of[g]
    dictionary = pa.array(groups, type=pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(idx), dictionary).cast(pa.string())
