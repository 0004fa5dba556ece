/* seawatch map page: events on an offline basemap, event and vessel panels, URL state.
 *
 * State lives in the URL hash (#lon=..&lat=..&z=..&type=..&region=..&flag=..&group=..
 * &since=..&until=..&event=..&vessel=..), so a view can be shared by copying the address.
 * Everything comes from this server's /api; the style has no glyphs, sprites or tiles.
 */
"use strict";
(function () {
  const { typeColor, esc, fmtTime, fmtNum, getJSON, utcText, bindUtcInput, claimItem } = window.SW;
  const TRACK_COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
  const MAX_EVENTS = 5000;
  const TRACK_HALO_H = 12;

  // ---- state <-> URL -----------------------------------------------------------------
  const FILTER_KEYS = ["type", "region", "flag", "group", "since", "until"];
  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ""));
    const s = {};
    for (const [k, v] of p) s[k] = v;
    return s;
  }
  const state = Object.assign({ type: "", region: "", flag: "", group: "", since: "", until: "",
    event: "", vessel: "" }, readHash());
  let writing = false;
  function writeHash() {
    const p = new URLSearchParams();
    if (map) {
      const c = map.getCenter();
      p.set("lon", c.lng.toFixed(4));
      p.set("lat", c.lat.toFixed(4));
      p.set("z", map.getZoom().toFixed(2));
    }
    for (const k of [...FILTER_KEYS, "event", "vessel"]) if (state[k]) p.set(k, state[k]);
    const h = "#" + p.toString().replace(/%2C/g, ",").replace(/%3A/g, ":");
    if (h !== location.hash) {
      writing = true;
      history.replaceState(null, "", h);
      writing = false;
    }
  }
  function filterQuery() {
    const p = new URLSearchParams();
    for (const k of FILTER_KEYS) if (state[k]) p.set(k, state[k]);
    return p;
  }

  // ---- map ---------------------------------------------------------------------------
  function graticule() {
    const f = [];
    for (let lon = -180; lon <= 180; lon += 10) {
      const c = []; for (let lat = -80; lat <= 80; lat += 5) c.push([lon, lat]);
      f.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: c } });
    }
    for (let lat = -80; lat <= 80; lat += 10) {
      const c = []; for (let lon = -180; lon <= 180; lon += 5) c.push([lon, lat]);
      f.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: c } });
    }
    return { type: "FeatureCollection", features: f };
  }
  const EMPTY = { type: "FeatureCollection", features: [] };
  const style = {
    version: 8,
    sources: {
      graticule: { type: "geojson", data: graticule() },
      land: { type: "geojson", data: EMPTY },
      zones: { type: "geojson", data: EMPTY },
      tracks: { type: "geojson", data: EMPTY },
      events: { type: "geojson", data: EMPTY },
    },
    layers: [
      { id: "ocean", type: "background", paint: { "background-color": "#a9c6de" } },
      { id: "graticule", type: "line", source: "graticule",
        paint: { "line-color": "#8fb0cc", "line-width": 0.6 } },
      { id: "land", type: "fill", source: "land",
        paint: { "fill-color": "#efe9dc", "fill-outline-color": "#9a8f7a" } },
      { id: "land-line", type: "line", source: "land",
        paint: { "line-color": "#9a8f7a", "line-width": 0.7 } },
      { id: "zones-fill", type: "fill", source: "zones",
        filter: ["==", ["get", "kind"], "region"],
        paint: { "fill-color": "#5a7fa8", "fill-opacity": 0.06 } },
      { id: "zones-line", type: "line", source: "zones",
        filter: ["!=", ["get", "kind"], "territorial"],
        paint: {
          "line-color": ["match", ["get", "kind"], "region", "#32557f", "territorial", "#c0392b",
            "contiguous", "#e67e22", "#5a7fa8"],
          "line-width": ["match", ["get", "kind"], "region", 1.6, 0.8],
          "line-dasharray": [3, 2], "line-opacity": 0.7 } },
      { id: "zones-territorial", type: "line", source: "zones", minzoom: 5,
        filter: ["==", ["get", "kind"], "territorial"],
        paint: { "line-color": "#c0392b", "line-width": 0.8, "line-dasharray": [2, 2],
          "line-opacity": 0.6 } },
      { id: "tracks", type: "line", source: "tracks",
        layout: { "line-join": "round", "line-cap": "round" },
        paint: { "line-color": ["get", "color"], "line-width": 2.5, "line-opacity": 0.9 } },
      { id: "events-halo", type: "circle", source: "events",
        filter: ["==", ["get", "event_id"], ""],
        paint: { "circle-radius": 13, "circle-color": "#ffff00", "circle-opacity": 0.55,
          "circle-stroke-color": "#000", "circle-stroke-width": 1.5 } },
      { id: "events", type: "circle", source: "events",
        paint: {
          "circle-radius": ["interpolate", ["linear"], ["zoom"], 2, 4, 8, 7, 12, 9],
          "circle-color": ["get", "color"],
          "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2 } },
    ],
  };
  const h0 = readHash();
  const map = new maplibregl.Map({
    container: "map",
    style,
    center: [parseFloat(h0.lon) || -75, parseFloat(h0.lat) || 15],
    zoom: h0.z != null ? parseFloat(h0.z) : 3.3,
    attributionControl: false,
    renderWorldCopies: false,
    preserveDrawingBuffer: true,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");
  map.addControl(new maplibregl.AttributionControl({ compact: true,
    customAttribution: "seawatch · land: Natural Earth · zones: approximate" }));

  const api = { map, state, eventsLoaded: 0, ready: false };
  window.seawatch = api;

  // ---- facets and filters --------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  let facets = { types: [], regions: [], flags: [], groups: [] };
  let typeCounts = {};
  function fillSelect(el, values, current) {
    for (const v of values) {
      const o = document.createElement("option");
      o.value = v; o.textContent = v.replace(/_/g, " ");
      el.appendChild(o);
    }
    el.value = current || "";
  }
  function selectedTypes() {
    return state.type ? state.type.split(",").filter(Boolean) : defaultTypes();
  }
  function renderLegend() {
    const ul = $("legend-list");
    ul.innerHTML = "";
    const sel = selectedTypes();
    for (const t of facets.types) {
      const li = document.createElement("li");
      const on = sel.includes(t);
      li.innerHTML = `<label><input type="checkbox" data-type="${esc(t)}" ${on ? "checked" : ""}>` +
        `<span class="swatch" style="background:${typeColor(t)}"></span>${esc(t.replace(/_/g, " "))}` +
        `<span class="count">${typeCounts[t] != null ? fmtNum(typeCounts[t], 0) : ""}</span></label>`;
      ul.appendChild(li);
    }
    ul.querySelectorAll("input").forEach((cb) => cb.addEventListener("change", () => {
      const on = [...ul.querySelectorAll("input:checked")].map((x) => x.dataset.type);
      state.type = sameSet(on, defaultTypes()) ? "" : (on.length ? on.join(",") : "none");
      refresh();
    }));
  }
  function syncInputs() {
    $("f-since").value = utcText(state.since);
    $("f-until").value = utcText(state.until);
    $("f-region").value = state.region || "";
    $("f-flag").value = state.flag || "";
    $("f-group").value = state.group || "";
  }
  function bindFilters() {
    const on = (id, key, conv) => $(id).addEventListener("change", (e) => {
      state[key] = conv ? conv(e.target.value) : e.target.value;
      refresh();
    });
    bindUtcInput($("f-since"), state, "since", refresh);
    bindUtcInput($("f-until"), state, "until", refresh);
    on("f-region", "region");
    on("f-flag", "flag");
    on("f-group", "group");
    $("filters").addEventListener("submit", (e) => e.preventDefault());
    $("f-reset").addEventListener("click", () => {
      for (const k of FILTER_KEYS) state[k] = "";
      syncInputs(); renderLegend(); refresh();
    });
    let timer = null;
    $("f-q").addEventListener("input", (e) => {
      clearTimeout(timer);
      const q = e.target.value.trim();
      timer = setTimeout(async () => {
        if (!q) return;
        const hits = await getJSON("/api/vessels?q=" + encodeURIComponent(q) + "&limit=20");
        const dl = $("vessel-hits");
        dl.innerHTML = "";
        for (const v of hits) {
          const o = document.createElement("option");
          o.value = String(v.mmsi);
          o.label = `${v.name || "?"} (${v.flag || "??"}, ${v.role || v.ship_group || "?"})`;
          dl.appendChild(o);
        }
      }, 250);
    });
    $("f-q").addEventListener("change", (e) => {
      const v = e.target.value.trim();
      if (/^\d{1,10}$/.test(v)) selectVessel(parseInt(v, 10));
    });
    $("panel-close").addEventListener("click", closePanel);
  }

  // ---- events ------------------------------------------------------------------------
  let loadSeq = 0;
  async function loadEvents() {
    const seq = ++loadSeq;
    const q = filterQuery();
    if (!state.type && typesParam()) q.set("type", typesParam());
    q.set("limit", String(MAX_EVENTS));
    $("status").textContent = "loading events…";
    let fc;
    try {
      // every type unticked in the legend: nothing to ask for
      fc = state.type === "none" ? { features: [], numberMatched: 0, numberReturned: 0 }
        : await getJSON("/api/events?" + q.toString());
    } catch (e) {
      $("status").textContent = "error: " + e.message;
      return;
    }
    if (seq !== loadSeq) return;
    typeCounts = {};
    for (const f of fc.features) {
      f.properties.color = typeColor(f.properties.type);
      typeCounts[f.properties.type] = (typeCounts[f.properties.type] || 0) + 1;
      // MapLibre flattens nested properties to strings; keep what the map needs
      f.properties.vessels = JSON.stringify(f.properties.vessels);
      delete f.properties.details;
    }
    fc.features = fc.features.filter((f) => f.geometry);
    map.getSource("events").setData(fc);
    api.eventsLoaded = fc.features.length;
    api.events = fc;
    document.body.dataset.events = String(fc.features.length);
    const more = fc.numberMatched > fc.numberReturned
      ? ` (first ${fmtNum(fc.numberReturned, 0)} of ${fmtNum(fc.numberMatched, 0)})` : "";
    // an empty answer says what the store cannot match (an MMSI it never heard, a period
    // outside its positions): the API's notes, as text
    const notes = fc.notes && fc.notes.length ? " (" + fc.notes.join("; ") + ")" : "";
    $("status").textContent = `${fmtNum(fc.features.length, 0)} events shown${more}${notes}`;
    renderLegend();
  }
  function updateReportLink() {
    const q = filterQuery();
    $("report-link").href = "/report" + (q.toString() ? "?" + q.toString() : "");
  }
  function refresh() {
    writeHash();
    updateReportLink();
    loadEvents();
    loadDetections();
    loadClaims();
    loadNaval();
  }

  // ---- what the map opens on ---------------------------------------------------------
  // An analyst comes for engagements, interceptions, dark activity, naval presence and
  // sanctions hits: routine zone and port visits (hundreds in a day's traffic) are off until
  // turned on in the legend, and matched detections are drawn by the detections layer.
  const OFF_BY_DEFAULT = new Set(["zone_entry", "zone_exit", "zone_visit", "port_visit",
    "detected_by"]);
  function defaultTypes() {
    const on = facets.types.filter((t) => !OFF_BY_DEFAULT.has(t));
    return on.length ? on : facets.types.slice();
  }
  function sameSet(a, b) {
    return a.length === b.length && a.every((x) => b.includes(x));
  }
  /* the type filter sent for the default selection ("" when it is every type) */
  function typesParam() {
    const d = defaultTypes();
    return d.length === facets.types.length ? "" : d.join(",");
  }

  // ---- satellite detections ---------------------------------------------------------
  // /api/detections: matched to an AIS vessel, dark (no AIS explains it although AIS was
  // heard in the scene), no AIS coverage (unidentified), not matched yet. Every string from
  // the store is set with textContent.
  const DET_STYLE = {
    matched: { fill: "#8c8c8c", stroke: "#333333", label: "matched to AIS" },
    dark: { fill: "#ffe119", stroke: "#000000", label: "dark (no AIS match)" },
    no_ais_coverage: { fill: "#ffffff", stroke: "#1f77b4", label: "no AIS coverage" },
    not_matched_yet: { fill: "#dddddd", stroke: "#888888", label: "not matched yet" },
  };
  const MAX_DETECTIONS = 5000;
  function addDetectionsLayer() {
    map.addSource("detections", { type: "geojson", data: EMPTY });
    const color = (k) => ["match", ["get", "status"],
      ...Object.entries(DET_STYLE).flatMap(([s, v]) => [s, v[k]]), "#999999"];
    map.addLayer({ id: "detections", type: "circle", source: "detections",
      paint: {
        // on top of the events and smaller: a dark_detection (or unidentified_detection)
        // event at the same spot rings it
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 2, 2.5, 8, 4.5, 12, 6],
        "circle-color": color("fill"),
        "circle-stroke-color": color("stroke"),
        "circle-stroke-width": 1.5 } });
    map.on("click", "detections", (e) => {
      const f = (e.features || [])[0];
      if (f) showDetection(f.properties.detection_id, e.lngLat);
    });
    map.on("mouseenter", "detections", () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "detections", () => { map.getCanvas().style.cursor = ""; });
    $("det-on").addEventListener("change", (e) =>
      map.setLayoutProperty("detections", "visibility", e.target.checked ? "visible" : "none"));
  }
  let detSeq = 0;
  const detById = new Map();
  async function loadDetections() {
    const seq = ++detSeq;
    const q = new URLSearchParams();
    if (state.since) q.set("since", state.since);
    if (state.until) q.set("until", state.until);
    q.set("limit", String(MAX_DETECTIONS));
    let fc;
    try {
      fc = await getJSON("/api/detections?" + q.toString());
    } catch (e) {
      $("det-status").textContent = "detections: " + e.message;
      return;
    }
    if (seq !== detSeq) return;
    detById.clear();
    const counts = {};
    for (const f of fc.features) {
      detById.set(f.properties.detection_id, f.properties);
      counts[f.properties.status] = (counts[f.properties.status] || 0) + 1;
    }
    // MapLibre keeps flat properties only: what the layer and the click need
    map.getSource("detections").setData({ type: "FeatureCollection", features: fc.features.map(
      (f) => ({ type: "Feature", geometry: f.geometry,
        properties: { detection_id: f.properties.detection_id, status: f.properties.status } })) });
    api.detections = fc;
    api.detectionsLoaded = fc.features.length;
    const ul = $("det-legend");
    ul.replaceChildren();
    for (const [status, st] of Object.entries(DET_STYLE)) {
      if (!counts[status] && status === "not_matched_yet") continue;
      const li = document.createElement("li");
      li.dataset.status = status;
      const sw = document.createElement("span");
      sw.className = "det-swatch";
      sw.style.background = st.fill;
      sw.style.borderColor = st.stroke;
      const label = document.createElement("span");
      label.textContent = st.label;
      const n = document.createElement("span");
      n.className = "count";
      n.textContent = fmtNum(counts[status] || 0, 0);
      li.append(sw, label, n);
      ul.appendChild(li);
    }
    const more = fc.numberMatched > fc.numberReturned
      ? ` (first ${fmtNum(fc.numberReturned, 0)} of ${fmtNum(fc.numberMatched, 0)})` : "";
    $("det-status").textContent = fc.features.length
      ? `${fmtNum(fc.features.length, 0)} detections in the period${more}`
      : "no detections in the period";
  }
  function showDetection(id, lngLat) {
    const p = detById.get(id);
    if (!p) return;
    const box = document.createElement("div");
    box.className = "det-popup";
    const h = document.createElement("strong");
    h.textContent = DET_STYLE[p.status] ? DET_STYLE[p.status].label : p.status;
    const why = document.createElement("div");
    why.className = "muted";
    why.textContent = p.status_text;
    const table = document.createElement("table");
    const row = (k, v) => {
      const tr = table.insertRow();
      const th = document.createElement("th");
      th.textContent = k;
      const td = tr.insertCell();
      td.textContent = v == null || v === "" ? "—" : String(v);
      tr.prepend(th);
      return td;
    };
    row("time", fmtTime(p.time));
    row("source", p.source);
    row("scene", p.scene_id);
    row("length", p.length_m == null ? null : fmtNum(p.length_m, 0) + " m");
    row("position", `${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}`);
    if (p.vessel) {
      const td = row("matched vessel", "");
      td.textContent = "";
      const a = document.createElement("a");
      a.className = "vessel";
      a.textContent = p.vessel.name || String(p.vessel.mmsi);
      a.addEventListener("click", () => selectVessel(p.vessel.mmsi));
      const meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = ` ${p.vessel.mmsi} · ${p.vessel.flag || "??"}` +
        (p.match_dist_m == null ? "" : ` · ${fmtNum(p.match_dist_m, 0)} m from its AIS position`);
      td.append(a, meta);
    }
    if (p.ais_mismatch) {
      row("AIS contradicted", `${p.ais_mismatch.name || ""} ${p.ais_mismatch.mmsi}`.trim());
    }
    row("detection id", p.detection_id);
    box.append(h, why, table);
    if (api.popup) api.popup.remove();
    api.popup = new maplibregl.Popup({ maxWidth: "340px" }).setLngLat(lngLat).setDOMContent(box)
      .addTo(map);
  }

  // ---- claims beside the events ----------------------------------------------------
  // /api/claims for the period and region of the filters: each claim with its verdict and
  // links that open and zoom to its evidence events.
  let claimSeq = 0;
  async function loadClaims() {
    const seq = ++claimSeq;
    const q = new URLSearchParams();
    for (const k of ["since", "until", "region"]) if (state[k]) q.set(k, state[k]);
    let res;
    try {
      res = await getJSON("/api/claims?" + q.toString());
    } catch (e) {
      $("claims-note").textContent = "claims: " + e.message;
      return;
    }
    if (seq !== claimSeq) return;
    const list = $("claims-list");
    list.replaceChildren();
    $("claims-title").textContent = `Claims about this period and region (${res.claims.length})`;
    $("claims-note").textContent = res.claims.length
      ? "verdicts of seawatch claims check against this store"
      : "no claims kept for this period and region (seawatch claims add)";
    for (const r of res.claims) {
      list.appendChild(claimItem(r, (id) => {
        const a = document.createElement("a");
        a.className = "event evidence";
        a.dataset.id = id;
        a.textContent = id;
        a.addEventListener("click", () => selectEvent(id, "zoom"));
        return a;
      }, 8));
    }
    api.claimsLoaded = res.claims.length;
  }

  // ---- naval presence ----------------------------------------------------------------
  // /api/presence: navies, coast guards and government vessels (the brief's naval roles)
  // with positions near the coast of PRESENCE_COUNTRY in the period; a name opens the vessel.
  const PRESENCE_COUNTRY = "VE";
  const NAVAL_ROLES = ["military", "law_enforcement", "government"];
  let navalSeq = 0;
  async function loadNaval() {
    const seq = ++navalSeq;
    const q = new URLSearchParams({ country: PRESENCE_COUNTRY, ranges_nm: "12,24,200",
      group: NAVAL_ROLES.join(","), limit: "200" });
    for (const k of ["since", "until", "flag"]) if (state[k]) q.set(k, state[k]);
    let res;
    try {
      res = await getJSON("/api/presence?" + q.toString());
    } catch (e) {
      $("naval-note").textContent = "naval presence: " + e.message;
      return;
    }
    if (seq !== navalSeq) return;
    const rows = res.rows || [];
    $("naval-title").textContent =
      `Naval presence near ${PRESENCE_COUNTRY} (${fmtNum(rows.length, 0)} vessels)`;
    $("naval-note").textContent = rows.length
      ? "navies, coast guards, government vessels: hours with positions within 12 and 200 nm " +
        `of ${PRESENCE_COUNTRY}'s coast in the period (UTC), closest approach in nm`
      : `no naval or coast guard vessel near ${PRESENCE_COUNTRY} in the period`;
    const table = $("naval-list");
    table.replaceChildren();
    if (rows.length) {
      const head = table.insertRow();
      for (const h of ["vessel", "flag", "role", "h 12 nm", "h 200 nm", "closest nm"]) {
        const th = document.createElement("th");
        th.textContent = h;
        head.appendChild(th);
      }
    }
    for (const r of rows) {
      const tr = table.insertRow();
      tr.dataset.mmsi = String(r.mmsi);
      const a = document.createElement("a");
      a.className = "vessel";
      a.textContent = r.name || String(r.mmsi);
      a.addEventListener("click", () => selectVessel(r.mmsi));
      tr.insertCell().appendChild(a);
      for (const v of [r.flag || "??", (r.role || "?").replace(/_/g, " "),
        r.hours_12nm == null ? "—" : fmtNum(r.hours_12nm, 1),
        r.hours_200nm == null ? "—" : fmtNum(r.hours_200nm, 1),
        r.closest_nm == null ? "—" : fmtNum(r.closest_nm, 1)]) {
        tr.insertCell().textContent = v;
      }
    }
    api.navalLoaded = rows.length;
  }

  // ---- panels ------------------------------------------------------------------------
  function openPanel(html) {
    $("panel-body").innerHTML = html;
    $("panel").hidden = false;
    $("panel-body").querySelectorAll("a.vessel").forEach((a) =>
      a.addEventListener("click", () => selectVessel(parseInt(a.dataset.mmsi, 10))));
    $("panel-body").querySelectorAll("a.event").forEach((a) =>
      a.addEventListener("click", () => selectEvent(a.dataset.id, true)));
  }
  function closePanel() {
    $("panel").hidden = true;
    state.event = ""; state.vessel = "";
    map.setFilter("events-halo", ["==", ["get", "event_id"], ""]);
    map.getSource("tracks").setData(EMPTY);
    writeHash();
  }
  function kv(rows) {
    return '<table class="kv">' + rows.map(([k, v]) =>
      `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join("") + "</table>";
  }
  // identifiers (MMSI, IMO, the vessels an interception names) print as they are, not as
  // quantities with thousands separators
  const IDENT_KEY = /(^|_)(mmsi|imo|interceptor|target|vessel|other)s?$/;
  function detailsRows(obj, prefix) {
    const rows = [];
    if (obj == null || typeof obj !== "object") return rows;
    for (const [k, v] of Object.entries(obj)) {
      if (v && typeof v === "object" && !Array.isArray(v)) rows.push(...detailsRows(v, prefix + k + "."));
      else if (typeof v === "number" && IDENT_KEY.test(k)) rows.push([prefix + k, esc(String(v))]);
      else if (typeof v === "number") rows.push([prefix + k, esc(fmtNum(v, 3))]);
      else rows.push([prefix + k, esc(Array.isArray(v)
        ? v.map((x) => typeof x === "number" && !IDENT_KEY.test(k) ? fmtNum(x, 3) : x).join(", ")
        : v)]);
    }
    return rows;
  }
  const hoursMs = 3600 * 1000;
  function shiftIso(iso, hours) {
    return new Date(Date.parse(iso) + hours * hoursMs).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  async function drawTracks(mmsis, since, until) {
    const zoom = Math.max(0, Math.min(22, map.getZoom() + 2));
    const feats = [];
    await Promise.all(mmsis.map(async (m, i) => {
      const q = new URLSearchParams({ zoom: zoom.toFixed(1) });
      if (since) q.set("since", since);
      if (until) q.set("until", until);
      try {
        const f = await getJSON(`/api/vessels/${m}/track?` + q.toString());
        if (f.geometry) {
          f.properties.color = TRACK_COLORS[i % TRACK_COLORS.length];
          feats.push(f);
        }
      } catch (e) { /* a vessel without positions simply has no track */ }
    }));
    map.getSource("tracks").setData({ type: "FeatureCollection", features: feats });
    return feats;
  }
  async function selectEvent(id, fly, alsoHere) {
    if (!id) return;
    state.event = id; state.vessel = "";
    writeHash();
    map.setFilter("events-halo", ["==", ["get", "event_id"], id]);
    let f;
    try {
      f = await getJSON("/api/events/" + encodeURIComponent(id));
    } catch (e) {
      openPanel(`<h2>Event not found</h2><p class="muted">${esc(e.message)}</p>`);
      return;
    }
    const p = f.properties;
    const vessels = p.vessel_info.map((v, i) =>
      `<span class="track-key" style="background:${TRACK_COLORS[i % TRACK_COLORS.length]}"></span>` +
      `<a class="vessel" data-mmsi="${v.mmsi}">${esc(v.name || v.mmsi)}</a> ` +
      `<span class="muted">${v.mmsi} · ${esc(v.flag || "??")} · ${esc((v.role || v.ship_group || "?").replace(/_/g, " "))}</span>`
    ).join("<br>");
    const html =
      `<h2><span class="pill" style="background:${typeColor(p.type)}">${esc(p.type.replace(/_/g, " "))}</span></h2>` +
      kv([
        ["event id", `<code>${esc(p.event_id)}</code>`],
        ["start", esc(fmtTime(p.start))],
        ["end", esc(fmtTime(p.end))],
        ["duration", p.duration_h == null ? "—" : esc(fmtNum(p.duration_h, 2) + " h")],
        ["position", p.lat == null ? "—" : esc(`${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}`)],
        ["region", esc(p.region || "—")],
        ["zone", esc(p.zone || "—")],
        ["confidence", p.confidence == null ? "—" : esc(fmtNum(p.confidence, 2))],
        ["vessels", vessels],
      ]) +
      `<h3>Tracks ±${TRACK_HALO_H} h</h3><p class="muted" id="track-note">loading tracks…</p>` +
      (p.details ? `<h3>Details</h3>` + kv(detailsRows(p.details, "")) : "");
    const others = (alsoHere || []).map((o) =>
      `<li style="--c:${typeColor(o.type)}"><a class="event" data-id="${esc(o.id)}">` +
      `${esc(o.type.replace(/_/g, " "))}</a><br><span class="when">${esc(fmtTime(o.start))}</span></li>`
    ).join("");
    openPanel(html + (others
      ? `<h3 id="also-here">Also here (${alsoHere.length})</h3><ol class="timeline">${others}</ol>`
      : ""));
    if (fly && f.geometry) {
      // "zoom": close enough to tell the event from its neighbours (a claim's evidence)
      const zoom = fly === "zoom" ? Math.max(map.getZoom(), 7) : map.getZoom();
      map.easeTo({ center: f.geometry.coordinates, zoom, duration: 400 });
    }
    const feats = await drawTracks(p.vessels, shiftIso(p.start, -TRACK_HALO_H),
      shiftIso(p.end, TRACK_HALO_H));
    const note = $("track-note");
    if (note) {
      note.textContent = feats.length
        ? feats.map((t) => `${t.properties.mmsi}: ${fmtNum(t.properties.n_positions, 0)} points`).join(" · ")
        : "no positions around the event";
    }
  }
  async function selectVessel(mmsi) {
    state.vessel = String(mmsi); state.event = "";
    writeHash();
    map.setFilter("events-halo", ["==", ["get", "event_id"], ""]);
    let v;
    try {
      v = await getJSON("/api/vessels/" + mmsi);
    } catch (e) {
      openPanel(`<h2>Vessel ${esc(mmsi)}</h2><p class="muted">${esc(e.message)}</p>`);
      return;
    }
    const lists = v.watchlist.lists.map((w) => `${esc(w.name)} (${esc(w.date)})`).join(", ");
    const watch = v.watchlist.hits.length
      ? v.watchlist.hits.map((h) => `<strong style="color:#b10026">${esc(h.list)}: ` +
          `${esc(h.entry_name || h.entry_id)}</strong> <span class="muted">by ${esc(h.match)}, ` +
          `list of ${esc(h.list_date)}</span>`).join("<br>")
      : `no hit <span class="muted">(${lists})</span>`;
    // the history of each static field: every value broadcast, first and last seen (UTC)
    const hist = Object.entries(v.identity).flatMap(([field, entries]) => entries.map((h) =>
      `<tr><td>${esc(field.replace(/_/g, " "))}</td><td>${esc(h.value)}` +
      `${h.ship_group ? ` <span class="muted">(${esc(h.ship_group.replace(/_/g, " "))})</span>` : ""}</td>` +
      `<td>${esc(fmtTime(h.first_seen))}</td><td>${esc(fmtTime(h.last_seen))}</td>` +
      `<td class="num">${esc(fmtNum(h.n_reports, 0))}</td></tr>`)).join("");
    const timeline = v.events.map((e) =>
      `<li style="--c:${typeColor(e.type)}"><a class="event" data-id="${esc(e.event_id)}">` +
      `${esc(e.type.replace(/_/g, " "))}</a> <span class="muted">${esc(fmtNum(e.duration_h, 1))} h` +
      `${e.region ? " · " + esc(e.region) : ""}</span><br><span class="when">${esc(fmtTime(e.start))}</span></li>`
    ).join("");
    openPanel(
      `<h2>${esc(v.name || "MMSI " + v.mmsi)}</h2>` +
      kv([
        ["MMSI", esc(v.mmsi)], ["IMO", esc(v.imo || "—")], ["call sign", esc(v.callsign || "—")],
        ["flag", esc(v.flag || "—") + (v.country ? ` <span class="muted">(${esc(v.country)})</span>` : "")],
        ["role", esc((v.role || "—").replace(/_/g, " ")) +
          (v.role_source ? ` <span class="muted">(${esc(v.role_source.replace(/_/g, " "))})</span>` : "")],
        ["ship type group", esc((v.ship_group || "—").replace(/_/g, " "))],
        ["seen", `${esc(fmtTime(v.first_seen))} – ${esc(fmtTime(v.last_seen))}`],
        ["positions", esc(fmtNum(v.n_positions, 0))], ["watchlist", watch],
      ]) +
      `<h3>Identity history</h3><table class="grid"><tr><th>field</th><th>value</th>` +
      `<th>first (UTC)</th><th>last (UTC)</th><th>reports</th></tr>${hist}</table>` +
      `<h3>Timeline (${v.n_events} events)</h3>` +
      (timeline ? `<ol class="timeline">${timeline}</ol>` : '<p class="muted">no events</p>'));
    const feats = await drawTracks([mmsi], state.since, state.until);
    if (feats.length && !api.keepView) {
      const b = new maplibregl.LngLatBounds();
      const g = feats[0].geometry;
      const lines = g.type === "LineString" ? [g.coordinates] : g.coordinates;
      for (const l of lines) for (const c of l) b.extend(c);
      map.fitBounds(b, { padding: { top: 60, bottom: 60, left: 60, right: 440 }, maxZoom: 9, duration: 400 });
    }
  }

  map.on("click", "events", (e) => {
    // several events often lie on one spot (an interception is also an encounter): open the
    // top one and list the others in the panel
    const seen = new Set();
    const stack = [];
    for (const f of e.features || []) {
      if (seen.has(f.properties.event_id)) continue;
      seen.add(f.properties.event_id);
      stack.push({ id: f.properties.event_id, type: f.properties.type, start: f.properties.start });
    }
    if (stack.length) selectEvent(stack[0].id, false, stack.slice(1));
  });
  map.on("mouseenter", "events", () => { map.getCanvas().style.cursor = "pointer"; });
  map.on("mouseleave", "events", () => { map.getCanvas().style.cursor = ""; });
  map.on("moveend", writeHash);
  window.addEventListener("hashchange", () => {
    if (writing) return;
    const h = readHash();
    // the state first: jumpTo fires moveend at once, which writes the hash from the state
    // (with the old state it would drop the shared filters and event from the URL)
    let changed = false;
    for (const k of FILTER_KEYS) if ((h[k] || "") !== state[k]) { state[k] = h[k] || ""; changed = true; }
    const newEvent = h.event && h.event !== state.event ? h.event : "";
    const newVessel = !h.event && h.vessel && h.vessel !== state.vessel ? h.vessel : "";
    if (newEvent) { state.event = newEvent; state.vessel = ""; }
    if (newVessel) { state.vessel = newVessel; state.event = ""; }
    const hasView = h.lon && h.lat && h.z;
    if (hasView) map.jumpTo({ center: [parseFloat(h.lon), parseFloat(h.lat)], zoom: parseFloat(h.z) });
    if (changed) { syncInputs(); renderLegend(); loadEvents(); loadDetections(); loadClaims(); loadNaval(); }
    if (newEvent) selectEvent(newEvent, !hasView);
    else if (newVessel) selectVessel(parseInt(newVessel, 10));
  });

  async function loadBasemap() {
    try {
      map.getSource("land").setData(await getJSON("/api/land?detail=medium"));
    } catch (e) { /* no bundled land: the graticule still orients the map */ }
    try {
      map.getSource("zones").setData(await getJSON("/api/zones?kind=region,territorial,eez&detail=medium"));
    } catch (e) { /* no bundled zones */ }
  }

  map.on("load", async () => {
    bindFilters();
    try { facets = await getJSON("/api/facets"); } catch (e) { /* empty store */ }
    fillSelect($("f-region"), facets.regions, state.region);
    fillSelect($("f-flag"), facets.flags, state.flag);
    fillSelect($("f-group"), facets.groups, state.group);
    syncInputs();
    renderLegend();
    addDetectionsLayer();
    await Promise.all([loadBasemap(), loadEvents(), loadDetections(), loadClaims(),
      loadNaval()]);
    writeHash();
    updateReportLink();
    if (state.event) await selectEvent(state.event, !h0.lon);
    else if (state.vessel) await selectVessel(parseInt(state.vessel, 10));
    api.ready = true;
    document.body.dataset.ready = "1";
  });
  api.selectEvent = selectEvent;
  api.loadDetections = loadDetections;
  api.selectVessel = selectVessel;
})();
