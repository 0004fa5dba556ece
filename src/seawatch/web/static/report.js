/* seawatch report page: events per day by type and per region, as inline SVG drawn here
 * (no chart library), a table and CSV export. Filters live in the query string. */
"use strict";
(function () {
  const { typeColor, esc, fmtNum, getJSON, bindUtcInput } = window.SW;
  const $ = (id) => document.getElementById(id);
  const KEYS = ["since", "until", "region", "type", "flag", "group"];
  const state = {};
  const q0 = new URLSearchParams(location.search);
  for (const k of KEYS) state[k] = q0.get(k) || "";

  function query(extra) {
    const p = new URLSearchParams();
    for (const k of KEYS) if (state[k]) p.set(k, state[k]);
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    return p.toString();
  }
  function svgEl(w, h, inner) {
    return `<svg viewBox="0 0 ${w} ${h}" role="img">${inner}</svg>`;
  }
  function niceStep(x) {
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
    return 10 * p;
  }
  /* y-axis: four ticks at a nice step, whole numbers for counts */
  function axis(max) {
    const step = Math.max(1, niceStep(Math.max(max, 1) / 4));
    return { step, ymax: step * Math.max(1, Math.ceil(max / step)) };
  }
  /* stacked bars: categories along x, one stack segment per series */
  function stackedBars(cats, series, value, opts) {
    const W = 1000, H = opts.height || 280, L = 48, B = 46, T = 10, R = 10;
    const totals = cats.map((c) => series.reduce((s, t) => s + (value(c, t) || 0), 0));
    const { step, ymax } = axis(Math.max(0, ...totals));
    const bw = (W - L - R) / Math.max(1, cats.length);
    const y = (v) => T + (H - T - B) * (1 - v / ymax);
    let g = "";
    for (let v = 0; v <= ymax + 1e-9; v += step) {
      const yy = y(v);
      g += `<line x1="${L}" x2="${W - R}" y1="${yy}" y2="${yy}" stroke="#e4e7eb"/>` +
        `<text x="${L - 6}" y="${yy + 4}" text-anchor="end">${fmtNum(v, 1)}</text>`;
    }
    const every = Math.ceil(cats.length / 20);
    cats.forEach((c, i) => {
      let acc = 0;
      const x = L + i * bw + bw * 0.1, w = bw * 0.8;
      for (const t of series) {
        const v = value(c, t) || 0;
        if (!v) continue;
        g += `<rect class="bar" x="${x.toFixed(1)}" y="${y(acc + v).toFixed(1)}" width="${w.toFixed(1)}" ` +
          `height="${(y(acc) - y(acc + v)).toFixed(1)}" fill="${typeColor(t)}">` +
          `<title>${esc(c)} · ${esc(t)}: ${v}</title></rect>`;
        acc += v;
      }
      if (i % every === 0) {
        g += `<text x="${(x + w / 2).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${esc(opts.label ? opts.label(c) : c)}</text>`;
      }
    });
    g += `<line x1="${L}" x2="${W - R}" y1="${y(0)}" y2="${y(0)}" stroke="#486581"/>`;
    return svgEl(W, H, g);
  }
  function pivot(rows, a, b) {
    const m = new Map();
    for (const r of rows) {
      const ka = r[a] == null ? "(none)" : String(r[a]);
      if (!m.has(ka)) m.set(ka, {});
      m.get(ka)[r[b]] = (m.get(ka)[r[b]] || 0) + r.n_events;
    }
    return m;
  }
  let lastRows = [];
  function renderTable(rows) {
    lastRows = rows;
    const head = "<tr><th>region</th><th>type</th><th class=\"num\">events</th>" +
      "<th class=\"num\">incidents</th>" +
      "<th class=\"num\">vessels</th><th class=\"num\">hours</th></tr>";
    $("table").innerHTML = head + rows.map((r) =>
      `<tr><td>${esc(r.region == null ? "(none)" : r.region)}</td><td>${esc(r.type)}</td>` +
      `<td class="num">${fmtNum(r.n_events, 0)}</td><td class="num">${fmtNum(r.n_incidents, 0)}</td>` +
      `<td class="num">${fmtNum(r.n_vessels, 0)}</td>` +
      `<td class="num">${fmtNum(r.duration_h, 1)}</td></tr>`).join("");
  }
  function plural(n, one, many) {
    return `${fmtNum(n, 0)} ${n === 1 ? one : (many || one + "s")}`;
  }
  /* engagements counted as incidents, with the breakdown by kind (from /api/report) */
  function engagementsText(e) {
    if (!e) return "";
    return `${plural(e.engagements, "vessel engagement")} (${fmtNum(e.encounters, 0)} with an ` +
      `encounter, ${fmtNum(e.interceptions, 0)} with an interception)`;
  }
  function csvCell(v) {
    const s = v == null ? "" : String(v);
    return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function exportCsv() {
    const cols = ["region", "type", "n_events", "n_incidents", "n_vessels", "duration_h"];
    const text = [cols.join(",")].concat(lastRows.map((r) => cols.map((c) => csvCell(r[c])).join(","))).join("\n") + "\n";
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    a.download = "seawatch-report.csv";
    document.body.appendChild(a); a.click(); a.remove();
  }
  /* the situation brief and the claims about the same region and period (brief.js) */
  async function loadClaims() {
    await window.SWBrief.load(state);
  }
  async function load() {
    history.replaceState(null, "", "/report" + (query() ? "?" + query() : ""));
    $("map-link").href = "/#" + query();
    $("csv-server").href = "/api/report?" + query({ by: "region,type", format: "csv" });
    $("status").textContent = "loading…";
    try {
      const [byDay, byRegion] = await Promise.all([
        getJSON("/api/report?" + query({ by: "day,type" })),
        getJSON("/api/report?" + query({ by: "region,type" })),
      ]);
      const types = [...new Set(byDay.rows.map((r) => r.type))].sort();
      $("day-legend").innerHTML = types.map((t) =>
        `<span><span class="swatch" style="background:${typeColor(t)}"></span> ${esc(t.replace(/_/g, " "))}</span>`).join("");
      const days = pivot(byDay.rows, "day", "type");
      // every day in the span, including days without events
      const dayList = [];
      const keys = [...days.keys()].sort();
      if (keys.length) {
        for (let d = Date.parse(keys[0] + "T00:00:00Z"); d <= Date.parse(keys[keys.length - 1] + "T00:00:00Z") && dayList.length < 3660; d += 86400000) {
          dayList.push(new Date(d).toISOString().slice(0, 10));
        }
      }
      $("chart-day").innerHTML = dayList.length ? stackedBars(dayList, types,
        (c, t) => (days.get(c) || {})[t], { label: (c) => c.slice(5) }) : "<p class=\"muted\">no events</p>";
      const regions = pivot(byRegion.rows, "region", "type");
      const rlist = [...regions.keys()].sort();
      $("chart-region").innerHTML = rlist.length ? stackedBars(rlist, types,
        (c, t) => (regions.get(c) || {})[t], { height: 240 }) : "<p class=\"muted\">no events</p>";
      renderTable(byRegion.rows);
      $("engagements").textContent = engagementsText(byRegion.engagements);
      const total = byRegion.rows.reduce((s, r) => s + r.n_events, 0);
      $("status").textContent = plural(total, "event");
      await loadClaims();
      document.body.dataset.ready = "1";
    } catch (e) {
      $("status").textContent = "error: " + e.message;
    }
  }
  async function init() {
    let facets = { types: [], regions: [], flags: [], groups: [] };
    try { facets = await getJSON("/api/facets"); } catch (e) { /* empty store */ }
    const fill = (id, vals, cur) => {
      for (const v of vals) {
        const o = document.createElement("option"); o.value = v; o.textContent = v; $(id).appendChild(o);
      }
      $(id).value = cur || "";
    };
    fill("f-region", facets.regions, state.region);
    fill("f-type", facets.types, state.type);
    fill("f-flag", facets.flags, state.flag);
    fill("f-group", facets.groups, state.group);
    const bind = (id, key, conv) => $(id).addEventListener("change", (e) => {
      state[key] = conv ? conv(e.target.value) : e.target.value; load();
    });
    bindUtcInput($("f-since"), state, "since", load);
    bindUtcInput($("f-until"), state, "until", load);
    bind("f-region", "region"); bind("f-type", "type"); bind("f-flag", "flag"); bind("f-group", "group");
    $("csv-client").addEventListener("click", exportCsv);
    await load();
  }
  init();
})();
