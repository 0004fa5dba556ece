"""Vessel roles (seawatch.ais.roles): the evidence order, prefixes, call signs, lists."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from seawatch._exceptions import SourceError
from seawatch.ais.codes import SHIP_GROUPS
from seawatch.ais.roles import (
    NAME_PREFIXES,
    NAVAL_ROLES,
    ROLE_ENTRIES,
    ROLE_SOURCES,
    ROLES,
    bundled_role_list,
    callsign_role,
    name_role,
    parse_role_csv,
    role_of,
    roles_of,
    vessel_roles,
)

REPO = Path(__file__).resolve().parents[2]
NO_LIST = ROLE_ENTRIES.empty_table()


def test_roles_constant_is_naval_roles_then_the_type_groups() -> None:
    assert ROLES[:3] == NAVAL_ROLES == ("military", "law_enforcement", "government")
    assert set(ROLES) == set(SHIP_GROUPS) | {"government"}
    assert len(set(ROLES)) == len(ROLES)


@pytest.mark.parametrize(
    ("name", "flag", "callsign", "role"),
    [
        ("USS GRIDLEY", "US", "NHBJ", "military"),
        ("USS O'KANE", "US", None, "military"),
        ("uss  mesa verde@@", "US", None, "military"),
        ("USNS GUADALUPE", "US", "NLUP", "government"),
        ("USCGC STONE", "US", None, "law_enforcement"),
        ("CG HEALY", "US", "NEPP", "law_enforcement"),
        ("CG45705", "US", None, "law_enforcement"),  # boat hull number
        ("USAV-7860", "US", "AAGF", "military"),
        ("USS GOVT VESSEL", None, "GOV----", "military"),  # MMSI 999999999: no flag
        ("HMS PROTECTOR", "GB", None, "military"),
        ("HMS VISBY", "SE", None, "military"),  # Hans Majestäts Skepp
        ("RFA WAVE KNIGHT", "GB", "GWBU", "government"),
        ("ZR.MS. HOLLAND", "NL", None, "military"),
        ("Zr.Ms. Groningen", "CW", None, "military"),
        ("HNLMS ZEELAND", "NL", None, "military"),
        ("ARC 20 DE JULIO", "CO", None, "military"),
        ("AB GUAICAMACUTO", "VE", None, "military"),
        ("GC-21", "VE", None, "law_enforcement"),
        ("ARM REVOLUCION", "MX", None, "military"),
        ("BAP GUISE", "PE", None, "military"),
        ("CCGS GRIFFON", "CA", "CGDS", "law_enforcement"),
        ("COAST GUARD 1", "PA", None, "law_enforcement"),
        ("WARSHIP 61", None, None, "military"),
        ("NOAA SHIP OKEANOS EXPLORER", "US", "WTDH", "government"),  # NOAA: W call signs
        ("NOAA'S ARK", "US", None, None),
        # false positives the rule must avoid
        ("USSR SPIRIT", "US", None, None),  # not a whole word
        ("HMSX", "GB", None, None),
        ("THE USS ENTERPRISE", "US", None, None),  # not at the start
        ("ARC INTEGRITY", "US", "WDE1234", None),  # American Roll-on Roll-off Carrier
        ("ARC RESOLVE", "US", None, None),
        ("USS CAIRO", "US", "WDH7325", None),  # a towboat with a civil call sign
        ("HMS", "US", None, None),  # British prefix on a US flag
        ("GC SERVICES", "US", None, None),
        ("FS SOMETHING", "PA", None, None),
        ("", "US", None, None),
        (None, "US", None, None),
    ],
)
def test_name_prefixes(
    name: str | None, flag: str | None, callsign: str | None, role: str | None
) -> None:
    assert name_role(name, flag, callsign) == role


@pytest.mark.parametrize(
    ("callsign", "flag", "name", "ship_type", "role"),
    [
        ("NGPC", "US", "CHUNG-HOON", 90, "government"),
        ("AEPD", "US", "YAQUINA", 90, "government"),
        ("NRAR---", "US", "US GOV VESSEL", None, "government"),  # AIS padding
        (" ncom ", "US", "COMFORT", 90, "government"),
        ("NILO", "US", "NILO", 37, None),  # a yacht's name typed as call sign
        ("NILO", "US", "NILO", 90, None),
        ("NONE", "US", "PASSAGE", 90, None),
        ("NHBJ", "PA", "X", 90, None),  # not a US flag
        ("WDH7325", "US", "X", 31, None),  # civil
        ("AMAA", "US", "X", 90, None),  # AM-AO: Spain's block
        ("N1ABC", "US", "X", 90, None),  # amateur-style, not a ship call sign
        ("NABC", None, "X", 90, "government"),  # no flag
        ("NABC", "US", "X", 36, None),  # sailing yacht
    ],
)
def test_callsign_role(
    callsign: str, flag: str | None, name: str, ship_type: int | None, role: str | None
) -> None:
    assert callsign_role(callsign, flag, name=name, ship_type=ship_type) == role


def test_evidence_order_list_name_mmsi_callsign_type() -> None:
    entries = parse_role_csv(
        "mmsi,imo,name,country,role\n"
        "366000001,,,,military\n"
        ",9000001,,,law_enforcement\n"
        ",,SEA GUARD,PA,government\n"
    )
    cases = [
        # (mmsi, name, type, imo, callsign) -> (role, source)
        ((366000001, "USNS X", 80, None, None), ("military", "list")),  # list beats name
        ((538000001, "ANY", 70, 9000001, None), ("law_enforcement", "list")),  # by IMO
        ((351000001, "Sea  Guard", 70, None, None), ("government", "list")),  # name + flag PA
        ((538000002, "SEA GUARD", 70, None, None), ("cargo", "ship_type")),  # other flag
        ((366000002, "USNS Y", 80, None, "NABC"), ("government", "name")),  # name beats type
        ((111366123, None, None, None, None), ("sar", "mmsi")),  # SAR aircraft
        ((366000003, "BIG SHIP", 90, None, "NABC"), ("government", "callsign")),
        ((366000004, "BIG SHIP", 35, None, "NABC"), ("military", "ship_type")),  # type wins
        ((366000005, "BIG SHIP", 55, None, "NABC"), ("law_enforcement", "ship_type")),
        ((366000006, "BIG SHIP", 80, None, None), ("tanker", "ship_type")),
        ((366000007, None, None, None, None), ("other", None)),  # no evidence at all
    ]
    for (m, n, t, imo, cs), want in cases:
        assert role_of(m, n, t, imo=imo, callsign=cs, entries=entries) == want, (m, n)


def test_roles_of_is_vectorised_over_numpy_and_arrow() -> None:
    mmsi = np.array([369961000, 366000006, 538000001], dtype=np.int64)
    names = pa.array(["USS GRIDLEY", "BIG SHIP", None])
    types = pa.array([90, 80, None], pa.uint8())
    role, source = roles_of(mmsi, names, types)
    assert role.to_pylist() == ["military", "tanker", "other"]
    assert source.to_pylist() == ["list", "ship_type", None]
    assert set(source.to_pylist()) - {None} <= set(ROLE_SOURCES)
    empty_role, empty_source = roles_of(np.zeros(0, np.int64))
    assert len(empty_role) == len(empty_source) == 0


def test_bundled_list_has_the_issue_vessels_and_documented_sources() -> None:
    entries = bundled_role_list()
    assert entries.schema == ROLE_ENTRIES
    rows = {r["mmsi"]: r for r in entries.to_pylist()}
    for mmsi in (369961000, 303870000, 368765000, 368869000, 369970969, 369970397):
        assert rows[mmsi]["role"] == "military", mmsi
    assert rows[367219000]["role"] == "government"  # USNS GUADALUPE: an MSC auxiliary
    assert all(r["source"] and r["note"] and r["country"] for r in rows.values())
    assert set(entries.column("role").to_pylist()) <= set(NAVAL_ROLES)
    sources = {s.strip() for r in rows.values() for s in r["source"].split(";")}
    meta = (REPO / "src/seawatch/data/roles/naval_vessels.json").read_text(encoding="utf-8")
    assert all(f'"{s}"' in meta for s in sources), sources


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mmsi,name\n1,A\n", "needs a column role"),
        ("role\nmilitary\n", "needs a column role and one of"),
        ("mmsi,role\n123,pirate\n", "line 2: role 'pirate'"),
        ("mmsi,role\n12x,military\n", "line 2: mmsi"),
        ("mmsi,role\n1234567890,military\n", "line 2: mmsi"),
        ("name,role\nSEA GUARD,military\n", "needs a country"),
        ("name,country,role\nX,USA,military\n", "not ISO alpha-2"),
        ("mmsi,role\n,military\n", "needs an mmsi, imo or name"),
    ],
)
def test_parse_role_csv_rejects_bad_rows_with_their_line(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=re.escape(message)):
        parse_role_csv(text)


def test_parse_role_csv_accepts_imo_prefix_case_and_blank_rows() -> None:
    t = parse_role_csv("MMSI,IMO,Role,Note\n,IMO 9234513,Government,x\n,,,\n", default_source="f")
    assert t.to_pylist() == [
        {
            "mmsi": None,
            "imo": 9234513,
            "name": None,
            "country": None,
            "role": "government",
            "note": "x",
            "source": "f",
        }
    ]


def test_vessel_roles_takes_the_latest_non_null_fields() -> None:
    ts = pa.array([1, 2, 3, 1], pa.timestamp("us", tz="UTC"))
    statics = pa.table(
        {
            "mmsi": pa.array([5, 5, 5, 7], pa.uint32()),
            "ts": ts,
            "name": ["OLD NAME", "USS NEW", None, None],
            "ship_type": pa.array([80, None, 90], pa.uint8()).take([0, 1, 2, 1]),
            "imo": pa.array([None] * 4, pa.uint32()),
            "callsign": [None, None, None, "NABC"],
        }
    )
    vr = vessel_roles(statics, entries=NO_LIST)
    assert vr.to_pylist() == [
        {"mmsi": 5, "name": "USS NEW", "ship_type": 90, "role": "military", "role_source": "name"},
        {
            "mmsi": 7,
            "name": None,
            "ship_type": None,
            "role": "government",
            "role_source": "callsign",
        },
    ]
    assert vessel_roles(None).num_rows == 0


def test_docs_roles_table_lists_every_prefix() -> None:
    doc = (REPO / "docs/ROLES.md").read_text(encoding="utf-8")
    for p in NAME_PREFIXES:
        assert re.search(rf"^\| `{re.escape(p.prefix)}` \| {p.role} \|", doc, re.M), p.prefix
