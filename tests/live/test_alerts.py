"""Alert rules, cooldown, muting, and the webhook: down, then up (each alert once, in order)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pytest

from seawatch._exceptions import ParameterError
from seawatch.live import Alerter, JsonlSink, VesselInfo, WebhookSink, load_rules, mute
from seawatch.live._alerts import AlertSink

T0 = datetime(2025, 12, 8, tzinfo=UTC)

RULES = """
cooldown: 2h
rules:
  - name: watchlisted tanker goes dark in the Caribbean
    types: [gap]
    regions: [caribbean]
    groups: [tanker]
    watchlist: true
  - name: military vessel enters VE-territorial
    types: [zone_entry]
    zones: [VE-territorial]
    groups: [military]
  - name: an interception opens anywhere
    types: [interception]
    phases: [opened]
"""


def _change(
    eid: str, typ: str, vessels: list[int], *, hours: float = 0, **kw: Any
) -> dict[str, Any]:
    base = {
        "event_id": eid,
        "revision": 1,
        "change": "created",
        "status": "open",
        "reason": None,
        "at": T0,
        "type": typ,
        "start": T0 + timedelta(hours=hours),
        "end": T0 + timedelta(hours=hours + 1),
        "vessels": vessels,
        "lat": 11.0,
        "lon": -67.0,
        "region": "caribbean",
        "zone": None,
        "confidence": 0.9,
        "details": "{}",
        "fingerprint": "x",
    }
    base.update(kw)
    return base


class _Keep(AlertSink):
    def __init__(self) -> None:
        self.got: list[dict[str, Any]] = []

    def send(self, alert: dict[str, Any]) -> None:
        self.got.append(alert)


def _alerter(tmp_path: Path) -> tuple[Alerter, _Keep]:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES)
    vessels = pa.table(
        {
            "mmsi": pa.array([1, 2, 3], pa.uint32()),
            "flag": ["IR", "VE", "US"],
            "role": ["tanker", "military", "military"],
            "ship_group": ["tanker", "other", "other"],
        }
    )
    info = VesselInfo(lambda: vessels, lambda: [1])
    keep = _Keep()
    return Alerter(load_rules(rules_file), tmp_path, info, [keep]), keep


def test_rules_match_the_examples(tmp_path: Path) -> None:
    alerter, keep = _alerter(tmp_path)
    changes = [
        _change("g1", "gap", [1]),  # listed tanker: alert
        _change("g2", "gap", [2]),  # not a listed tanker
        _change("z1", "zone_entry", [2], zone="VE-territorial"),  # military: alert
        _change("z2", "zone_entry", [2], zone="CO-territorial"),
        _change("i1", "interception", [3, 1]),  # alert
        _change("i2", "interception", [3, 1], change="updated", revision=2),  # not opened
    ]
    alerts = alerter.process(changes, {"i2": "open"})
    assert [(a["rule"], a["event"]["event_id"]) for a in alerts] == [
        ("watchlisted tanker goes dark in the Caribbean", "g1"),
        ("military vessel enters VE-territorial", "z1"),
        ("an interception opens anywhere", "i1"),
    ]
    assert keep.got == alerts
    a = alerts[0]
    assert a["links"]["history"] == "/api/events/g1/history"
    assert a["links"]["evidence"][0].startswith("/api/vessels/1/track?since=2025-12-07T18:00:00Z")


def test_cooldown_and_mute(tmp_path: Path) -> None:
    alerter, _ = _alerter(tmp_path)
    # drifting in and out of the zone: entries 30 min apart alert once per 2 h cooldown
    entries = [
        _change(f"z{k}", "zone_entry", [2], zone="VE-territorial", hours=k * 0.5) for k in range(6)
    ]
    alerts = alerter.process(entries, {})
    assert [a["event"]["event_id"] for a in alerts] == ["z0", "z4"]
    assert alerter.suppressed == 4
    mute(tmp_path, 2, 3600)
    later = _change("z9", "zone_entry", [2], zone="VE-territorial", hours=10)
    assert alerter.process([later], {}) == [] and alerter.muted == 1


def test_bad_rules_are_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: x\n    typo: [gap]\n")
    with pytest.raises(ParameterError, match="unknown field"):
        load_rules(bad)
    bad.write_text("rules:\n  - phases: [sometimes]\n")
    with pytest.raises(ParameterError, match="unknown phase"):
        load_rules(bad)
    bad.write_text("!!python/object/apply:os.system ['true']\n")
    with pytest.raises(ParameterError):
        load_rules(bad)


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("types", "gapp", "did you mean 'gap'"),
        ("regions", "carribean", "did you mean 'caribbean'"),
        ("zones", "VE-territoral", "did you mean 'VE-territorial'"),
        ("flags", "XX", "unknown flag 'XX'"),
        ("groups", "warship", "unknown group 'warship'"),
    ],
)
def test_a_misspelt_value_is_an_error_not_a_rule_that_never_fires(
    tmp_path: Path, field: str, value: str, hint: str
) -> None:
    """Rule values go through the query layer's check, as every filter does: before, a
    rule for "gapp" or "carribean" loaded and never fired."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"rules:\n  - name: x\n    {field}: [{value}]\n")
    with pytest.raises(ParameterError, match="rule 1: unknown") as exc:
        load_rules(bad)
    assert hint in str(exc.value)


def test_rule_values_are_made_canonical(tmp_path: Path) -> None:
    from seawatch.report import vocabulary

    ok = tmp_path / "ok.yaml"
    ok.write_text(
        "rules:\n  - name: x\n    types: [Zone_Entry]\n    regions: [Caribbean]\n"
        "    zones: [ve-territorial]\n    flags: [ve]\n    groups: [Military]\n"
    )
    (rule,) = load_rules(ok)
    assert rule.types == frozenset({"zone_entry"}) and rule.regions == frozenset({"caribbean"})
    assert rule.zones == frozenset({"VE-territorial"}) and rule.flags == frozenset({"VE"})
    assert rule.groups == frozenset({"military"})
    # a store's own zones (``--zones FILE``) are valid where the store's vocabulary is given
    own = tmp_path / "own.yaml"
    own.write_text("rules:\n  - name: x\n    zones: [my-box]\n")
    with pytest.raises(ParameterError, match="unknown zone 'my-box'"):
        load_rules(own)
    store_events = pa.table({"region": [None], "zone": ["my-box"]})
    (rule,) = load_rules(own, vocab=vocabulary(store_events))
    assert rule.zones == frozenset({"my-box"})


def test_jsonl_file_sink(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    sink = JsonlSink(str(out))
    sink.send({"alert_id": "a", "x": 1})
    sink.close()
    assert json.loads(out.read_text()) == {"alert_id": "a", "x": 1}


class _Receiver(BaseHTTPRequestHandler):
    got: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).got.append(json.loads(body)["alert_id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.mark.timeout(30)
def test_webhook_down_then_up_delivers_once_in_order(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "deliveries.jsonl"
    sink = WebhookSink(f"http://127.0.0.1:{port}/hook", log_path=log, backoff_s=(0.05, 0.2))
    for k in range(5):
        sink.send({"alert_id": f"a{k}"})
    assert not sink.flush(timeout_s=0.5)  # the receiver is down: nothing delivered yet
    _Receiver.got = []
    server = HTTPServer(("127.0.0.1", port), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert sink.flush(timeout_s=15)
    finally:
        sink.close()
        server.shutdown()
        server.server_close()
    assert _Receiver.got == [f"a{k}" for k in range(5)]
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    assert sum(e["outcome"] == "delivered" for e in entries) == 5
    assert any(e["outcome"].startswith("error") for e in entries)


@pytest.mark.timeout(120)
def test_listener_alerts_when_an_interception_opens(tmp_path: Path) -> None:
    from seawatch.store import open_store
    from tests.live._livekit import live_run, scenario_nmea

    nmea = scenario_nmea("interception-diverted", tmp_path)
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(
        "rules:\n  - name: an interception opens anywhere\n    types: [interception]\n"
        "    phases: [opened, closed]\n"
    )
    store_dir = tmp_path / "live"
    keep = _Keep()
    store = open_store(store_dir, create=True)
    info = VesselInfo(store.vessels, lambda: [])
    alerter = Alerter(load_rules(rules_file), store_dir, info, [keep])
    live_run(nmea, store_dir, batches=3, alerter=alerter)
    phases = [(a["event"]["event_id"], a["phase"]) for a in keep.got]
    assert any(p == "opened" for _, p in phases) and any(p == "closed" for _, p in phases)
    final = set(open_store(store_dir).events(types=["interception"]).column("event_id").to_pylist())
    closed = {eid for eid, p in phases if p == "closed"}
    assert final <= closed  # every interception found was announced closed
