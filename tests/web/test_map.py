"""The map and report pages in headless Chromium (Playwright), against ``seawatch serve``.

Run with ``pytest -m browser tests/web`` (needs ``apt-get install -y chromium``).
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CLICK_TARGET_JS = """(type) => {
  // an event of this type drawn where a click reaches the map (not under the legend or a panel)
  const m = window.seawatch.map;
  const canvas = m.getCanvas();
  const r = canvas.getBoundingClientRect();
  for (const f of m.queryRenderedFeatures({layers: ['events']})) {
    if (f.properties.type !== type) continue;
    const p = m.project(f.geometry.coordinates);
    const x = p.x + r.left, y = p.y + r.top;
    if (document.elementFromPoint(x, y) === canvas) {
      return {x: x, y: y, id: f.properties.event_id};
    }
  }
  return null;
}"""


def rendered(page: Any, layer: str) -> int:
    n: int = page.evaluate(
        f"() => window.seawatch.map.queryRenderedFeatures({{layers: ['{layer}']}}).length"
    )
    return n


def wait_idle(page: Any) -> None:
    page.wait_for_function(
        "() => window.seawatch.map.loaded() && !window.seawatch.map.isMoving()", timeout=30_000
    )
    page.wait_for_timeout(300)


def test_map_shows_events_and_details(page: Any, server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/#lon=-78&lat=19&z=4.2")
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=60_000)
    wait_idle(page)
    # the map opens on what an analyst came for: the port visit and zone entry are off
    assert page.evaluate("() => window.seawatch.eventsLoaded") == 4
    assert rendered(page, "events") == 4  # the other four fixture events, all in this view
    legend = page.inner_text("#legend")
    for t in ("encounter", "loitering", "gap", "port visit", "zone entry"):
        assert t in legend

    # zoom in on the encounter and click it
    page.evaluate("() => window.seawatch.map.jumpTo({center: [-67.2, 12.0], zoom: 7})")
    wait_idle(page)
    target = page.evaluate(CLICK_TARGET_JS, "encounter")
    assert target is not None
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector("#panel:not([hidden])", timeout=30_000)
    page.wait_for_function(
        "() => document.getElementById('track-note') && "
        "/points/.test(document.getElementById('track-note').textContent)",
        timeout=20_000,
    )
    panel = page.inner_text("#panel")
    assert "encounter" in panel
    assert target["id"] in panel
    assert "NORDIC STAR" in panel and "GUARDACOSTAS 1" in panel
    assert "max_dist_m" in panel  # the details JSON
    assert f"event={target['id']}" in page.url  # the URL holds the selection
    page.evaluate("() => window.seawatch.map.jumpTo({center: [-67.2, 12.0], zoom: 6.5})")
    wait_idle(page)
    assert rendered(page, "tracks") >= 2  # tracks of both vessels around the event
    assert rendered(page, "events-halo") == 1
    page.screenshot(path=str(ARTIFACTS / "map.png"))

    # the vessel panel: identity and timeline
    page.click("#panel a.vessel >> nth=0")
    page.wait_for_selector("ol.timeline", timeout=30_000)
    panel = page.inner_text("#panel")
    assert "NORDIC STAR" in panel and "Timeline (2 events)" in panel
    assert "no hit" in panel and "ofac_sdn (2024-05-03)" in panel  # screened, with the list date
    assert "first (UTC)" in panel  # the history of each static field, times in UTC
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "map-vessel.png"))

    assert page.errors == []
    # nothing but this server was asked for anything
    assert all(u.startswith(server) or u.startswith(("blob:", "data:")) for u in page.requests)


def test_shared_url_restores_the_view(page: Any, server: str) -> None:
    page.goto(server + "/")
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=60_000)
    eid = page.evaluate(
        "() => fetch('/api/events?type=gap').then(r => r.json()).then(fc => fc.features[0].id)"
    )
    # pasted into the open page (a hashchange): the event opens and the URL keeps the
    # shared filters and event (the view's moveend must not write them away)
    page.goto(server + f"/#lon=-69&lat=14&z=6&type=gap,loitering&event={eid}")
    page.wait_for_selector("#panel:not([hidden])", timeout=30_000)
    page.wait_for_function(f"() => document.getElementById('panel').innerText.includes('{eid}')")
    shared = page.evaluate("() => location.hash")
    assert "type=gap,loitering" in shared and f"event={eid}" in shared, shared
    # and opened afresh
    page.reload()
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=60_000)
    page.wait_for_selector("#panel:not([hidden])", timeout=30_000)
    assert eid in page.inner_text("#panel")
    assert page.evaluate("() => window.seawatch.eventsLoaded") == 3  # 1 gap + 2 loitering
    assert abs(page.evaluate("() => window.seawatch.map.getZoom()") - 6) < 0.01
    assert page.errors == []


def test_an_empty_map_says_what_the_store_cannot_match(page: Any, server: str) -> None:
    """The API's notes on an empty answer reach the status line, as text."""
    page.goto(server + "/#lon=-69&lat=14&z=6&since=2030-01-01")
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=60_000)
    page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('lies outside')",
        timeout=30_000,
    )
    status = page.inner_text("#status")
    assert status.startswith("0 events shown (the period asked for (2030-01-01T00:00:00Z")
    assert page.errors == []


def test_report_page(page: Any, server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/report")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)
    assert page.locator("#chart-day rect.bar").count() >= 5
    assert page.locator("#chart-region rect.bar").count() >= 5
    rows = page.locator("#table tr").count()
    assert rows == 1 + 6  # header, caribbean x 4 types, gulf-of-mexico x 2 types
    assert "6 events" in page.inner_text("#status")
    # engagements as incidents (issue #8): the fixture's one encounter is one engagement
    assert "1 vessel engagement (1 with an encounter, 0 with an interception)" in page.inner_text(
        "#engagements"
    )
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert page.errors == []


def test_demo_store_map(page: Any, demo_server: str) -> None:
    """The map over the demo store (``seawatch demo``): events drawn on the land and zone
    layers, an interception clicked, its details and the tracks of its vessels shown."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(demo_server + "/")
    page.wait_for_function("() => window.seawatch && window.seawatch.ready", timeout=120_000)
    n = page.evaluate("() => window.seawatch.eventsLoaded")
    assert n > 0
    # frame the events, then check they are drawn
    page.evaluate(
        """() => {
      const m = window.seawatch.map;
      const fc = window.seawatch.events;
      const b = new maplibregl.LngLatBounds();
      for (const f of fc.features) b.extend(f.geometry.coordinates);
      m.fitBounds(b, {padding: {top: 80, bottom: 80, left: 80, right: 460}, duration: 0,
                      maxZoom: 8});
    }"""
    )
    wait_idle(page)
    assert rendered(page, "events") > 0
    assert rendered(page, "land") > 0  # the offline basemap
    assert rendered(page, "zones-line") > 0
    types = page.evaluate(
        "() => [...new Set(window.seawatch.map.queryRenderedFeatures({layers: ['events']})"
        ".map(f => f.properties.type))]"
    )
    assert {"interception", "encounter", "gap"} <= set(types), types
    pick = "interception"
    target = page.evaluate(CLICK_TARGET_JS, pick)
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector("#panel:not([hidden])", timeout=30_000)
    page.wait_for_function(
        "() => document.getElementById('track-note') && "
        "!/loading/.test(document.getElementById('track-note').textContent)",
        timeout=30_000,
    )
    panel = page.inner_text("#panel")
    # an interception is also an encounter on the same spot: the panel opens the top one and
    # lists the others under "Also here"; open the interception from there if it is not on top
    opened = page.evaluate("() => window.seawatch.state.event")
    assert opened and opened in panel
    if not panel.lower().lstrip("×\n ").startswith("interception"):
        assert "Also here" in panel, panel
        page.click("#panel-body ol.timeline a.event:text('interception')")
        page.wait_for_function(
            "() => /^interception/i.test(document.querySelector('#panel-body h2').textContent)",
            timeout=30_000,
        )
        page.wait_for_function(
            "() => document.getElementById('track-note') && "
            "!/loading/.test(document.getElementById('track-note').textContent)",
            timeout=30_000,
        )
        panel = page.inner_text("#panel")
    assert "vessels" in panel and "Details" in panel
    assert panel.lower().lstrip("×\n ").startswith("interception"), panel
    # identifiers print as they are (no thousands separators)
    interceptor = page.evaluate(
        "() => [...document.querySelectorAll('#panel-body table.kv tr')]"
        ".find((r) => r.cells[0] && r.cells[0].textContent === 'interceptor').cells[1].textContent"
    )
    assert interceptor.isdigit(), interceptor
    # the interceptor and its target, by name: the seized tanker or the cutter's fishing boat
    assert "PARAMACONI" in panel or "DON LUCHO II" in panel, panel
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "map-demo.png"))
    assert page.errors == []
