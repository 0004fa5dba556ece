/* Shared by the map and report pages: type colours, formatting, fetch with the error shape. */
"use strict";
(function () {
  const TYPE_COLORS = {
    encounter: "#e6194b", interception: "#b10026", loitering: "#f58231", gap: "#911eb4",
    port_visit: "#3cb44b", zone_entry: "#4363d8", zone_exit: "#42d4f4", zone_visit: "#1f3a93",
    spoofing: "#f032e6", identity_change: "#9a6324", watchlist_hit: "#000000",
    // satellite/radar detections: matched to AIS (grey), no AIS match (yellow), AIS contradicted
    dark_detection: "#ffe119", detected_by: "#8c8c8c", ais_mismatch: "#c71585",
  };
  const EXTRA = ["#808000", "#469990", "#dcbeff", "#aaffc3", "#ffd8b1", "#a9a9a9"];
  const extraOf = {};
  function typeColor(t) {
    if (TYPE_COLORS[t]) return TYPE_COLORS[t];
    if (!extraOf[t]) extraOf[t] = EXTRA[Object.keys(extraOf).length % EXTRA.length];
    return extraOf[t];
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function fmtTime(iso) {
    if (!iso) return "—";
    return iso.replace("T", " ").replace(/:00Z$/, "Z").replace("Z", " UTC");
  }
  function fmtNum(x, digits) {
    if (x == null) return "—";
    return Number(x).toLocaleString("en", { maximumFractionDigits: digits == null ? 1 : digits });
  }
  /* datetime-local value (UTC) <-> ISO with Z */
  function localToIso(v) { return v ? v + (v.length === 16 ? ":00Z" : "Z") : ""; }
  function isoToLocal(v) { return v ? v.replace(/Z$/, "").slice(0, 16) : ""; }
  /* A server started with an access token (seawatch serve --token) is opened once at
   * /?token=TOKEN: it answers with a redirect that drops the token from the address and sets
   * it as an HttpOnly cookie, which same-origin requests carry. The page never sees it. */
  async function getJSON(url) {
    const r = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) {
      const err = new Error(body && body.error ? body.error.detail : r.statusText);
      err.status = r.status;
      throw err;
    }
    return body;
  }
  window.SW = { TYPE_COLORS, typeColor, esc, fmtTime, fmtNum, localToIso, isoToLocal, getJSON };
})();
