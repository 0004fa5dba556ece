"""Roles in the report layer: --group filters on roles, presence and the brief's naval
presence count warships that broadcast type 90 and say why each vessel counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError
from seawatch.cli import app
from seawatch.report import brief
from seawatch.report._summary import filter_events, vessels_matching
from seawatch.report.presence import PresenceParams
from seawatch.store import open_store

HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)
# off La Guaira, Venezuela (~5 nm out)
VESSELS = [
    (369970001, "USS EXAMPLE", "NXAA", 90),
    (367000002, "USNS EXAMPLE", "NXAB", 80),
    (367000003, "CG EXAMPLE", "NXAC", 90),
    (538000004, "SEA STAR", "V7AA1", 80),
]


@pytest.fixture(scope="module")
def ve_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("roles")
    lines = [HEADER]
    for k, (mmsi, name, cs, t) in enumerate(VESSELS):
        for m in range(4):
            lines.append(
                f"{mmsi},2024-03-01T00:{10 * m:02d}:00,{10.68 + 0.01 * k:.2f},-66.93,0.0,0,511,"
                f"{name},,{cs},{t},0,100,20,5,,A"
            )
    src = root / "ve.csv"
    src.write_text("\n".join(lines) + "\n")
    store = open_store(root / "store", create=True)
    store.ingest([src])
    return root / "store"


def test_brief_naval_presence_counts_roles_and_says_why(ve_store: Path) -> None:
    b = brief(open_store(ve_store), country="VE").to_dict()
    got = {(r["name"], r["role"], r["role_source"]) for r in b["naval_presence"]}
    assert got == {
        ("USS EXAMPLE", "military", "name"),
        ("USNS EXAMPLE", "government", "name"),
        ("CG EXAMPLE", "law_enforcement", "name"),
    }
    assert b["counts"]["naval_vessels_near"] == 3
    why = {r["name"]: r["role_evidence"] for r in b["naval_presence"]}
    assert why["USS EXAMPLE"].startswith("name prefix USS (United States Ship")
    assert why["CG EXAMPLE"].startswith("name prefix CG (US Coast Guard")
    only_navy = brief(open_store(ve_store), country="VE", naval_roles=("military",)).to_dict()
    assert [r["name"] for r in only_navy["naval_presence"]] == ["USS EXAMPLE"]


def test_presence_group_is_a_role(ve_store: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "presence",
            "--country",
            "VE",
            "--group",
            "military",
            "--store",
            str(ve_store),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema"] == "seawatch.presence/1"
    rows = doc["rows"]
    assert [(r["name"], r["ship_group"], r["role"]) for r in rows] == [
        ("USS EXAMPLE", "other", "military")
    ]
    assert PresenceParams(country="VE", group=" Government ").group == "government"
    with pytest.raises(ParameterError, match="law_enforcement"):
        PresenceParams(country="VE", group="navy")


def test_group_filter_matches_roles_not_type_groups(ve_store: Path) -> None:
    vessels = open_store(ve_store).vessels()
    military = vessels_matching(vessels, groups=["Military"]).to_pylist()
    assert military == [369970001]
    tankers = sorted(vessels_matching(vessels, groups=["tanker"]).to_pylist())
    assert tankers == [538000004]  # USNS EXAMPLE (type 80) is a government auxiliary
    t0 = datetime(2024, 3, 1, tzinfo=UTC)
    events = pa.table(
        {
            "event_id": ["e1", "e2"],
            "type": ["encounter", "encounter"],
            "start": [t0, t0],
            "end": [t0, t0],
            "vessels": [[369970001, 538000004], [367000002, 538000004]],
        }
    )
    out = filter_events(events, groups=["government"], vessels=vessels)
    assert out.column("event_id").to_pylist() == ["e2"]
