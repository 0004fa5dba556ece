"""The situation brief (:func:`seawatch.report.brief`) printed as tables: shared by
``seawatch report`` and ``seawatch demo``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from seawatch.cli._render import cells, styled

if TYPE_CHECKING:
    from rich.console import Console

ORDER = 0


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}" if column == "confidence" else f"{value:,.1f}"
    return str(value)


def print_table(console: Console, title: str, rows: list[dict[str, Any]], cols: list[str]) -> None:
    """``rows`` as a table with the columns ``cols`` (or "none" when empty)."""
    from rich.table import Table

    if not rows:
        console.print(styled((title, "bold"), ": none"))
        return
    table = Table(title=styled(title), title_justify="left")
    for col in cols:
        table.add_column(col, no_wrap=col not in ("vessels", "names", "role_evidence"))
    for row in rows:
        table.add_row(*cells(_cell(row.get(c), c) for c in cols))
    console.print(table)


def _when(iso: str) -> str:
    """``2025-12-08T08:00:00Z`` -> ``2025-12-08 08:00Z`` (times in tables say UTC)."""
    return iso[:16].replace("T", " ") + "Z"


def _vessel_names(vessels: list[dict[str, Any]]) -> str:
    return " / ".join(
        f"{v['name'] or v['mmsi']} ({v['flag'] or '?'}, {v.get('role') or v['ship_group'] or '?'})"
        for v in vessels
    )


def print_brief(console: Console, b: dict[str, Any]) -> None:
    """The situation brief (:meth:`seawatch.report.Brief.to_dict`) as tables."""
    where = ", ".join(b["regions"] or ["everywhere"])
    when = f"{b['since'] or 'the start'} to {b['until'] or 'the end'}"
    who = " ".join(
        f"{label} {', '.join(b[key])}"
        for key, label in (("flags", "flag"), ("groups", "group"))
        if b.get(key)
    )
    console.print(
        styled(("Situation brief", "bold"), f": {where}, {when}" + (f" ({who})" if who else ""))
    )
    c = b["counts"]
    console.print(
        f"{c['engagements']} vessel engagements ({c['encounters']} encounters, "
        f"{c['interceptions']} interceptions); {c['naval_vessels_near']} naval vessels within "
        f"200 nm of {b['country']}; {c['dark_gaps']} AIS gaps; {c['spoofing']} spoofing; "
        f"{c['watchlist_hits']} sanctions hits"
    )
    print_table(console, "events by type", b["by_type"], ["type", "events", "vessels", "hours"])
    print_table(
        console,
        "engagements by region",
        b["engagements_by_region"],
        ["region", "type", "events", "vessels", "hours"],
    )
    print_table(
        console,
        "engagements by flag",
        b["engagements_by_flag"],
        ["flag", "type", "events", "vessels", "hours"],
    )
    rows = [
        {**e, "when": _when(e["start"]), "vessels": _vessel_names(e["vessels"])}
        for e in b["engagements"]
    ]
    print_table(console, "engagements", rows, ["type", "when", "duration_h", "region", "vessels"])
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


def register(app: typer.Typer) -> None:
    """Nothing to register: this module only holds the brief's printer."""
