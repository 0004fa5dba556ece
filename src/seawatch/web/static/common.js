/* Shared by the map and report pages: type colours, formatting, fetch with the error shape. */
"use strict";
(function () {
  const TYPE_COLORS = {
    encounter: "#e6194b", interception: "#b10026", loitering: "#f58231", gap: "#911eb4",
    port_visit: "#3cb44b", zone_entry: "#4363d8", zone_exit: "#42d4f4", zone_visit: "#1f3a93",
    spoofing: "#f032e6", identity_change: "#9a6324", watchlist_hit: "#000000",
    // satellite/radar detections: matched to AIS (grey), no AIS match (yellow), AIS contradicted,
    // no AIS heard in the scene (white, blue ring on the detections layer)
    dark_detection: "#ffe119", detected_by: "#8c8c8c", ais_mismatch: "#c71585",
    unidentified_detection: "#a6cee3",
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
  /* Times typed by the user are UTC, whatever the browser's zone: "YYYY-MM-DD",
   * "YYYY-MM-DDTHH:MM" (or a space for the T), seconds optional, "Z" or "UTC" optional.
   * parseUtc gives the ISO instant with Z ("" for an empty field, null when not a time);
   * utcText shows an ISO instant as "YYYY-MM-DDTHH:MMZ". Never Date's local-time parsing. */
  const UTC_INPUT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?\s*(?:Z|UTC)?$/i;
  function parseUtc(text) {
    const t = String(text == null ? "" : text).trim();
    if (!t) return "";
    const m = UTC_INPUT.exec(t);
    if (!m) return null;
    const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4] || "00", m[5] || "00", m[6] || "00"].map(Number);
    const ms = Date.UTC(y, mo - 1, d, h, mi, se);
    const back = new Date(ms);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d ||
        back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== se) {
      return null;  // 2022-02-30, 25:00 ...
    }
    return back.toISOString().replace(/\.\d{3}Z$/, "Z");
  }
  function utcText(iso) {
    if (!iso) return "";
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return String(iso);
    const full = new Date(ms).toISOString();
    return full.slice(0, 16) + (full.slice(16, 19) === ":00" ? "" : full.slice(16, 19)) + "Z";
  }
  /* A UTC text input bound to state[key]: shows it as utcText, and on change parses it
   * (an invalid time marks the field and keeps the old filter). */
  function bindUtcInput(el, state, key, onChange) {
    el.value = utcText(state[key]);
    el.addEventListener("change", () => {
      const iso = parseUtc(el.value);
      if (iso === null) {
        el.setCustomValidity("not a UTC time: YYYY-MM-DD or YYYY-MM-DDTHH:MMZ");
        el.classList.add("invalid");
        el.reportValidity();
        return;
      }
      el.setCustomValidity("");
      el.classList.remove("invalid");
      state[key] = iso;
      el.value = utcText(iso);
      onChange();
    });
  }
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
  /* One claim with its verdict as a list item (the map's claims panel and the report page):
   * the verdict, the sentence, the claimed period (UTC), the explanation, and links to at most
   * `maxEvidence` evidence events, each made by `evidenceLink(id)`. Every claim text is
   * untrusted: textContent only. */
  function claimItem(r, evidenceLink, maxEvidence) {
    const c = r.check;
    const li = document.createElement("li");
    li.dataset.claim = r.claim.claim_id;
    const v = document.createElement("strong");
    v.className = "verdict verdict-" + (c ? c.verdict : "unchecked");
    v.textContent = c ? c.verdict.replace(/_/g, " ") : "not checked";
    const sentence = document.createElement("span");
    sentence.className = "sentence";
    sentence.textContent = " " + r.claim.sentence;
    li.append(v, sentence);
    if (r.claim.period_start || r.claim.period_end) {
      const when = document.createElement("div");
      when.className = "muted";
      when.textContent = `period ${fmtTime(r.claim.period_start)} to ${fmtTime(r.claim.period_end)}`;
      li.appendChild(when);
    }
    if (c && c.explanation) {
      const ex = document.createElement("div");
      ex.className = "muted";
      ex.textContent = c.explanation;
      li.appendChild(ex);
    }
    const ids = c && c.evidence ? (c.evidence.event_ids || []) : [];
    if (ids.length) {
      const ev = document.createElement("div");
      ev.append("evidence: ");
      ids.slice(0, maxEvidence).forEach((id, i) => {
        if (i) ev.append(", ");
        ev.appendChild(evidenceLink(id));
      });
      if (ids.length > maxEvidence) ev.append(` and ${fmtNum(ids.length - maxEvidence, 0)} more`);
      li.appendChild(ev);
    }
    return li;
  }
  window.SW = { TYPE_COLORS, typeColor, esc, fmtTime, fmtNum, localToIso, isoToLocal, getJSON,
    parseUtc, utcText, bindUtcInput, claimItem };
})();
