/* The report page's situation brief (/api/brief: what `seawatch report` prints, built by the
 * same function) and the claims about the same region and period with their verdicts.
 * Every string from the store (names, sentences, explanations) is set with textContent. */
"use strict";
(function () {
  const { fmtNum, fmtTime, getJSON, claimItem } = window.SW;
  const $ = (id) => document.getElementById(id);
  const BRIEF_KEYS = ["since", "until", "region", "flag", "group"];

  function plural(n, one, many) {
    return `${fmtNum(n, 0)} ${n === 1 ? one : (many || one + "s")}`;
  }
  /* the brief's counts in one sentence (as the CLI's headline) */
  function headline(b) {
    const c = b.counts;
    const ranges = b.ranges_nm || [];
    const widest = ranges.length ? `${Math.max(...ranges)} nm` : "range";
    return `${plural(c.engagements, "vessel engagement")} (${fmtNum(c.encounters, 0)} with an ` +
      `encounter, ${fmtNum(c.interceptions, 0)} with an interception); ` +
      `${plural(c.naval_vessels_near, "naval vessel")} within ${widest} of ${b.country}; ` +
      `${plural(c.dark_gaps, "AIS gap")}; ${plural(c.spoofing, "spoofing event")}; ` +
      `${plural(c.identity_changes, "identity change")}; ${plural(c.watchlist_hits, "sanctions hit")}`;
  }
  function dataText(d) {
    if (!d || !d.positions) return "Data: no positions in this period.";
    const span = d.first_day === d.last_day ? d.first_day : `${d.first_day} to ${d.last_day}`;
    let t = `Data: ${span} (UTC dates, ${fmtNum(d.days_with_data, 0)} with data); ` +
      `${fmtNum(d.positions, 0)} positions of ${fmtNum(d.vessels, 0)} vessels; median ` +
      `${fmtNum(d.median_reports_per_vessel_hour, 2)} reports per vessel per hour heard; ` +
      `coverage holes: ${fmtNum(d.coverage_holes_count, 0)} (${fmtNum(d.coverage_holes_hours, 0)} h)`;
    if (d.simulated && d.simulated.positions) {
      t += `; of these SIMULATED: ${fmtNum(d.simulated.positions, 0)} positions of ` +
        `${fmtNum(d.simulated.vessels, 0)} vessels`;
    }
    return t + ".";
  }
  function who(vs) {
    return (vs || []).map((v) => `${v.name || v.mmsi} (${v.flag || "?"}, ` +
      `${(v.role || v.ship_group || "?").replace(/_/g, " ")})`).join(" / ");
  }
  /* rows as a table: cols are [header, value(row), numeric] */
  function table(el, cols, rows) {
    el.replaceChildren();
    if (!rows.length) {
      const tr = el.insertRow();
      const td = tr.insertCell();
      td.className = "muted";
      td.textContent = "none";
      return;
    }
    const head = el.insertRow();
    for (const [h, , num] of cols) {
      const th = document.createElement("th");
      th.textContent = h;
      if (num) th.className = "num";
      head.appendChild(th);
    }
    for (const r of rows) {
      const tr = el.insertRow();
      for (const [, value, num] of cols) {
        const td = tr.insertCell();
        const v = value(r);
        td.textContent = v == null || v === "" ? "—" : String(v);
        if (num) td.className = "num";
      }
    }
  }
  function renderBrief(b) {
    $("brief-data").textContent = dataText(b.data);
    $("brief-headline").textContent = headline(b);
    $("brief-country").textContent = b.country;
    const hours = (b.ranges_nm || []).map((r) => [`hours within ${r} nm`, `hours_${r}nm`]);
    $("brief-naval-note").textContent = "Navies, coast guards and government vessels: hours " +
      `with positions within each distance of ${b.country}'s coast, closest approach (nm), and ` +
      "why each counts (docs/ROLES.md).";
    table($("brief-naval"), [
      ["MMSI", (r) => r.mmsi],
      ["name", (r) => r.name],
      ["flag", (r) => r.flag],
      ["role", (r) => (r.role || "").replace(/_/g, " ")],
      ...hours.map(([h, k]) => [h, (r) => (r[k] == null ? null : fmtNum(r[k], 1)), true]),
      ["closest nm", (r) => (r.closest_nm == null ? null : fmtNum(r.closest_nm, 1)), true],
      ["why", (r) => r.role_evidence],
    ], b.naval_presence || []);
    table($("brief-engagements"), [
      ["kinds", (r) => r.kinds.join(" + ")],
      ["start (UTC)", (r) => fmtTime(r.start)],
      ["hours", (r) => fmtNum(r.duration_h, 1), true],
      ["region", (r) => r.region],
      ["vessels", (r) => who(r.vessels)],
    ], b.engagements || []);
    table($("brief-dark"), [
      ["start (UTC)", (r) => fmtTime(r.start)],
      ["hours", (r) => fmtNum(r.duration_h, 1), true],
      ["region", (r) => r.region],
      ["vessels", (r) => who(r.vessels)],
      ["likely disabled", (r) => (r.likely_disabled == null ? null : String(r.likely_disabled))],
    ], b.dark_activity || []);
    table($("brief-hits"), [
      ["vessels", (r) => who(r.vessels)],
      ["entry", (r) => `${r.entry_name || ""} [${r.program || ""}]`],
      ["list", (r) => `${r.list || ""} (${r.list_date || ""})`],
      ["confidence", (r) => (r.confidence == null ? null : fmtNum(r.confidence, 2)), true],
    ], b.watchlist_hits || []);
    table($("brief-detections"), [
      ["time (UTC)", (r) => fmtTime(r.start)],
      ["what", (r) => (r.type === "ais_mismatch" ? "AIS mismatch" : "detection")],
      ["length m", (r) => (r.length_m == null ? null : fmtNum(r.length_m, 0)), true],
      ["status", (r) => (r.vessels && r.vessels.length ? who(r.vessels) + ": " : "") + r.status],
    ], b.dark_vessels || []);
    const dl = $("brief-legend");
    dl.replaceChildren();
    for (const [k, v] of Object.entries(b.legend || {})) {
      const dt = document.createElement("dt");
      dt.textContent = k.replace(/_/g, " ");
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    }
  }
  /* the claims of the brief: verdict, sentence, explanation, links to the evidence events */
  function renderClaims(claims) {
    const box = $("claims");
    box.replaceChildren();
    if (!claims.length) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "no claims";
      box.appendChild(p);
      return;
    }
    const ul = document.createElement("ul");
    ul.className = "claims";
    for (const r of claims) {
      ul.appendChild(claimItem(r, (id) => {
        const a = document.createElement("a");
        a.href = "/#event=" + encodeURIComponent(id);
        a.textContent = id;
        return a;
      }, 5));
    }
    box.appendChild(ul);
  }
  async function load(state) {
    const q = new URLSearchParams();
    for (const k of BRIEF_KEYS) if (state[k]) q.set(k, state[k]);
    try {
      const b = await getJSON("/api/brief?" + q.toString());
      renderBrief(b);
      renderClaims(b.claims || []);
    } catch (e) {
      $("brief-headline").textContent = "brief: " + e.message;
      $("claims").textContent = "claims: " + e.message;
    }
  }
  window.SWBrief = { load, headline };
})();
