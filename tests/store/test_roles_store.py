"""Roles in the store: the vessels view, user role lists, and the real NOAA sample."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from typer.testing import CliRunner

from seawatch._exceptions import ParameterError, SourceError
from seawatch.cli import app
from seawatch.store import add_role_list, open_store, role_lists

REPO = Path(__file__).resolve().parents[2]
NOAA = "noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
    "Length,Width,Draft,Cargo,TransceiverClass"
)


def _noaa_rows(path: Path, rows: list[tuple[int, str, str, str, int]]) -> Path:
    """A small NOAA-format CSV: (mmsi, name, imo, callsign, type), two positions each."""
    lines = [HEADER]
    for k, (mmsi, name, imo, cs, t) in enumerate(rows):
        for minute in (0, 1):
            lines.append(
                f"{mmsi},2022-01-03T00:0{minute}:00,{17 + k * 0.1:.2f},-66.00,10.0,90.0,90,"
                f"{name},{imo},{cs},{t},0,100,20,5,,A"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture()
def small_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    src = _noaa_rows(
        tmp_path / "small.csv",
        [
            (369961000, "USS GRIDLEY", "", "NHBJ", 90),  # bundled list
            (367219000, "USNS GUADALUPE", "IMO8822442", "NLUP", 80),  # bundled list
            (367647050, "USS CAIRO", "", "WDH7325", 31),  # civil call sign: a tug
            (367000001, "CG EXAMPLE", "", "NXXX", 90),  # US Coast Guard as broadcast
            (367000002, "QUIET SHIP", "", "NQQQ", 90),  # federal call sign only
            (538000001, "TANKER ONE", "IMO9234513", "V7AA1", 80),
        ],
    )
    store = open_store(tmp_path / "store", create=True)
    store.ingest([src])
    return store


def test_vessels_view_has_role_and_role_source_after_ship_group(small_store) -> None:  # type: ignore[no-untyped-def]
    v = small_store.vessels()
    names = v.column_names
    assert names[names.index("ship_group") + 1 : names.index("ship_group") + 3] == [
        "role",
        "role_source",
    ]
    got = {r["mmsi"]: (r["ship_group"], r["role"], r["role_source"]) for r in v.to_pylist()}
    assert got == {
        369961000: ("other", "military", "list"),
        367219000: ("tanker", "government", "list"),
        367647050: ("tug", "tug", "ship_type"),
        367000001: ("other", "law_enforcement", "name"),
        367000002: ("other", "government", "callsign"),
        538000001: ("tanker", "tanker", "ship_type"),
    }


def test_user_role_list_is_kept_in_the_store_and_used(small_store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "mine.csv"
    src.write_text("mmsi,imo,role,note\n,IMO9234513,government,chartered by a navy\n")
    rl = add_role_list(small_store.root, src)
    assert rl.name == "mine" and len(rl) == 1
    assert (small_store.root / "roles" / "mine.csv").is_file()
    meta = json.loads((small_store.root / "roles" / "mine.json").read_text())
    assert meta["rows"] == 1 and meta["source"] == "mine.csv"
    assert [r.name for r in role_lists(small_store.root)] == ["naval_vessels", "mine"]
    row = {r["mmsi"]: r for r in small_store.vessels().to_pylist()}[538000001]
    assert (row["role"], row["role_source"]) == ("government", "list")
    # and the same through the CLI
    out = CliRunner().invoke(
        app, ["vessel", "538000001", "--store", str(small_store.root), "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["role"], data["role_source"], data["ship_group"]) == (
        "government",
        "list",
        "tanker",
    )


def test_add_role_list_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("mmsi,role\n123456789,military\n")
    with pytest.raises(ParameterError, match="bundled"):
        add_role_list(tmp_path, good, name="naval_vessels")
    with pytest.raises(ParameterError, match="role list name"):
        add_role_list(tmp_path, good, name="../x")
    empty = tmp_path / "empty.csv"
    empty.write_text("mmsi,role\n")
    with pytest.raises(SourceError, match="no entries"):
        add_role_list(tmp_path, empty)
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,role\n123,admiral\n")
    with pytest.raises(SourceError, match="line 2"):
        add_role_list(tmp_path, bad)
    assert not (tmp_path / "roles" / "bad.csv").exists()


def test_roles_cli_add_and_list(tmp_path: Path) -> None:
    src = tmp_path / "navies.csv"
    src.write_text("name,country,role\nAB ORINOCO,VE,military\n")
    runner = CliRunner()
    out = runner.invoke(app, ["roles", "add", str(src), "--store", str(tmp_path)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(app, ["roles", "list", "--store", str(tmp_path), "--format", "csv"])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert [(r["name"], r["entries"], r["military"]) for r in rows] == [
        ("naval_vessels", "36", "10"),
        ("navies", "1", "1"),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("mmsi,role\n1,admiral\n")
    out = runner.invoke(app, ["roles", "add", str(bad), "--store", str(tmp_path)])
    assert out.exit_code != 0 and "admiral" in out.output and "Traceback" not in out.output


# ---------------------------------------------------------------- real data


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("roles_noaa", REPO / "tools" / "roles_noaa.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def noaa_vessels(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _tool().vessel_rows(
        tmp_path_factory.mktemp("noaa") / "store", shared_data / NOAA
    )
    return rows


def test_noaa_named_warships_and_auxiliaries(noaa_vessels: list[dict[str, Any]]) -> None:
    by_name = {r["name"]: r for r in noaa_vessels if r["name"]}
    for name in (
        "USS GRIDLEY",
        "USS BULKELEY",
        "USS CURTIS WILBUR",
        "USS O'KANE",
        "USS WICHITA",
        "USS MESA VERDE",
    ):
        r = by_name[name]
        assert r["ship_type"] == 90 and r["ship_group"] == "other", name  # what they broadcast
        assert r["role"] == "military" and r["role_source"] == "list", name
        assert (r["role_rules"], r["role_source_rules"]) == ("military", "name"), name
    g = by_name["USNS GUADALUPE"]
    assert (g["ship_group"], g["role"], g["role_source"]) == ("tanker", "government", "list")
    assert by_name["CG HEALY"]["role"] == "law_enforcement"
    assert by_name["USS CAIRO"]["role"] == "tug"  # a towboat with a civil call sign
    assert by_name["NILO"]["role"] == "pleasure"  # call sign NILO is no federal one


def test_noaa_precision_and_recall_match_the_published_table(
    noaa_vessels: list[dict[str, Any]],
) -> None:
    tool = _tool()
    truth = tool.load_truth(REPO / "tests/ais/data/noaa_roles_truth.csv")
    doc = (REPO / "docs/EVALUATION.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Real data: vessel roles on the NOAA sample (2022-01-03)") :]
    for label, key in (("list + rules (shipped)", "role"), ("rules only (no list)", "role_rules")):
        s = tool.scores(noaa_vessels, truth, key)
        assert s["precision"] >= 0.95 and s["recall"] >= 0.95, (label, s)
        row = (
            f"| {label} | {s['flagged']} | {s['truth']} | {s['tp']} | {s['fp']} | {s['fn']} | "
            f"{s['precision']:.3f} | {s['recall']:.3f} | {s['role_exact']}/{s['tp']} |"
        )
        assert row in section, row
    # every flagged or missed vessel has its row in the published table
    for r in noaa_vessels:
        if r["role"] in tool.NAVAL or int(r["mmsi"]) in truth:
            assert re.search(rf"^\| {int(r['mmsi'])} \|", section, re.M), r["mmsi"]
