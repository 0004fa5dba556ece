/* Live updates on the map: new and revised events arrive over server-sent events
 * (/api/changes/stream) and are drawn on their own layer without a reload. The
 * live/paused toggle (#live-toggle) holds the changes back while paused and applies them,
 * in order, when switched back to live. Retracted events leave the layer; nothing else
 * on the page is touched (the layer is added beside app.js's). Text from the server is
 * only ever set with textContent or as feature properties, never parsed as HTML. */
"use strict";
(function () {
  const typeColor = window.SW ? window.SW.typeColor : () => "#e6194b";
  const state = { received: 0, applied: 0, paused: false, queue: [], features: new Map(),
    connected: false, lastSeq: null };
  window.seawatchLive = state;
  const toggle = document.getElementById("live-toggle");
  const box = toggle ? toggle.querySelector("input") : null;
  const label = toggle ? toggle.querySelector(".live-label") : null;

  function showState() {
    if (!label) return;
    const held = state.queue.length ? ` (${state.queue.length} held)` : "";
    label.textContent = (state.paused ? "paused" : "live") + held +
      (state.connected ? "" : " · offline");
  }

  function mapReady() {
    const sw = window.seawatch;
    return sw && sw.map && sw.map.isStyleLoaded && sw.map.isStyleLoaded() ? sw.map : null;
  }

  function ensureLayer(map) {
    if (map.getSource("live-events")) return;
    map.addSource("live-events", { type: "geojson",
      data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "live-events", type: "circle", source: "live-events",
      paint: { "circle-radius": 8, "circle-color": ["get", "color"],
        "circle-stroke-color": ["case", ["==", ["get", "status"], "open"], "#ffbf00", "#111111"],
        "circle-stroke-width": 2.5 } });
  }

  function redraw() {
    const map = mapReady();
    if (!map) { setTimeout(redraw, 300); return; }
    ensureLayer(map);
    map.getSource("live-events").setData({ type: "FeatureCollection",
      features: Array.from(state.features.values()) });
  }

  function apply(change) {
    if (change.change === "retracted") {
      state.features.delete(change.event_id);
    } else if (change.lat != null && change.lon != null) {
      state.features.set(change.event_id, {
        type: "Feature", id: change.event_id,
        geometry: { type: "Point", coordinates: [change.lon, change.lat] },
        properties: { event_id: change.event_id, type: change.type, status: change.status,
          revision: change.revision, change: change.change, start: change.start,
          end: change.end, color: typeColor(change.type) },
      });
    }
    state.applied += 1;
  }

  function flush() {
    while (state.queue.length) apply(state.queue.shift());
    redraw();
    showState();
  }

  if (box) {
    box.addEventListener("change", () => {
      state.paused = !box.checked;
      if (!state.paused) flush(); else showState();
    });
  }

  function connect() {
    if (!window.EventSource) return;
    const es = new EventSource("/api/changes/stream");
    state.source = es;
    es.onopen = () => { state.connected = true; showState(); };
    es.onerror = () => { state.connected = false; showState(); };
    es.addEventListener("change", (ev) => {
      let change;
      try { change = JSON.parse(ev.data); } catch (e) { return; }
      state.received += 1;
      state.lastSeq = ev.lastEventId;
      state.queue.push(change);
      if (!state.paused) flush(); else showState();
    });
  }
  showState();
  connect();
})();
