"""One query layer, one record layer (DESIGN.md §12): the same queries through the CLI
(``events --format jsonl``/``json``), the API (``/api/events``) and Python
(``Store.events(...)`` + :func:`seawatch.report.records.event_records`) give the same
records; filter values are bound parameters, never SQL text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seawatch.api import create_app
from seawatch.cli import app
from seawatch.report.records import EVENT_FIELDS, event_records
from seawatch.schema import EVENTS
from seawatch.store import EventQuery, event_where, open_store
from tests.api._apistore import T0, build_store, event_rows
from tests.api._schemas import validator as _validator

runner = CliRunner()


def _events() -> pa.Table:
    rows = event_rows()
    # the first two overlap and share an incident; two are marked simulated, one real
    rows[1]["incident_id"] = rows[0]["event_id"]
    rows[0]["incident_id"] = rows[0]["event_id"]
    rows[0]["simulated"] = True
    rows[4]["simulated"] = True
    rows[2]["simulated"] = False
    rows[3]["confidence"] = 0.5
    rows[5]["confidence"] = 0.85
    return pa.Table.from_pylist(rows, schema=EVENTS)


@pytest.fixture(scope="module")
def same_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("same-records"), events=_events())


@pytest.fixture(scope="module")
def same_client(same_store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(same_store), base_url="http://127.0.0.1") as c:
        yield c


@dataclass(frozen=True)
class Case:
    cli: tuple[str, ...]
    api: str
    py: dict[str, Any]


INCIDENT = str(event_rows()[0]["event_id"])
SINCE = (T0 + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
UNTIL = (T0 + timedelta(hours=35)).strftime("%Y-%m-%dT%H:%M:%SZ")

CASES: dict[str, Case] = {
    "all": Case((), "", {}),
    "type": Case(("--type", "encounter,gap"), "type=encounter,gap", {"types": ["encounter", "gap"]}),
    "region": Case(("--region", "gulf-of-mexico"), "region=gulf-of-mexico", {"regions": "gulf-of-mexico"}),
    "zone": Case(("--zone", "VE-eez"), "zone=VE-eez", {"zones": ["VE-eez"]}),
    "vessel": Case(("--vessel", "311000001"), "vessel=311000001", {"vessels": 311000001}),
    "time": Case(("--since", SINCE, "--until", UNTIL), f"since={SINCE}&until={UNTIL}", {"since": SINCE, "until": UNTIL}),
    "flag": Case(("--flag", "US"), "flag=US", {"flags": ["US"]}),
    "group": Case(("--group", "tanker"), "group=tanker", {"groups": ["tanker"]}),
    "bbox": Case(("--bbox", "-70,11,-66,13"), "bbox=-70,11,-66,13", {"bbox": (-70.0, 11.0, -66.0, 13.0)}),
    "antimeridian": Case(("--bbox", "-67,-90,-90,90"), "bbox=-67,-90,-90,90", {"bbox": (-67.0, -90.0, -90.0, 90.0)}),
    "incident": Case(("--incident", INCIDENT), f"incident={INCIDENT}", {"incidents": [INCIDENT]}),
    "confidence": Case(("--min-confidence", "0.8"), "min_confidence=0.8", {"min_confidence": 0.8}),
    "simulated": Case(("--simulated",), "simulated=true", {"simulated": True}),
    "real": Case(("--real",), "simulated=false", {"simulated": False}),
    "combined": Case(
        ("--type", "loitering,port_visit", "--region", "gulf-of-mexico", "--since", SINCE),
        f"type=loitering,port_visit&region=gulf-of-mexico&since={SINCE}",
        {"types": ["loitering", "port_visit"], "regions": ["gulf-of-mexico"], "since": SINCE},
    ),
}  # fmt: skip


def _cli(store: Path, fmt: str, *args: str) -> str:
    r = runner.invoke(app, ["events", "--store", str(store), "--format", fmt, *args])
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_api_and_python_give_the_same_records(
    name: str, same_store: Path, same_client: TestClient
) -> None:
    case = CASES[name]
    py = list(event_records(open_store(same_store).events(**case.py)))
    cli = [json.loads(line) for line in _cli(same_store, "jsonl", *case.cli).splitlines()]
    doc = json.loads(_cli(same_store, "json", *case.cli))
    body = same_client.get("/api/events?" + case.api)
    assert body.status_code == 200, body.text
    api = [f["properties"] for f in body.json()["features"]]
    assert cli == py and api == py and doc["events"] == py, name
    assert doc["schema"] == "seawatch.events/1"
    assert all(list(r) == list(EVENT_FIELDS) for r in py)
    # every filter selects something, and (but "all") not everything
    assert 0 < len(py) <= 6 and (name == "all" or len(py) < 6), (name, len(py))


def test_records_round_confidence_and_carry_simulated(same_store: Path) -> None:
    recs = {r["event_id"]: r for r in event_records(open_store(same_store).events())}
    rows = event_rows()
    assert recs[str(rows[5]["event_id"])]["confidence"] == 0.85  # float32 0.8500000238...
    assert recs[str(rows[0]["event_id"])]["simulated"] is True
    assert recs[str(rows[2]["event_id"])]["simulated"] is False
    assert recs[str(rows[3]["event_id"])]["simulated"] is None
    assert recs[str(rows[1]["event_id"])]["incident_id"] == rows[0]["event_id"]


INJECTIONS = (
    "' OR '1'='1",
    "x') OR 1=1 --",
    "VE'; DROP TABLE events; --",
    '" OR ""="',
    "caribbean' UNION SELECT * FROM positions --",
)


@pytest.mark.parametrize("text", INJECTIONS)
def test_filter_values_are_bound_never_formatted(
    text: str, same_store: Path, same_client: TestClient
) -> None:
    store = open_store(same_store)
    for field in ("types", "regions", "zones", "flags", "groups", "incidents"):
        kw: dict[str, Any] = {field: [text]}
        got = store.events(**kw)
        assert got.num_rows == 0, (field, text)
    assert store.events().num_rows == 6  # nothing was dropped
    where, args = event_where(EventQuery(flags=(text,), incidents=(text,), zones=(text,)))
    assert text not in where and args.count(text) == 3
    r = same_client.get("/api/events", params={"incident": text})
    assert r.status_code == 200 and r.json()["features"] == []
    assert json.loads(_cli(same_store, "json", "--incident", text))["events"] == []
    r = same_client.get("/api/vessels", params={"q": text})
    assert r.status_code == 200


def test_compiled_sql_is_portable() -> None:
    from seawatch.detect.sql import check_portable

    q = EventQuery(
        types=("gap",),
        regions=("caribbean",),
        zones=("VE-eez",),
        vessels=(1, 2),
        flags=("VE",),
        groups=("military",),
        since=T0,
        until=T0 + timedelta(days=1),
        bbox=(170.0, -10.0, -170.0, 10.0),
        incidents=("a",),
        min_confidence=0.5,
        simulated=False,
    )
    where, args = event_where(q)
    check_portable(f"SELECT * FROM events {where}")
    assert where.count("?") == len(args) == 16


def test_output_file_is_written_whole_or_not_at_all(same_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.geojson"
    stdout = _cli(same_store, "geojson")
    assert _cli(same_store, "geojson", "-o", str(out)) == ""
    assert out.read_text(encoding="utf-8") == stdout
    doc = json.loads(stdout)
    assert doc["schema"] == "seawatch.events-geojson/1" and len(doc["features"]) == 6
    bad = tmp_path / "bad.json"
    r = runner.invoke(app, ["events", "--store", str(same_store), "--flag", "XX", "-o", str(bad)])
    assert r.exit_code == 2 and not bad.exists()
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_documents_validate_against_the_published_schemas(
    same_store: Path, same_client: TestClient
) -> None:
    events = _validator("events")
    events.validate(json.loads(_cli(same_store, "json")))
    geojson = _validator("events-geojson")
    geojson.validate(json.loads(_cli(same_store, "geojson")))
    geojson.validate(same_client.get("/api/events").json())
    counts = _validator("counts")
    for by in ("type", "flag", "day", "region"):
        r = runner.invoke(
            app, ["report", "--store", str(same_store), "--by", by, "--format", "json"]
        )
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        assert doc["rows"], by
        counts.validate(doc)
    # the schemas do reject a record with an old field name or no simulated
    bad = json.loads(_cli(same_store, "json"))
    bad["events"][0]["n_points"] = 1
    assert not events.is_valid(bad)
    del bad["events"][0]["n_points"], bad["events"][0]["simulated"]
    assert not events.is_valid(bad)


def test_output_option_on_query_and_vessel(same_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "q.json"
    sql = "SELECT mmsi FROM vessels ORDER BY mmsi"
    r = runner.invoke(
        app, ["query", "--store", str(same_store), "--format", "json", "-o", str(out), sql]
    )
    assert r.exit_code == 0, r.output
    assert [row["mmsi"] for row in json.loads(out.read_text(encoding="utf-8"))] == sorted(
        [311000001, 775000002, 636000003, 367000004]
    )
    vessel = tmp_path / "v.json"
    args = ["vessel", "311000001", "--store", str(same_store), "--format", "json"]
    r = runner.invoke(app, [*args, "-o", str(vessel)])
    assert r.exit_code == 0, r.output
    doc = json.loads(vessel.read_text(encoding="utf-8"))
    assert doc["schema"] == "seawatch.vessel/1" and doc["n_positions"] > 0
    py = list(event_records(open_store(same_store).events(vessels=311000001)))
    assert doc["events"] == py and len(py) == 2


@pytest.mark.parametrize("mmsi", [311000001, 775000002, 636000003, 367000004])
def test_the_vessel_profile_is_one_record(
    same_store: Path, same_client: TestClient, mmsi: int
) -> None:
    # seawatch vessel --format json and /api/vessels/{mmsi}: the same document
    r = runner.invoke(app, ["vessel", str(mmsi), "--store", str(same_store), "--format", "json"])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    api = same_client.get(f"/api/vessels/{mmsi}").json()
    assert cli == api
    assert cli["schema"] == "seawatch.vessel/1" and cli["n_events"] == len(cli["events"])
    _validator("vessel").validate(cli)
    few = same_client.get(f"/api/vessels/{mmsi}", params={"max_events": 1}).json()
    assert few["events"] == cli["events"][:1] and few["n_events"] == cli["n_events"]


@pytest.mark.parametrize(
    ("by", "extra"),
    [("type", []), ("flag", []), ("region", ["--region", "caribbean"]), ("day", ["--type", "gap"])],
)
def test_counts_are_one_document(
    same_store: Path, same_client: TestClient, by: str, extra: list[str]
) -> None:
    # seawatch report --by KEY --format json and /api/report?by=KEY,type: the same document
    args = ["report", "--store", str(same_store), "--by", by, "--format", "json", *extra]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    params = {"by": "type" if by == "type" else f"{by},type"}
    params.update(dict(zip(extra[::2], extra[1::2], strict=True)))
    params = {k.lstrip("-"): v for k, v in params.items()}
    api = same_client.get("/api/report", params=params).json()
    assert cli == api and cli["rows"]
    _validator("counts").validate(cli)


def test_min_confidence_compares_in_the_columns_type(same_store: Path) -> None:
    # confidence is float32: 0.9 is stored as 0.899999976..., and 0.9 must still select it
    store = open_store(same_store)
    assert store.events(min_confidence=0.9).num_rows == 4
    assert store.events(min_confidence=0.85).num_rows == 5
    assert store.events(min_confidence=0.9000001).num_rows == 0


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ("-70,11,-66", "four numbers"),
        ("-70,11,x,13", "four numbers"),
        ("-70,11,-66,nan", "four numbers"),
        ("-70,13,-66,11", "min_lat <= max_lat"),
        ("-190,11,-66,13", "longitudes"),
    ],
)
def test_a_bad_bbox_is_refused_alike_everywhere(
    same_store: Path, same_client: TestClient, bbox: str, message: str
) -> None:
    """One bbox check (``seawatch.report.parse_bbox``): the CLI refuses it as a usage
    error (exit 2), the API with 422, Python with a ParameterError, in the same words
    (the API's query pattern refuses text that is not four numbers before it)."""
    from seawatch import open_store as open_py
    from seawatch._exceptions import ParameterError

    cli = runner.invoke(app, ["events", "--store", str(same_store), "--bbox", bbox])
    assert cli.exit_code == 2, cli.output
    assert message in re.sub(r"[\s│╭╮╰╯─]+", " ", cli.output)  # rich wraps it in a box
    api = same_client.get("/api/events", params={"bbox": bbox})
    assert api.status_code == 422
    assert message in api.text if "numbers" not in message else "bbox" in api.text
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        open_py(same_store).events(bbox=tuple(bbox.split(",")))  # type: ignore[arg-type]
