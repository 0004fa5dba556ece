"""The situation brief (:func:`seawatch.report.brief`) printed as tables: shared by
``seawatch report`` and ``seawatch demo``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer

from seawatch.cli._render import print_cells, styled, utc_text, value_text

if TYPE_CHECKING:
    from rich.console import Console

ORDER = 0


def print_table(console: Console, title: str, rows: list[dict[str, Any]], cols: list[str]) -> None:
    """``rows`` as a table with the columns ``cols`` (or "none" when empty)."""
    if not rows:
        console.print(styled((title, "bold"), ": none"))
        return
    text = [[value_text(row.get(c), c) for c in cols] for row in rows]
    whole = [
        all(isinstance(v, int | float) and not isinstance(v, bool) for v in values if v is not None)
        for values in ([row.get(c) for row in rows] for c in cols)
    ]
    print_cells(console, cols, text, whole=whole, title=styled(title))


def _when(iso: str) -> str:
    """``2025-12-08T08:00:00Z`` -> ``2025-12-08 08:00Z`` (the tables' UTC form, minutes)."""
    return utc_text(datetime.fromisoformat(iso), seconds=False)


def _vessel_names(vessels: list[dict[str, Any]]) -> str:
    return " / ".join(
        f"{v['name'] or v['mmsi']} ({v['flag'] or '?'}, {v.get('role') or v['ship_group'] or '?'})"
        for v in vessels
    )


def print_data(console: Console, d: dict[str, Any]) -> None:
    """The brief's opening *data* section: what the brief rests on and cannot see."""
    if not d:
        return
    if not d.get("positions"):
        console.print(styled(("Data", "bold"), ": no positions in this period"))
    else:
        span = (
            d["first_day"]
            if d["first_day"] == d["last_day"]
            else (f"{d['first_day']} to {d['last_day']}")
        )
        console.print(
            styled(("Data", "bold"), ": "),
            styled(
                f"{span} (UTC dates, {d['days_with_data']:,} with data); "
                f"{d['positions']:,} positions of {d['vessels']:,} vessels; median "
                f"{d['median_reports_per_vessel_hour']:,g} reports per vessel per hour heard, "
                f"{d['median_reports_per_vessel_day']:,g} per vessel per day; median track "
                f"{d['median_track_h']:,g} h; coverage holes: {d['coverage_holes_count']:,} "
                f"({d['coverage_holes_hours']:,} h)"
            ),
            sep="",
        )
    real, sim = d["real"], d["simulated"]
    rows = [
        {"data": "real", **real},
        {"data": "SIMULATED", **sim, "sources": ", ".join(sim.get("sources") or [])},
    ]
    print_table(
        console,
        "real and simulated data",
        rows,
        ["data", "positions", "vessels", "events", "sources"],
    )
    print_table(
        console,
        "coverage holes (no position received anywhere, UTC)",
        [
            {
                **h,
                "from": h["start"][:16].replace("T", " ") + "Z",
                "to": h["end"][:16].replace("T", " ") + "Z",
            }
            for h in d["coverage_holes"]
        ],
        ["from", "to", "hours"],
    )
    for w in d.get("warnings", []):
        console.print(styled(("warning", "yellow"), f": {w}"))


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 encounter``, ``2 encounters``; ``many`` for irregular plurals."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def headline(b: dict[str, Any]) -> str:
    """The brief's counts in one sentence, each noun in the right number."""
    c = b["counts"]
    ranges = b.get("ranges_nm") or []
    widest = f"{max(ranges):g} nm" if ranges else "range"
    return (
        f"{plural(c['engagements'], 'vessel engagement')} "
        f"({c['encounters']:,} with an encounter, {c['interceptions']:,} with an interception); "
        f"{plural(c['naval_vessels_near'], 'naval vessel')} within {widest} of {b['country']}; "
        f"{plural(c['dark_gaps'], 'AIS gap')}; {plural(c['spoofing'], 'spoofing event')}; "
        f"{plural(c['identity_changes'], 'identity change')}; "
        f"{plural(c['watchlist_hits'], 'sanctions hit')}"
    )


_LEGEND_LABELS = (
    ("engagements", "engagement"),
    ("encounters", "encounter"),
    ("interceptions", "interception"),
    ("naval_vessels_near", "naval vessel"),
    ("dark_gaps", "AIS gap"),
    ("spoofing", "spoofing event"),
    ("identity_changes", "identity change"),
    ("watchlist_hits", "sanctions hit"),
    ("detections_matched", "matched detection"),
    ("dark_detections", "dark detection"),
    ("detections_without_ais_coverage", "unidentified detection"),
    ("ais_mismatches", "AIS mismatch"),
)
_COLUMN_LABELS = (
    ("n_events", "n_events"),
    ("n_vessels", "n_vessels"),
    ("duration_h", "duration_h"),
    ("hours_within", "hours_<r>nm"),
    ("closest_nm", "closest_nm"),
)


def print_legend(console: Console, legend: dict[str, str]) -> None:
    """What each count and column of the brief counts, once."""
    if not legend:
        return
    console.print(styled(("legend", "bold"), " (what each count counts):"))
    for key, label in _LEGEND_LABELS:
        if key in legend:
            console.print(styled(f"  {label}: {legend[key]}"))
    for key, label in _COLUMN_LABELS:
        if key in legend:
            console.print(styled(f"  column {label}: {legend[key]}"))


def _period(b: dict[str, Any]) -> str:
    """The brief's period in UTC: the one asked for, and where an end is open, the data's
    first or last position in it (never a bare "the start to the end")."""
    d = b.get("data") or {}
    since = b["since"] or (f"the first position ({d['first']})" if d.get("first") else "the start")
    until = b["until"] or (f"the last position ({d['last']})" if d.get("last") else "the end")
    return f"{since} to {until}"


def print_brief(console: Console, b: dict[str, Any]) -> None:
    """The situation brief (:meth:`seawatch.report.Brief.to_dict`) as tables."""
    print_data(console, b.get("data", {}))
    where = ", ".join(b["regions"] or ["everywhere"])
    when = _period(b)
    who = " ".join(
        f"{label} {', '.join(b[key])}"
        for key, label in (("flags", "flag"), ("groups", "group"))
        if b.get(key)
    )
    console.print(
        styled(("Situation brief", "bold"), f": {where}, {when}" + (f" ({who})" if who else ""))
    )
    console.print(styled(headline(b)))
    if b.get("scope"):
        console.print(styled(f"scope: {b['scope']}", style="dim"))
    print_table(
        console, "events by type", b["by_type"], ["type", "n_events", "n_vessels", "duration_h"]
    )
    eng_cols = ["engagements", "encounters", "interceptions", "n_vessels", "duration_h"]
    print_table(
        console,
        "engagements by region (incidents; one can include an encounter and an interception)",
        b["engagements_by_region"],
        ["region", *eng_cols],
    )
    print_table(
        console,
        "engagements by flag (an engagement counts under each flag among its vessels)",
        b["engagements_by_flag"],
        ["flag", *eng_cols],
    )
    rows = [
        {
            **e,
            "kinds": " + ".join(e["kinds"]),
            "when": _when(e["start"]),
            "vessels": _vessel_names(e["vessels"]),
        }
        for e in b["engagements"]
    ]
    print_table(console, "engagements", rows, ["kinds", "when", "duration_h", "region", "vessels"])
    pres = [
        {
            **p,
            **{k: round(v, 1) for k, v in p.items() if k.startswith("hours_") and v is not None},
            "closest_nm": None if p.get("closest_nm") is None else round(p["closest_nm"], 1),
        }
        for p in b["naval_presence"]
    ]
    hours_cols = [k for k in (pres[0] if pres else {}) if k.startswith("hours_")]
    print_table(
        console,
        f"naval presence near {b['country']}: navies, coast guards, government vessels (hours "
        "within range of its coast; role_evidence: why each counts, docs/ROLES.md)",
        pres,
        ["mmsi", "name", "flag", "role", *hours_cols, "closest_nm", "role_evidence"],
    )
    dark = [
        {**e, "when": _when(e["start"]), "vessels": _vessel_names(e["vessels"])}
        for e in b["dark_activity"]
    ]
    print_table(
        console,
        "dark activity (AIS gaps)",
        dark,
        ["when", "duration_h", "region", "vessels", "likely_disabled"],
    )
    spoof = [
        {**e, "when": _when(e["start"]), "vessels": _vessel_names(e["vessels"])}
        for e in b["spoofing"]
    ]
    print_table(console, "spoofing", spoof, ["when", "duration_h", "kind", "vessels"])
    hits = [
        {
            **e,
            "vessels": _vessel_names(e["vessels"]),
            "entry": f"{e.get('entry_name')} [{e.get('program')}]",
            "list": f"{e.get('list')} ({e.get('list_date')})",
        }
        for e in b["watchlist_hits"]
    ]
    print_table(console, "sanctions hits", hits, ["vessels", "entry", "list", "confidence"])
    print_dark_vessels(console, b)
    print_legend(console, b.get("legend") or {})


def print_dark_vessels(console: Console, b: dict[str, Any]) -> None:
    """The brief's "dark vessels" section: detections no AIS explains, AIS the imagery contradicts."""
    c = b["counts"]
    rows = b.get("dark_vessels") or []
    if not rows and not c.get("detections_matched"):
        return
    console.print(
        styled(("dark vessels", "bold"), " (satellite/radar detections against AIS): ")
        + styled(
            f"{plural(c.get('detections_matched', 0), 'detection')} matched to AIS; "
            f"{c.get('dark_detections', 0):,} with no AIS match; "
            f"{c.get('detections_without_ais_coverage', 0):,} unidentified "
            "(no AIS covered the scene); "
            f"{plural(c.get('ais_mismatches', 0), 'AIS position')} contradicted by the imagery"
        )
    )

    def names(vs: list[dict[str, Any]]) -> str:
        return ", ".join(f"{v['name'] or v['mmsi']} {v['dist_m'] / 1000:.0f} km" for v in vs)

    table = [
        {
            "when": _when(r["start"]),
            "what": "AIS mismatch" if r["type"] == "ais_mismatch" else "detection",
            "length_m": r.get("length_m"),
            "status": (_vessel_names(r["vessels"]) + ": " if r["vessels"] else "") + r["status"],
            "candidates": "gap: " + names(r["gap_candidates"])
            if r.get("gap_candidates")
            else ("nearest AIS: " + names(r["nearest_ais"]) if r.get("nearest_ais") else ""),
        }
        for r in rows
    ]
    print_table(
        console, "dark vessels", table, ["when", "what", "length_m", "status", "candidates"]
    )


def register(app: typer.Typer) -> None:
    """Nothing to register: this module only holds the brief's printer."""
