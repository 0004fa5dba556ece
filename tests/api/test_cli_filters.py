"""Issue #8 through the CLI runner, on the API's fixture store: the same validated filter
as the API (unknown values exit 2 and list the valid ones; several values everywhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seawatch.cli import app

runner = CliRunner()


def _ok(*args: str) -> str:
    r = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize(
    ("args", "needle", "listed"),
    [
        (["events", "--region", "carribean"], "did you mean 'caribbean'", "gulf-of-mexico"),
        (["events", "--type", "encounters"], "unknown type 'encounters'", "interception"),
        (["events", "--flag", "US,XX"], "unknown flag 'XX'", "VE"),
        (["events", "--group", "warship"], "unknown group 'warship'", "government"),
        (["events", "--zone", "atlantis"], "unknown zone 'atlantis'", "VE-eez"),
        (["report", "--region", "nowhere"], "unknown region 'nowhere'", "caribbean"),
        (["report", "--by", "flag", "--flag", "XX"], "unknown flag 'XX'", "VE"),
        (["report", "--country", "ZZ"], "unknown country 'ZZ'", "VE"),
        (["presence", "--country", "ZZ"], "unknown country 'ZZ'", "VE"),
        (["presence", "--country", "VE", "--flag", "US,XX"], "unknown flag 'XX'", "VE"),
        (["presence", "--country", "VE", "--group", "navy"], "unknown group 'navy'", "military"),
    ],
)
def test_unknown_values_exit_2_listing_the_valid_ones(
    store_dir: Path, args: list[str], needle: str, listed: str
) -> None:
    r = runner.invoke(app, [*args, "--store", str(store_dir)])
    assert r.exit_code == 2, r.output
    assert needle in r.output and listed in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


def test_events_filters_match_the_api(store_dir: Path, client: TestClient) -> None:
    root = str(store_dir)
    for cli, api in [
        (["--region", "Caribbean"], "region=caribbean"),
        (["--zone", "ve-eez"], "zone=VE-eez"),
        (["--flag", "bs,ve", "--group", "Tanker,cargo"], "flag=BS,VE&group=tanker,cargo"),
        (["--type", "gap,Loitering"], "type=gap,loitering"),
    ]:
        lines = _ok("events", "--store", root, "--format", "jsonl", *cli).splitlines()
        ids = sorted(json.loads(x)["event_id"] for x in lines)
        body = client.get("/api/events?" + api).json()
        assert ids == sorted(f["id"] for f in body["features"]), cli
        assert ids, cli  # each of these matches something in the fixture


def test_presence_takes_several_flags_as_events_does(store_dir: Path) -> None:
    root = str(store_dir)

    def mmsis(*args: str) -> set[int]:
        out = _ok("presence", "--store", root, "--country", "ve", "--format", "json", *args)
        rows = json.loads(out)["rows"]
        return {int(r["mmsi"]) for r in rows}

    bs, ve = mmsis("--flag", "BS"), mmsis("--flag", "VE")
    assert bs and ve
    assert mmsis("--flag", "BS,VE") == bs | ve == mmsis("--flag", "bs, ve")
    assert mmsis("--group", "cargo,law_enforcement") == mmsis("--group", "cargo") | mmsis(
        "--group", "law_enforcement"
    )
