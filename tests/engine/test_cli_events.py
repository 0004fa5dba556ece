"""``seawatch detect``, ``events``, ``report`` and ``track`` through the CLI runner."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seawatch.cli import app
from seawatch.engine import run_detectors
from seawatch.store import Store
from tests.engine.conftest import WORLD

runner = CliRunner()


@pytest.fixture()
def detected(small_store: Store) -> Store:
    run_detectors(small_store, geo=WORLD, workers=1)
    return small_store


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_events_jsonl(detected: Store) -> None:
    out = _run("events", "--store", str(detected.root), "--format", "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == detected.events().num_rows >= 5
    keys = {
        "event_id", "type", "start", "end", "vessels", "lat", "lon", "duration_h", "region",
        "zone", "confidence", "details", "incident_id", "simulated",  # issue #8
    }  # fmt: skip
    for r in rows:
        assert set(r) == keys
        assert r["simulated"] is False  # real (unmarked) input
        assert r["start"].endswith("Z") and r["end"].endswith("Z")
        assert datetime.fromisoformat(r["start"]) <= datetime.fromisoformat(r["end"])
        assert all(isinstance(v, int) for v in r["vessels"])
        assert isinstance(r["details"], dict) and "params" in r["details"]
    enc = [r for r in rows if r["type"] == "encounter"]
    assert len(enc) == 1 and enc[0]["vessels"] == [201, 202]
    assert enc[0]["start"] == "2024-03-01T22:00:00Z"


def test_events_filters(detected: Store) -> None:
    root = str(detected.root)
    out = _run("events", "--store", root, "--format", "jsonl", "--type", "encounter,gap")
    assert {json.loads(x)["type"] for x in out.splitlines()} == {"encounter", "gap"}
    out = _run("events", "--store", root, "--format", "jsonl", "--vessel", "203")
    assert [json.loads(x)["vessels"] for x in out.splitlines()] == [[203]]
    out = _run(
        "events", "--store", root, "--format", "jsonl",
        "--since", "2024-03-02T00:30:00Z", "--until", "2024-03-03",
    )  # fmt: skip
    types = sorted(json.loads(x)["type"] for x in out.splitlines())
    assert types == ["encounter", "gap", "loitering", "loitering"]
    # a valid region with no events prints nothing; an unknown one is a usage error that
    # lists the valid regions (issue #8: it used to print nothing, silently)
    out = _run("events", "--store", root, "--format", "jsonl", "--region", "gulf-of-mexico")
    assert out == ""
    bad = runner.invoke(app, ["events", "--store", root, "--region", "nowhere"])
    assert bad.exit_code == 2
    assert "unknown region 'nowhere'" in bad.output and "test-sea" in bad.output


def test_events_csv_geojson_table(detected: Store) -> None:
    root = str(detected.root)
    rows = list(csv.DictReader(io.StringIO(_run("events", "--store", root, "--format", "csv"))))
    assert rows and rows[0].keys() >= {"event_id", "type", "start", "vessels", "details"}
    assert any(r["vessels"] == "201;202" for r in rows)
    gj = json.loads(_run("events", "--store", root, "--format", "geojson"))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == len(rows)
    f = gj["features"][0]
    assert f["geometry"]["type"] == "Point" and len(f["geometry"]["coordinates"]) == 2
    assert "event_id" in f["properties"]
    assert "encounter" in _run("events", "--store", root)


def test_report_formats(detected: Store) -> None:
    root = str(detected.root)
    data = json.loads(_run("report", "--store", root, "--format", "json"))
    by_type = {r["type"]: r for r in data["by_type"]}
    assert by_type["encounter"]["n_events"] == 1 and by_type["encounter"]["n_vessels"] == 2
    assert data["schema"] == "seawatch.brief/1"
    rows = list(
        csv.DictReader(
            io.StringIO(_run("report", "--store", root, "--by", "day", "--format", "csv"))
        )
    )
    assert {r["day"] for r in rows} == {"2024-03-01"}
    data = json.loads(
        _run(
            "report", "--store", root, "--by", "region", "--region", "test-sea", "--format", "json"
        )
    )
    assert data["schema"] == "seawatch.counts/1" and data["by"] == ["region", "type"]
    assert {r["region"] for r in data["rows"]} == {"test-sea"}
    assert "encounter" in _run("report", "--store", root, "--by", "flag")
    # the table says what it counts, when, and how much data it rests on
    table = " ".join(
        _run("report", "--store", root, "--by", "type", "--since", "2024-03-01T12:00Z").split()
    )
    assert "events by type, 2024-03-01T12:00:00Z to the last position (UTC)" in table
    n = detected.query(
        "SELECT count(*) AS n FROM positions WHERE ts >= '2024-03-01T12:00:00Z'::TIMESTAMPTZ"
    ).to_pylist()[0]["n"]
    assert f"the store's data in that period: {n:,} positions of" in table
    assert "n_incidents: incidents" in table
    # without --by, csv is the counts by type
    rows = list(csv.DictReader(io.StringIO(_run("report", "--store", root, "--format", "csv"))))
    assert {r["type"]: int(r["n_events"]) for r in rows}["encounter"] == 1
    assert "Situation brief" in _run("report", "--store", root)


def test_track(detected: Store) -> None:
    root = str(detected.root)
    f = json.loads(_run("track", "203", "--store", root))
    assert f["type"] == "Feature" and f["properties"]["schema"] == "seawatch.track/1"
    assert f["geometry"]["type"] == "LineString"
    assert len(f["geometry"]["coordinates"]) == f["properties"]["n_positions"] == 73
    assert f["properties"]["start"] == "2024-03-01T13:00:00Z"
    rows = list(
        csv.DictReader(io.StringIO(_run("track", "203", "--store", root, "--format", "csv")))
    )
    assert len(rows) == 73 and rows[0]["ts"] == "2024-03-01T13:00:00Z"
    missing = runner.invoke(app, ["track", "999", "--store", root])
    assert missing.exit_code == 1 and "999" in missing.output


def test_bad_options(detected: Store) -> None:
    root = str(detected.root)
    assert runner.invoke(app, ["events", "--store", root, "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["report", "--store", root, "--by", "month"]).exit_code == 2
    assert runner.invoke(app, ["report", "--store", root, "--type", "gap"]).exit_code == 2
    assert runner.invoke(app, ["events", "--store", root, "--group", "navy"]).exit_code == 2
    assert runner.invoke(app, ["events", "--store", root, "--since", "soon"]).exit_code == 2
    bad = runner.invoke(app, ["detect", "--store", root, "--only", "nonsense"])
    assert bad.exit_code == 1 and "nonsense" in bad.output


def test_detect_help_lists_every_parameter() -> None:
    from seawatch.engine import PRESETS

    result = runner.invoke(app, ["detect", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = result.output
    for name, params in PRESETS["default"].items():
        assert f"{name}:" in text
        for field in type(params).__dataclass_fields__:
            assert f"{field}=" in text, (name, field)
    assert "(gfw: 4)" in text  # encounter merge_gap_h


def test_detect_command(small_store: Store) -> None:
    result = runner.invoke(
        app,
        ["detect", "--store", str(small_store.root), "--only", "encounter,gap", "--workers", "1"],
    )
    assert result.exit_code == 0, result.output
    assert set(small_store.events().column("type").to_pylist()) <= {"encounter", "gap"}
    assert small_store.manifest()["events"]["runs"]["gap"]["preset"] == "default"


def test_detect_stage_bar_only_on_a_terminal(
    small_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stage bar where stderr is a terminal (the engine reports its stages to it), none
    elsewhere; the summary line either way."""
    import sys

    from seawatch.cli import _events

    with _events._stage_bar() as none:
        assert none is None  # pytest's stderr is not a terminal
    seen: list[str] = []
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with _events._stage_bar() as bar:
        assert bar is not None

        def progress(stage: str, done: int, total: int) -> None:
            seen.append(stage)
            bar(stage, done, total)

        run_detectors(small_store, geo=WORLD, workers=1, only="encounter", progress=progress)
    assert {"partition", "vessels", "pairs"} <= set(seen)
    result = runner.invoke(app, ["detect", "--store", str(small_store.root), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "1,139 positions in 1 bucket(s), preset default: encounter: 1" in result.stderr


def _zone_file(path: Path, name: str, box: tuple[float, float, float, float]) -> Path:
    lo0, la0, lo1, la1 = box
    ring = [[lo0, la0], [lo1, la0], [lo1, la1], [lo0, la1], [lo0, la0]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_detect_with_user_zones(small_store: Store, tmp_path: Path) -> None:
    # 203 loiters at (10.5 N, 2.0 E) from 13:00 to 19:00
    zf = _zone_file(tmp_path / "mine.geojson", "my-box", (1.9, 10.4, 2.1, 10.7))
    result = runner.invoke(
        app,
        [
            "detect", "--store", str(small_store.root), "--only", "zone_visit",
            "--workers", "1", "--zones", str(zf),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    ev = small_store.events().to_pylist()
    mine = [e for e in ev if e["zone"] == "my-box"]
    assert mine and {tuple(e["vessels"]) for e in mine} == {(203,)}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"type": "FeatureCollection", "features": []}', "no features"),
        ('{"type": "Feature", "properties": {"name": "a"}, "geometry": null}', "Polygon"),
        (
            '{"type": "Feature", "properties": {"name": "a"}, "geometry": '
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}',
            "invalid polygon",
        ),
        (
            '{"type": "Feature", "properties": {"name": "a"}, "geometry": '
            '{"type": "Polygon", "coordinates": [[[[[[0]]]]]]}}',
            "malformed coordinates",
        ),
        (
            '{"type": "Feature", "properties": {"name": "caribbean"}, "geometry": '
            '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}',
            "already a bundled zone",
        ),
        ("\xff\xfe", "cannot read zone file"),
    ],
)
def test_detect_bad_zone_file_is_one_line(
    small_store: Store, tmp_path: Path, text: str, needle: str
) -> None:
    zf = tmp_path / "bad.geojson"
    zf.write_bytes(text.encode("latin-1"))
    result = runner.invoke(app, ["detect", "--store", str(small_store.root), "--zones", str(zf)])
    assert result.exit_code == 1, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert small_store.events().num_rows == 0  # nothing ran


def test_detect_missing_zone_file(small_store: Store, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["detect", "--store", str(small_store.root), "--zones", str(tmp_path / "no.json")]
    )
    assert result.exit_code == 1 and "cannot read zone file" in result.output


def test_events_limit(detected: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table view shows the first events by start and says how many it left out; the
    machine formats return every event unless --limit says otherwise."""
    import seawatch.cli._events as cli_events

    root = str(detected.root)
    every = [
        json.loads(x) for x in _run("events", "--store", root, "--format", "jsonl").splitlines()
    ]
    n = len(every)
    assert n >= 5
    monkeypatch.setattr(cli_events, "TABLE_LIMIT", 2)
    result = runner.invoke(app, ["events", "--store", root], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    shown = [r["event_id"] for r in every[:2]]
    hidden = [r["event_id"] for r in every[2:]]
    assert all(e in result.stdout for e in shown)
    assert not any(e in result.stdout for e in hidden)
    assert f"2 of {n} events shown" in " ".join(result.stderr.split())
    # --limit 0: all of them, and the count says so
    result = runner.invoke(app, ["events", "--store", root, "--limit", "0"], env={"COLUMNS": "250"})
    assert all(r["event_id"] in result.stdout for r in every)
    assert f"{n} events" in result.stderr and "shown" not in result.stderr
    # machine formats: all by default, the first N with --limit (the same first N)
    assert len(_run("events", "--store", root, "--format", "csv").splitlines()) == n + 1
    two = _run("events", "--store", root, "--format", "jsonl", "--limit", "2").splitlines()
    assert [json.loads(x) for x in two] == every[:2]
    bad = runner.invoke(app, ["events", "--store", root, "--limit", "-1"])
    assert bad.exit_code == 2


def _notes(*args: str) -> list[str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines() if line.startswith("note: ")]


def test_an_empty_listing_says_what_the_store_cannot_match(detected: Store) -> None:
    """A typo must not read as a finding: an MMSI the store never heard, a period outside
    its positions, a type it has none of are named beside "0 events"; a zero that is a
    finding (a vessel the store knows, with no event of that type) gets no note."""
    root = str(detected.root)
    assert _notes("events", "--store", root, "--vessel", "20100") == [
        "note: no vessel with MMSI 20100 in this store (no position or static report); an "
        "MMSI has 9 digits"
    ]
    period = _notes("events", "--store", root, "--since", "2030-01-01")
    assert len(period) == 1 and "2024-03-01 to 2024-03-02 (UTC days)" in period[0]
    assert "2030-01-01T00:00:00Z to the end" in period[0]
    assert _notes("events", "--store", root, "--type", "identity_change") == [
        "note: the store has no identity_change event at all (its detector ran on it)"
    ]
    assert _notes("events", "--store", root, "--vessel", "203", "--type", "encounter") == []
    assert _notes("events", "--store", root, "--vessel", "201") == []  # it has events
    assert _notes("events", "--store", root, "--flag", "VE") == [
        "note: no vessel flagged VE in this store"
    ]


def test_an_undetected_store_says_so(small_store: Store) -> None:
    notes = _notes("events", "--store", str(small_store.root), "--format", "jsonl")
    assert notes == ["note: the store has no events: detection has not run on it (seawatch detect)"]


def test_a_detection_that_found_nothing_is_not_called_not_run(small_store: Store) -> None:
    """Zero events after a run is a finding; zero because a detector never ran is not: the
    notes tell them apart, per type."""
    run_detectors(small_store, geo=WORLD, workers=1, only="identity_change")
    assert small_store.events().num_rows == 0
    root = str(small_store.root)
    assert _notes("events", "--store", root) == [
        "note: the store has no events: detection ran on it and found none"
    ]
    assert _notes("events", "--store", root, "--type", "identity_change") == [
        "note: the store has no events: detection ran on it and found none",
        "note: the store has no identity_change event at all (its detector ran on it)",
    ]
    assert _notes("events", "--store", root, "--type", "encounter") == [
        "note: the store has no events: detection ran on it and found none",
        "note: the store has no encounter event at all: its detector has not run on it "
        "(seawatch detect --only ...)",
    ]
