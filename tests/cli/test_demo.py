from __future__ import annotations

import json
from collections import Counter
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.cli._demo import REAL_SAMPLE
from seawatch.store import Store, open_store

runner = CliRunner()


@pytest.fixture(scope="module")
def standoff(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Any], Any, str]:
    """The demo's standoff part, run once: the store, the brief, the evaluation, the output."""
    from rich.console import Console

    from seawatch.cli._demo import run_standoff

    store = open_store(tmp_path_factory.mktemp("standoff") / "store", create=True)
    out = StringIO()
    brief, evaluation = run_standoff(store, Console(file=out, width=200))
    return store, brief, evaluation, out.getvalue()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_demo_ingests_the_bundled_real_sample(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["demo", "--store", str(store), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "NOAA MarineCadastre" in result.stdout
    assert "(5 of 299 vessels)" in result.stdout
    # 2,391 rows in the bundled file; NOAA data has no receiver duplicates.
    positions = open_store(store).query(
        "SELECT count(*) AS n FROM positions WHERE ts < TIMESTAMPTZ '2022-01-04T00:00:00Z'"
    )
    assert positions.column("n")[0].as_py() == 2391
    # the real sample is real, the standoff scenario simulated (the manifest says which)
    sources = open_store(store).manifest()["sources"].values()
    # AIS inputs only: the demo's satellite detections file (issue #11, merged after this
    # test was written) is a source of another kind that records no simulated mark yet
    marks = {Path(v["path"]).name: v["simulated"] for v in sources if v.get("kind") != "detections"}
    assert marks == {REAL_SAMPLE: False, "standoff.nmea": True}
    assert "files marked simulated" in result.stdout


def test_demo_brief_keeps_the_simulated_part_apart(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    store, brief, _, printed = standoff
    data = brief["data"]
    assert data["real"] == {"positions": 0, "vessels": 0, "events": 0}
    assert data["simulated"]["positions"] == data["positions"] > 50_000
    assert data["simulated"]["events"] > 0
    assert all(store.events().column("simulated").to_pylist())
    assert "SIMULATED" in printed


def test_demo_twice_adds_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--store", str(store)]).exit_code == 0
    before = open_store(store).query("SELECT count(*) AS n FROM positions").column("n")[0]
    second = runner.invoke(app, ["demo", "--store", str(store)])
    assert second.exit_code == 0, second.output
    after = open_store(store).query("SELECT count(*) AS n FROM positions").column("n")[0]
    assert before == after


def test_demo_standoff_brief_matches_the_scenario_truth(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    """The standoff part: every count the brief prints is the scenario's ground truth, and
    the detections score precision and recall 1.0 per type."""
    from seawatch.cli._demo import standoff_path
    from seawatch.sim import load_scenario

    _, brief, evaluation, printed = standoff
    scenario_truth = load_scenario(standoff_path()).truth
    assert scenario_truth is not None
    truth = Counter(e.type for e in scenario_truth.events)
    counts = brief["counts"]
    assert counts["interceptions"] == truth["interception"] == 2
    assert counts["encounters"] == truth["encounter"] == 4
    # Engagements are incidents (issue #8): each interception is also an encounter of the
    # same pair at the same time, so 4 encounters and 2 interceptions are 4 engagements
    # (this test pinned the double count, 6, before incident ids existed).
    assert counts["engagements"] == 4
    assert len(brief["engagements"]) == 4
    assert sorted(tuple(e["kinds"]) for e in brief["engagements"]) == [
        ("encounter",),
        ("encounter",),
        ("encounter", "interception"),
        ("encounter", "interception"),
    ]
    assert counts["dark_gaps"] == truth["gap"] == 2
    assert counts["spoofing"] == truth["spoofing"] == 1
    assert counts["watchlist_hits"] == truth["watchlist_hit"] == 2
    assert {h["entry_name"].split(" [")[0] for h in brief["watchlist_hits"]} == {
        "PARAMACONI",
        "SANDINO",
    }
    assert all(h["list_date"] for h in brief["watchlist_hits"])
    by_region = {r["region"]: r["engagements"] for r in brief["engagements_by_region"]}
    assert by_region == {"caribbean": 2, "eastern-pacific": 2}  # was 3 and 3: double counted
    # every count says what it counts, with the detector's thresholds
    assert set(counts) <= set(brief["legend"])
    assert "500 m" in brief["legend"]["encounters"] and "2 h" in brief["legend"]["encounters"]
    assert "4 vessel engagements (4 with an encounter, 2 with an interception)" in printed
    assert "1 spoofing event;" in printed and "1 spoofing events" not in printed
    # Three warships; one comes inside Venezuela's 12 nm territorial sea.
    assert counts["naval_vessels_near"] == 3
    inside = [p for p in brief["naval_presence"] if p["hours_12nm"] > 0]
    assert len(inside) == 1
    assert evaluation.perfect, evaluation.to_dict()
    assert "Situation brief" in printed and "sanctions hits" in printed


def test_report_brief_json_on_the_demo_store(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    store, brief, _, _ = standoff
    root = str(store.root)
    window = ["--since", "2025-12-08", "--until", "2025-12-11"]
    regions = ["--region", "caribbean,eastern-pacific"]
    data = json.loads(_run("report", "--store", root, *regions, *window, "--format", "json"))
    assert data["counts"] == brief["counts"]
    assert data["regions"] == ["caribbean", "eastern-pacific"]
    # by flag: an interception counts under the interceptor's flag and the target's
    flags = {r["flag"]: r for r in data["engagements_by_flag"]}
    assert flags["US"]["interceptions"] == 2 and flags["VE"]["interceptions"] == 1
    assert flags["US"]["engagements"] == 2 and flags["US"]["n_vessels"] == 2
    # --flag VE: only engagements with a Venezuelan vessel (the boarded tanker)
    ve = json.loads(
        _run("report", "--store", root, *regions, *window, "--flag", "VE", "--format", "json")
    )
    assert ve["flags"] == ["VE"]
    assert ve["counts"]["interceptions"] == 1
    assert all(any(v["flag"] == "VE" for v in e["vessels"]) for e in ve["engagements"]), ve[
        "engagements"
    ]
    # --group law_enforcement: the coast guard cutter's interception in the Eastern Pacific
    le = json.loads(
        _run("report", "--store", root, *window, "--group", "law_enforcement", "--format", "json")
    )
    assert le["counts"]["interceptions"] == 1
    assert {e["region"] for e in le["engagements"]} == {"eastern-pacific"}
    table = _run("report", "--store", root, *regions, *window)
    assert "naval presence near VE" in table and "PARAMACONI" in table


def test_events_flag_and_group_filters(standoff: tuple[Store, dict[str, Any], Any, str]) -> None:
    store, _, _, _ = standoff
    root = str(store.root)
    tankers = [
        json.loads(x)
        for x in _run(
            "events", "--store", root, "--group", "tanker", "--format", "jsonl"
        ).splitlines()
    ]
    info = {r["mmsi"]: r for r in store.vessels().to_pylist()}
    assert tankers
    for e in tankers:
        assert any(info[m]["ship_group"] == "tanker" for m in e["vessels"]), e
    everything = store.events().num_rows
    assert len(tankers) < everything
    us_military = _run(
        "events", "--store", root, "--flag", "us", "--group", "military", "--format", "jsonl"
    )
    rows = [json.loads(x) for x in us_military.splitlines()]
    assert rows and all(
        any(info[m]["flag"] == "US" and info[m]["ship_group"] == "military" for m in e["vessels"])
        for e in rows
    )


def test_vessel_shows_sanctions_status(standoff: tuple[Store, dict[str, Any], Any, str]) -> None:
    store, _, _, _ = standoff
    root = str(store.root)
    tanker = json.loads(_run("vessel", "775100201", "--store", root, "--format", "json"))
    sanctions = tanker["watchlist"]
    assert sanctions["status"] == "hit"
    assert sanctions["lists"] == [{"name": "ofac_sdn", "date": "2024-05-03"}]
    hit = sanctions["hits"][0]
    assert hit["match"] == "imo" and hit["matched"] == "9543512"
    assert hit["entry_name"].startswith("PARAMACONI")
    assert "ON A WATCHLIST" in _run("vessel", "775100201", "--store", root)
    warship = json.loads(_run("vessel", "369970581", "--store", root, "--format", "json"))
    assert warship["watchlist"]["status"] == "no_hit" and warship["watchlist"]["hits"] == []
    assert "sanctions: no hit (screened: ofac_sdn (2024-05-03))" in _run(
        "vessel", "369970581", "--store", root
    )


def test_demo_news_claims_get_every_verdict(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    """The demo's news text: checkable claims, one contradicted, one unobservable."""
    from rich.console import Console

    from seawatch.claims import list_checks, list_claims
    from seawatch.cli._claims import check_news
    from seawatch.cli._demo import standoff_path

    store = standoff[0]
    out = StringIO()
    check_news(
        store,
        Console(file=out, width=200),
        standoff_path().with_name("standoff_news.txt"),
        published="2025-12-11",
    )
    checks = {c["claim_id"]: c for c in list_checks(store)}
    claims = {c.claim_id: c for c in list_claims(store)}
    assert set(checks) == set(claims) and len(claims) >= 5
    verdicts = Counter(c["verdict"] for c in checks.values())
    assert verdicts["contradicted"] == 1 and verdicts["unobservable"] == 1
    assert verdicts["supported"] >= 2 and verdicts["partly_supported"] >= 1
    dark = next(c for c in checks.values() if c["kind"] == "dark")
    assert dark["verdict"] == "contradicted" and dark["evidence"]["event_ids"]
    text = out.getvalue()
    assert "contradicted" in text and "unobservable" in text


def test_region_narrows_every_part_of_the_brief(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    """Issue #8: --region narrows naval presence and sanctions hits too (before, the
    Eastern Pacific brief listed the Caribbean warships and the Caribbean tankers' hits)."""
    store, brief, _, _ = standoff
    window = ["--since", "2025-12-08", "--until", "2025-12-11"]
    args = ["report", "--store", str(store.root), *window, "--format", "json"]
    pacific = json.loads(_run(*args, "--region", "Eastern-Pacific"))
    assert pacific["regions"] == ["eastern-pacific"]
    assert pacific["counts"]["naval_vessels_near"] == 0 and pacific["naval_presence"] == []
    assert pacific["counts"]["watchlist_hits"] == 0
    assert pacific["counts"]["engagements"] == 2 and pacific["counts"]["interceptions"] == 1
    assert "narrowed" in pacific["scope"]
    carib = json.loads(_run(*args, "--region", "caribbean"))
    assert carib["counts"]["naval_vessels_near"] == brief["counts"]["naval_vessels_near"] == 3
    assert carib["counts"]["watchlist_hits"] == brief["counts"]["watchlist_hits"] == 2
    everywhere = json.loads(_run(*args))
    assert everywhere["scope"] == "everywhere in the store"


def test_standoff_satellite_passes_show_dark_and_spoofed_tankers(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    """The passes over ALBA (spoofing onto land) and SANDINO (dark) reach the brief."""
    _, brief, _, out = standoff
    rows = brief["dark_vessels"]
    mismatch = [r for r in rows if r["type"] == "ais_mismatch"]
    assert [v["name"] for r in mismatch for v in r["vessels"]] == ["ALBA"]
    sandino = [r for r in rows if any(g["name"] == "SANDINO" for g in r.get("gap_candidates", []))]
    assert sandino and any(r["length_m"] and r["length_m"] > 150 for r in sandino)
    assert brief["counts"]["ais_mismatches"] == 1
    assert "dark vessels" in out


def test_vessel_shows_detections_while_dark(
    standoff: tuple[Store, dict[str, Any], Any, str],
) -> None:
    """`seawatch vessel SANDINO` lists the pass that imaged her while her AIS was silent."""
    store = standoff[0]
    out = _run("vessel", "352100478", "--store", str(store.root), "--format", "json")
    cands = json.loads(out)["dark_detections"]
    assert len(cands) == 1 and cands[0]["length_m"] > 150
    assert cands[0]["dist_m"] <= cands[0]["reach_m"]
    table = _run("vessel", "352100478", "--store", str(store.root))
    assert "candidate identity" in table


def test_the_warming_child_stops_with_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's second process (``seawatch._warm``) prepares detection in a temporary
    folder: it starts, writes its caches only where the caches live, and ends when the
    demo ends; it never runs on when the demo is over."""
    from seawatch._warm import start, stop
    from seawatch.cli._demo import real_sample_path, standoff_path

    monkeypatch.setenv("SEAWATCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    child = start(real_sample_path(), standoff_path())
    assert child is not None
    assert child.poll() is None
    stop(child)
    assert child.poll() is not None
    stop(child)  # a second stop, or a child already ended, is a no-op
    stop(None)
    assert {p.name for p in tmp_path.iterdir()} <= {"cache"}
