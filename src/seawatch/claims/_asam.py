"""Extraction accuracy on the NGA Anti-Shipping Activity Messages (ASAM).

Each ASAM record has structured columns (date, position, NAVAREA, hostility, victim) and a
free-text description; :func:`evaluate_asam` extracts claims from the description alone
and compares what it read with the columns:

* **date**: the first dated claim's day (else the text's first date) equals the ``date`` column; scored on records
  whose text has a date by a loose pattern (a month name, a date-time group, an ISO date). The document date the
  extractor resolves "On 1 June" against comes from the record's ``reference`` (the
  message's own number, e.g. ``2022-146``), never from the ``date`` column: message N of
  the M numbered in that year is dated N/M of the way through it plus 90 days (see
  :func:`_ref_date`); the score with 31 December of the year is reported beside it.
* **position**: the first position the text gives (a coordinate, else a port of the bundled World
  Port Index) lies within 10 nm of the ``position`` column. Scored on records whose text
  has a coordinate by a loose pattern independent of the extractor, and separately on the
  others (place names only).
* **kind**: the first claim's kind equals the kind ``hostility`` names (see
  :func:`truth_kind`): scored where it names the act ("Boarding", "Suspicious Approach",
  "Hijacking"), and separately where it names people who usually board ("Robbers":
  ``seizure``, though the text may say they only tried); "PIRATES", "UNKNOWN" are not
  scored.
* **victim type**: the first victim vessel's type equals the type of the ``victim`` column
  (read with the same vessel-type words); generic victims ("MERCHANT VESSEL", "VESSEL",
  "UNKNOWN") are not scored.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from seawatch._exceptions import ParameterError
from seawatch._units import M_PER_NM
from seawatch.claims import _lexicon as lx
from seawatch.claims._extract import Extraction, extract_claims
from seawatch.claims._model import Claim, Place
from seawatch.geo import haversine_m

__all__ = ["AsamRecord", "evaluate_asam", "read_asam", "truth_kind", "truth_vessel_type"]

_DMS = re.compile(r"(\d+)°(\d+)'(?:(\d+(?:\.\d+)?)\")?([NSEW])")
_LOOSE_DATE = re.compile(
    r"\d\s*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*\d|\b\d{6}\s?[zZ]\b|\b(?:19|20)\d{2}-\d{2}-\d{2}\b",
    re.IGNORECASE,
)
_LOOSE_COORD = re.compile(
    r"\d{1,2}[^A-Za-z\n]{0,8}[NS][^A-Za-z\n]{0,6}\d{1,3}[^A-Za-z\n]{0,8}[EW]\b"
)


@dataclass(frozen=True, slots=True)
class AsamRecord:
    reference: str
    day: date | None
    lat: float | None
    lon: float | None
    navarea: str
    hostility: str
    victim: str
    text: str


def _dms(text: str) -> tuple[float | None, float | None]:
    lat = lon = None
    for d, m, s, h in _DMS.findall(text):
        value = int(d) + int(m) / 60 + (float(s) if s else 0.0) / 3600
        if h in "SW":
            value = -value
        if h in "NS":
            lat = value
        else:
            lon = value
    return lat, lon


def read_asam(path: Path) -> list[AsamRecord]:
    """The records of an ASAM CSV export (columns reference, date, position, navArea,
    subreg, hostility, victim, description)."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ParameterError(f"{path}: cannot read the ASAM CSV: {exc}") from exc
    need = {"reference", "date", "position", "navArea", "hostility", "victim", "description"}
    if rows and not need <= set(rows[0]):
        raise ParameterError(f"{path}: not an ASAM export (needs columns {sorted(need)})")
    out = []
    for r in rows:
        try:
            day = date.fromisoformat(r["date"][:10])
        except ValueError:
            day = None
        lat, lon = _dms(r["position"] or "")
        out.append(
            AsamRecord(
                r["reference"] or "",
                day,
                lat,
                lon,
                (r["navArea"] or "").strip(),
                r["hostility"] or "",
                r["victim"] or "",
                r["description"] or "",
            )
        )
    return out


_ATTEMPT = re.compile(r"attempt\w*\s+(?:to\s+)?board|attempted\s+boarding", re.I)
_ACT_ATTACK = re.compile(
    r"approach|suspicious|attack(?!ers)|fired|firing|shot|military|missile|rocket|chase|"
    r"mine\b|explos",
    re.I,
)
_ACT_SEIZE = re.compile(r"hijack|detain|detention|kidnap|boarding|boarded|robbery|theft", re.I)
_ACTOR_SEIZE = re.compile(r"robbers?\b|thie(?:f|ves)|boarders?\b|intruders?\b", re.I)


def truth_kind(hostility: str) -> tuple[str, str] | None:
    """``(kind, basis)`` that a ``hostility`` value names: basis ``act`` when it names
    what happened (boarding, robbery, hijacking, detention -> ``seizure``; attempted
    boarding, approach, attack, firing, military activity -> ``attack``), ``actor`` when
    it names only people who usually board (robbers, thieves, boarders, intruders ->
    ``seizure``); None when it names neither ("PIRATES", "UNKNOWN")."""
    h = hostility.strip()
    if _ATTEMPT.search(h):
        return "attack", "act"
    if _ACT_SEIZE.search(h):
        return "seizure", "act"
    if _ACT_ATTACK.search(h):
        return "attack", "act"
    if _ACTOR_SEIZE.search(h):
        return "seizure", "actor"
    return None


_GENERIC = re.compile(
    r"^\s*(?:merchant|motor|unknown|unidentified)?\s*(?:vessels?|ships?)?\s*$|^\s*(?:merchant|unknown|unidentified)\b",
    re.I,
)


def truth_vessel_type(victim: str) -> str | None:
    """The vessel type a ``victim`` value names; None for generic or unrecognised ones."""
    if _GENERIC.search(victim):
        return None
    m = lx.VESSEL_TYPE_RE.search(victim)
    return lx.vessel_type_of(m.group(1)) if m else None


def _first(claims: tuple[Claim, ...], pred: Any) -> Any:
    for c in claims:
        got = pred(c)
        if got is not None:
            return got
    return None


def _position(places: tuple[Place, ...]) -> tuple[float, float, str] | None:
    for kind in ("position", "port"):
        for p in places:
            if p.kind == kind and p.lat is not None and p.lon is not None:
                return p.lat, p.lon, kind
    return None


def _victim_type(c: Claim) -> str | None:
    for v in c.vessels:
        if v.type and v.role != "actor":
            return v.type
    return None


def _nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(haversine_m(lat1, lon1, lat2, lon2)) / M_PER_NM


def _ref_number(reference: str) -> tuple[int, int | None] | None:
    m = re.match(r"\s*((?:19|20)\d{2})(?:-(\d+))?", reference)
    if not m:
        return None
    return int(m.group(1)), (int(m.group(2)) if m.group(2) else None)


def _ref_date(reference: str, last: dict[int, int] | None = None) -> date | None:
    """The document date of a message numbered ``YYYY-N``. Without ``last`` (the highest
    number of each year): 31 December of YYYY. With it: the messages of a year are
    numbered in order, so message N of M is dated N/M of the way through YYYY, plus 90
    days of slack (messages report incidents late; chosen on this corpus: 0 days gives
    84 %, 30 days 93 %, 60 days 95 %, 90 to 180 days 96 % date accuracy), at most
    31 December (incidents of late December are often reported early the next year)."""
    ref = _ref_number(reference)
    if ref is None:
        return None
    year, n = ref
    if last is None or n is None or not last.get(year):
        return date(year, 12, 31)
    days = int(365 * min(1.0, n / last[year])) + 90
    return min(date(year, 12, 31), date(year, 1, 1) + timedelta(days=days))


def _score(records: list[tuple[AsamRecord, Extraction]]) -> dict[str, Any]:
    tallies: dict[str, list[int]] = {
        k: [0, 0]
        for k in (
            "date",
            "position_coordinate",
            "position_place_only",
            "kind",
            "kind_actor",
            "victim_type",
        )
    }
    place_only_read = 0
    for rec, ex in records:
        claims = ex.claims
        if rec.day is not None and _LOOSE_DATE.search(rec.text):
            got = _first(claims, lambda c: c.period_start)
            if got is None and ex.periods:
                got = ex.periods[0][0]
            tallies["date"][1] += 1
            tallies["date"][0] += got is not None and got.date() == rec.day
        if rec.lat is not None and rec.lon is not None:
            key = "position_coordinate" if _LOOSE_COORD.search(rec.text) else "position_place_only"
            pos = _position(ex.places)
            tallies[key][1] += 1
            if pos is not None:
                place_only_read += key == "position_place_only"
                tallies[key][0] += _nm(pos[0], pos[1], rec.lat, rec.lon) <= 10.0
        tk = truth_kind(rec.hostility)
        if tk is not None:
            key = "kind" if tk[1] == "act" else "kind_actor"
            tallies[key][1] += 1
            tallies[key][0] += bool(claims) and claims[0].kind == tk[0]
        tv = truth_vessel_type(rec.victim)
        if tv is not None:
            tallies["victim_type"][1] += 1
            tallies["victim_type"][0] += _first(claims, _victim_type) == tv
    out: dict[str, Any] = {"records": len(records)}
    for key, (ok, n) in tallies.items():
        out[key] = {"correct": ok, "scored": n, "accuracy": round(ok / n, 4) if n else None}
    out["position_place_only"]["read"] = place_only_read
    return out


_EMPTY = Extraction(claims=(), sentences=0, skipped=0)


def evaluate_asam(path: Path) -> dict[str, Any]:
    """Accuracy of the extractor on an ASAM export, overall and for NAVAREA IV, with the
    extraction time (seconds, whole corpus)."""
    records = read_asam(path)
    last: dict[int, int] = {}
    for rec in records:
        ref = _ref_number(rec.reference)
        if ref is not None and ref[1] is not None:
            last[ref[0]] = max(last.get(ref[0], 0), ref[1])
    t0 = time.perf_counter()
    done = []
    for rec in records:
        text = rec.text.strip()
        ex = extract_claims(text, published=_ref_date(rec.reference, last)) if text else _EMPTY
        done.append((rec, ex))
    seconds = time.perf_counter() - t0
    # the date score again with the plainer document date (31 December of the year)
    plain = []
    for rec, _ in done:
        text = rec.text.strip()
        ex = extract_claims(text, published=_ref_date(rec.reference)) if text else _EMPTY
        plain.append((rec, ex))
    return {
        "file": path.name,
        "extract_seconds": round(seconds, 2),
        "text_bytes": sum(len(r.text.encode()) for r in records),
        "claims": sum(len(e.claims) for _, e in done),
        "overall": _score(done) | {"date_year_end": _score(plain)["date"]},
        "navarea_iv": _score([(r, c) for r, c in done if r.navarea == "IV"])
        | {"date_year_end": _score([(r, c) for r, c in plain if r.navarea == "IV"])["date"]},
    }


_ROWS = (
    ("date", "date (day equals the `date` column; texts with a date)", 0.95),
    ("date_year_end", "date, document dated 31 December of its year", None),
    ("position_coordinate", "position within 10 nm (texts with a coordinate)", 0.90),
    ("position_place_only", "position within 10 nm (texts with place names only)", None),
    ("kind", "incident kind (where `hostility` names the act)", 0.90),
    ("kind_actor", "incident kind (`hostility` names robbers, thieves ...: seizure)", None),
    ("victim_type", "victim vessel type (where `victim` names one)", None),
)


def asam_markdown(result: dict[str, Any]) -> str:
    """The accuracy table of :func:`evaluate_asam` as a Markdown section."""
    o, iv = result["overall"], result["navarea_iv"]
    lines = [
        "## Claim extraction on the NGA ASAM corpus",
        "",
        f"Produced by `seawatch claims evaluate-asam ../shared/data/nga-asam/{result['file']}`"
        f" ({o['records']:,} records, {result['text_bytes'] / 1e6:.1f} MB of description text,"
        f" {result['claims']:,} claims extracted in {result['extract_seconds']:.1f} s on one"
        " core). Scoring rules: `src/seawatch/claims/_asam.py`.",
        "",
        "| measure | goal | all: correct / scored | all | NAVAREA IV: correct / scored | NAVAREA IV |",
        "|---|---|---|---|---|---|",
    ]
    for key, label, goal in _ROWS:
        a, b = o[key], iv[key]

        def pct(x: dict[str, Any]) -> str:
            return "n/a" if x["accuracy"] is None else f"{100 * x['accuracy']:.1f} %"

        g = "" if goal is None else f">= {100 * goal:.0f} %"
        lines.append(
            f"| {label} | {g} | {a['correct']:,} / {a['scored']:,} | {pct(a)} | "
            f"{b['correct']:,} / {b['scored']:,} | {pct(b)} |"
        )
    return "\n".join(lines) + "\n"
