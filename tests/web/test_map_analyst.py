"""The map opens on the analyst's layers, takes and shows UTC times, draws satellite
detections by status and lists the claims of the period beside the events; the report page
shows the situation brief (naval presence included) and the claims (headless Chromium)."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from seawatch.cli._brief import headline
from tests.api._detstore import ATLANTIC_SCENE, CLAIMS

pytestmark = pytest.mark.browser

# the fixture's six analyst events: encounter, two loiterings, gap, two dark detections;
# off by default: its zone entry, port visit and the detected_by link of the matched detection
ANALYST_EVENTS = 6

DETECTION_AT_JS = """(status) => {
  // a detection of this status drawn where a click reaches the map canvas
  const m = window.seawatch.map;
  const canvas = m.getCanvas();
  const r = canvas.getBoundingClientRect();
  for (const f of m.queryRenderedFeatures({layers: ['detections']})) {
    if (f.properties.status !== status) continue;
    const p = m.project(f.geometry.coordinates);
    const x = p.x + r.left, y = p.y + r.top;
    if (document.elementFromPoint(x, y) === canvas) return {x: x, y: y};
  }
  return null;
}"""


def wait_ready(page: Any) -> None:
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=60_000)
    page.wait_for_function(
        "() => window.seawatch.map.loaded() && !window.seawatch.map.isMoving()", timeout=30_000
    )
    page.wait_for_timeout(300)


def api_params(page: Any, path: str) -> list[dict[str, list[str]]]:
    """The query parameters of every request the page made to ``path``."""
    return [parse_qs(urlparse(u).query) for u in page.requests if urlparse(u).path == path]


@pytest.fixture
def auckland_page(browser: Any) -> Iterator[Any]:
    """A page whose browser runs in New Zealand time (UTC+13 in January)."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, timezone_id="Pacific/Auckland"
    )
    pg = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("request", lambda req: requests.append(req.url))
    pg.errors = errors
    pg.requests = requests
    try:
        yield pg
    finally:
        context.close()


def test_map_opens_on_the_analyst_layers(page: Any, det_server: str) -> None:
    page.goto(det_server + "/#lon=-75&lat=18&z=4")
    wait_ready(page)
    assert page.evaluate("() => window.seawatch.eventsLoaded") == ANALYST_EVENTS
    sent = api_params(page, "/api/events")[-1]["type"][0].split(",")
    assert {"encounter", "loitering", "gap", "dark_detection"} <= set(sent)
    assert not {"zone_entry", "port_visit", "detected_by"} & set(sent)
    boxes = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#legend-list input')]"
        ".map((x) => [x.dataset.type, x.checked]))"
    )
    assert boxes["encounter"] and boxes["gap"] and boxes["dark_detection"]
    assert not boxes["zone_entry"] and not boxes["port_visit"]
    # the user turns zone entries on: one more event, and the URL keeps the choice
    page.check("#legend-list input[data-type='zone_entry']")
    page.wait_for_function(f"() => window.seawatch.eventsLoaded === {ANALYST_EVENTS + 1}")
    assert "zone_entry" in page.evaluate("() => location.hash")
    # every type unticked: nothing drawn, no error
    page.evaluate("() => { location.hash = 'type=none'; }")
    page.wait_for_function("() => window.seawatch.eventsLoaded === 0")
    assert page.inner_text("#status") == "0 events shown"
    assert page.locator("#legend-list input:checked").count() == 0
    # reset: the analyst's layers again
    page.click("#f-reset")
    page.wait_for_function(f"() => window.seawatch.eventsLoaded === {ANALYST_EVENTS}")
    assert page.errors == []


def test_time_inputs_are_utc(auckland_page: Any, det_server: str) -> None:
    page = auckland_page
    page.goto(det_server + "/#lon=-75&lat=18&z=4")
    wait_ready(page)
    # the browser is in Auckland (UTC+13 in January) ...
    assert page.evaluate("() => new Date(Date.UTC(2022, 0, 3)).getTimezoneOffset()") == -780
    for sel in ("#f-since", "#f-until"):
        assert page.get_attribute(sel, "type") == "text"
        assert "UTC" in page.inner_text(f"label:has({sel})")
    # ... and what is typed is UTC: the filter sent is that instant, shown back with its Z
    page.fill("#f-since", "2022-01-03 12:00")
    page.press("#f-since", "Tab")
    page.wait_for_function("() => location.hash.includes('since=2022-01-03T12:00:00Z')")
    page.wait_for_function("() => window.seawatch.eventsLoaded === 3")  # loitering x2, gap
    assert page.input_value("#f-since") == "2022-01-03T12:00Z"
    assert api_params(page, "/api/events")[-1]["since"] == ["2022-01-03T12:00:00Z"]
    assert api_params(page, "/api/detections")[-1]["since"] == ["2022-01-03T12:00:00Z"]
    page.fill("#f-until", "2022-01-04")
    page.press("#f-until", "Tab")
    page.wait_for_function("() => location.hash.includes('until=2022-01-04T00:00:00Z')")
    assert page.input_value("#f-until") == "2022-01-04T00:00Z"
    # a time that does not exist is refused, and the filter stays
    n = len(page.requests)
    page.fill("#f-until", "2022-02-30")
    page.press("#f-until", "Tab")
    page.wait_for_timeout(300)
    assert page.evaluate("() => document.getElementById('f-until').validity.valid") is False
    assert "until=2022-01-04T00:00:00Z" in page.evaluate("() => location.hash")
    assert not any("/api/events" in u for u in page.requests[n:])
    # a shared URL fills the inputs in UTC, not in the browser's zone
    page.goto(det_server + "/#since=2022-01-03T10:00:00Z&type=gap")
    page.reload()
    wait_ready(page)
    assert page.input_value("#f-since") == "2022-01-03T10:00Z"
    # times in the event panel say UTC
    eid = page.evaluate("() => window.seawatch.events.features[0].properties.event_id")
    page.evaluate(f"() => window.seawatch.selectEvent('{eid}', false)")
    page.wait_for_function(f"() => document.getElementById('panel').innerText.includes('{eid}')")
    assert "2022-01-03 16:30 UTC" in page.inner_text("#panel")  # the gap starts 16:30 UTC
    assert page.errors == []


def test_detections_layer(page: Any, det_server: str) -> None:
    page.goto(det_server + "/#lon=-67.3&lat=12.01&z=10")
    wait_ready(page)
    page.wait_for_function("() => window.seawatch.detectionsLoaded === 3")
    drawn = page.evaluate(
        "() => window.seawatch.map.queryRenderedFeatures({layers: ['detections']})"
        ".map((f) => f.properties.status).sort()"
    )
    assert drawn == ["dark", "matched"]  # the third is in the Atlantic, off this view
    colors = page.evaluate(
        "() => Object.fromEntries(window.seawatch.map.queryRenderedFeatures("
        "{layers: ['detections']}).map((f) => [f.properties.status, "
        "JSON.stringify(f.layer.paint['circle-color'])]))"
    )
    assert colors["dark"] != colors["matched"]  # told apart on the map
    legend = page.inner_text("#det-legend")
    assert "matched to AIS" in legend and "dark (no AIS match)" in legend
    assert "no AIS coverage" in legend
    counts = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('#det-legend li')]"
        ".map((li) => [li.dataset.status, li.querySelector('.count').textContent]))"
    )
    assert counts == {"matched": "1", "dark": "1", "no_ais_coverage": "1"}

    where = page.evaluate(DETECTION_AT_JS, "dark")
    assert where is not None
    page.mouse.click(where["x"], where["y"])
    page.wait_for_selector(".det-popup", timeout=10_000)
    popup = page.inner_text(".det-popup")
    assert "dark (no AIS match)" in popup
    assert "2022-01-03 10:00 UTC" in popup
    assert "sentinel1" in popup and "S1A_FIXTURE_CARIB" in popup and "60 m" in popup

    where = page.evaluate(DETECTION_AT_JS, "matched")
    assert where is not None
    page.mouse.click(where["x"], where["y"])
    page.wait_for_function(
        "() => document.querySelector('.det-popup') && "
        "document.querySelector('.det-popup').innerText.includes('NORDIC STAR')"
    )
    popup = page.inner_text(".det-popup")
    assert "matched to AIS" in popup and "311000001" in popup and "100 m" in popup
    # the unidentified one, whose scene id is markup: shown as text, never run
    page.evaluate("() => window.seawatch.map.jumpTo({center: [-60, 20], zoom: 9})")
    page.wait_for_function("() => !window.seawatch.map.isMoving() && window.seawatch.map.loaded()")
    page.wait_for_timeout(300)
    where = page.evaluate(DETECTION_AT_JS, "no_ais_coverage")
    assert where is not None
    page.mouse.click(where["x"], where["y"])
    page.wait_for_function(
        "() => document.querySelector('.det-popup') && "
        "document.querySelector('.det-popup').innerText.includes('no AIS coverage')"
    )
    popup = page.inner_text(".det-popup")
    assert ATLANTIC_SCENE in popup and "no AIS vessel was heard" in popup
    assert page.locator(".det-popup img").count() == 0
    assert page.evaluate("() => window.pwned") is None
    # the layer can be turned off
    page.uncheck("#det-on")
    page.wait_for_timeout(300)
    assert (
        page.evaluate(
            "() => window.seawatch.map.queryRenderedFeatures({layers: ['detections']}).length"
        )
        == 0
    )
    assert page.errors == []


def test_naval_presence_panel(page: Any, det_server: str) -> None:
    page.goto(det_server + "/#lon=-75&lat=18&z=4")
    wait_ready(page)
    page.wait_for_function("() => window.seawatch.navalLoaded === 1")
    assert "Naval presence near VE (1 vessels)" in page.inner_text("#naval-title")
    row = page.evaluate(
        "() => [...document.querySelectorAll('#naval-list tr[data-mmsi]')]"
        ".map((tr) => [...tr.cells].map((c) => c.textContent))"
    )
    # the same vessel and hours as the brief's naval presence
    with urllib.request.urlopen(det_server + "/api/brief", timeout=30) as r:
        naval = json.load(r)["naval_presence"]
    assert len(naval) == 1 and len(row) == 1
    assert row[0][:3] == [naval[0]["name"], naval[0]["flag"], "law enforcement"]
    assert row[0][3] == f"{naval[0]['hours_12nm']:.1f}"
    assert row[0][4] == f"{naval[0]['hours_200nm']:.1f}"
    page.click("#naval-list a.vessel")
    page.wait_for_selector("ol.timeline, #panel-body p.muted", timeout=30_000)
    assert "GUARDACOSTAS 1" in page.inner_text("#panel")
    assert page.errors == []


def test_claims_panel(page: Any, det_server: str) -> None:
    page.goto(det_server + "/#lon=-75&lat=18&z=4")
    wait_ready(page)
    page.wait_for_function("() => window.seawatch.claimsLoaded === 2")
    items = page.evaluate(
        "() => [...document.querySelectorAll('#claims-list li')].map((li) => ({"
        "verdict: li.querySelector('.verdict').textContent,"
        "sentence: li.querySelector('.sentence').textContent.trim(),"
        "links: [...li.querySelectorAll('a.evidence')].map((a) => a.dataset.id)}))"
    )
    by_sentence = {i["sentence"]: i for i in items}
    assert by_sentence[CLAIMS[0]["sentence"]]["verdict"] == "supported"
    assert by_sentence[CLAIMS[1]["sentence"]]["verdict"] == "partly supported"
    # an untrusted sentence is shown as written, never parsed as HTML
    assert "<b>ships</b>" in page.inner_text("#claims-list")
    assert page.locator("#claims-list b").count() == 0
    # the evidence link opens the event and zooms to it
    gap = by_sentence[CLAIMS[0]["sentence"]]["links"]
    assert len(gap) == 1
    page.click(f"#claims-list a.evidence[data-id='{gap[0]}']")
    page.wait_for_selector("#panel:not([hidden])", timeout=30_000)
    page.wait_for_function(f"() => document.getElementById('panel').innerText.includes('{gap[0]}')")
    assert page.inner_text("#panel-body h2").lower() == "gap"
    page.wait_for_function("() => !window.seawatch.map.isMoving()")
    assert page.evaluate("() => window.seawatch.map.getZoom()") >= 7
    # the claims follow the region filter: none is about the Gulf of Mexico
    page.select_option("#f-region", "gulf-of-mexico")
    page.wait_for_function("() => window.seawatch.claimsLoaded === 0")
    assert "no claims" in page.inner_text("#claims-panel")
    assert page.errors == []


def test_report_page_brief_and_claims(auckland_page: Any, det_server: str) -> None:
    page = auckland_page
    page.goto(det_server + "/report")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    with urllib.request.urlopen(det_server + "/api/brief", timeout=30) as r:
        brief = json.load(r)
    # the headline says what the CLI's says, with the same numbers
    assert page.inner_text("#brief-headline") == headline(brief)
    assert "1 vessel engagement (1 with an encounter, 0 with an interception)" in headline(brief)
    data = page.inner_text("#brief-data")
    assert "UTC dates" in data and f"{brief['data']['positions']:,} positions" in data
    # naval presence: the coast guard, its hours within each range and why it counts
    naval = page.inner_text("#brief-naval")
    assert "GUARDACOSTAS 1" in naval and "law enforcement" in naval
    assert "name prefix GUARDACOSTAS" in naval and "hours within 12 nm" in naval
    assert "Naval presence near VE" in page.inner_text("#brief")
    assert "NORDIC STAR" in page.inner_text("#brief-engagements")
    assert "LIB TRADER (LR, cargo)" in page.inner_text("#brief-dark")  # its latest name
    assert "no AIS match" in page.inner_text("#brief-detections")
    # the claims, with verdicts and links to their evidence on the map
    claims = page.inner_text("#claims")
    assert "supported" in claims and "partly supported" in claims
    assert "<b>ships</b>" in claims and page.locator("#claims b").count() == 0
    hrefs = page.evaluate("() => [...document.querySelectorAll('#claims a')].map((a) => a.href)")
    assert hrefs and all("/#event=" in h for h in hrefs)
    # the period typed in Auckland is sent as the UTC instant
    page.fill("#f-since", "2022-02-01")
    page.press("#f-since", "Tab")
    page.wait_for_function("() => location.search.includes('since=2022-02-01T00')")
    page.wait_for_function(
        "() => document.getElementById('claims').innerText.includes('no claims')"
    )
    assert api_params(page, "/api/brief")[-1]["since"] == ["2022-02-01T00:00:00Z"]
    assert page.inner_text("#brief-headline").startswith("0 vessel engagements")
    assert page.errors == []
