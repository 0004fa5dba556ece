"""The claim model: what a statement says, structured, with the text span of each part.

A :class:`Claim` is one statement about incidents at sea ("at least 14 vessel engagements
in the Caribbean in September"): its ``kind``, a ``count`` with its ``qualifier``, the
``vessels`` and ``places`` it names, a ``period`` and the ``source`` it came from. Every
part the extractor understood records the span of the sentence it came from (``spans``),
so a reader can see what was read and what was not. The JSON form is documented by
``docs/claims.schema.json``; :func:`claim_from_dict` validates it (one line per problem).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from seawatch._exceptions import ParameterError

__all__ = [
    "KINDS",
    "PART_NAMES",
    "PLACE_KINDS",
    "QUALIFIERS",
    "ROLES",
    "VESSEL_TYPES",
    "Claim",
    "Place",
    "Source",
    "Span",
    "Vessel",
    "claim_from_dict",
]

Kind = Literal[
    "engagement",
    "interception",
    "seizure",
    "sts_transfer",
    "presence",
    "entry",
    "dark",
    "port_call",
    "attack",
]
KINDS: tuple[str, ...] = (
    "engagement",
    "interception",
    "seizure",
    "sts_transfer",
    "presence",
    "entry",
    "dark",
    "port_call",
    "attack",
)
"""engagement (encounter between vessels), interception, seizure (boarding, detention,
hijacking), sts_transfer (ship-to-ship), presence (deployment near a country), entry (into
waters), dark (AIS off), port_call, attack (attack, firing, approach)."""

QUALIFIERS: tuple[str, ...] = ("exactly", "at_least", "at_most", "about")
PLACE_KINDS: tuple[str, ...] = ("region", "waters", "country", "port", "position", "place")
ROLES: tuple[str, ...] = ("victim", "actor", "any")
VESSEL_TYPES: tuple[str, ...] = (
    "tanker",
    "cargo",
    "fishing",
    "passenger",
    "tug",
    "pleasure",
    "military",
    "law_enforcement",
    "small_boat",
    "other",
)
"""Vessel types: the AIS ship groups plus ``small_boat`` (skiffs, go-fast boats, speed
boats: craft that carry no AIS)."""

PART_NAMES: tuple[str, ...] = ("kind", "count", "negation", "vessels", "places", "period")


@dataclass(frozen=True, slots=True)
class Span:
    """The characters ``[start, end)`` of the claim's sentence that gave ``part``."""

    part: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Source:
    """Where the claim was published."""

    title: str = ""
    publisher: str = ""
    url: str = ""
    published: str = ""
    """ISO date (``YYYY-MM-DD``) or empty when unknown."""


@dataclass(frozen=True, slots=True)
class Vessel:
    """A vessel named or described in a claim (any field may be empty)."""

    name: str = ""
    flag: str = ""
    """ISO 3166 alpha-2, empty when not stated."""
    type: str = ""
    """One of :data:`VESSEL_TYPES`, or empty."""
    role: str = "any"
    mmsi: int | None = None
    imo: int | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """A place: a bundled region, a country's waters or land, a port, or a position."""

    kind: str
    name: str
    ref: str = ""
    """region name, ISO alpha-2 country, or port id."""
    lat: float | None = None
    lon: float | None = None
    radius_nm: float | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """One structured claim. ``period_start`` is inclusive, ``period_end`` exclusive (UTC)."""

    kind: str
    sentence: str
    count: int | None = None
    qualifier: str | None = None
    negated: bool = False
    vessels: tuple[Vessel, ...] = ()
    places: tuple[Place, ...] = ()
    period_start: datetime | None = None
    period_end: datetime | None = None
    source: Source = field(default_factory=Source)
    spans: tuple[Span, ...] = ()
    claim_id: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ParameterError(f"claim kind {self.kind!r}: not one of {', '.join(KINDS)}")
        if self.qualifier is not None and self.qualifier not in QUALIFIERS:
            raise ParameterError(f"qualifier {self.qualifier!r}: not one of {QUALIFIERS}")
        if self.count is not None and self.count < 0:
            raise ParameterError(f"count {self.count}: must be >= 0")
        for t in (self.period_start, self.period_end):
            if t is not None and t.tzinfo is None:
                raise ParameterError("claim period times must be timezone-aware")
        if (
            self.period_start is not None
            and self.period_end is not None
            and self.period_end <= self.period_start
        ):
            raise ParameterError("claim period_end must be after period_start")
        if not self.claim_id:
            object.__setattr__(self, "claim_id", self._stable_id())

    def _stable_id(self) -> str:
        body = self.to_dict(with_id=False)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        return "c-" + digest[:16]

    @property
    def understood(self) -> list[str]:
        """The parts of the claim that came from the text (those with a span)."""
        return sorted({s.part for s in self.spans})

    def to_dict(self, *, with_id: bool = True) -> dict[str, Any]:
        """The JSON form (``docs/claims.schema.json``)."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "sentence": self.sentence,
            "count": self.count,
            "qualifier": self.qualifier,
            "negated": self.negated,
            "vessels": [_vessel_dict(v) for v in self.vessels],
            "places": [_place_dict(p) for p in self.places],
            "period_start": _iso(self.period_start),
            "period_end": _iso(self.period_end),
            "source": {
                "title": self.source.title,
                "publisher": self.source.publisher,
                "url": self.source.url,
                "published": self.source.published,
            },
            "spans": [
                {"part": s.part, "start": s.start, "end": s.end, "text": s.text} for s in self.spans
            ],
        }
        if with_id:
            out = {"claim_id": self.claim_id, **out, "understood": self.understood}
        return out


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _vessel_dict(v: Vessel) -> dict[str, Any]:
    return {
        "name": v.name,
        "flag": v.flag,
        "type": v.type,
        "role": v.role,
        "mmsi": v.mmsi,
        "imo": v.imo,
    }


def _place_dict(p: Place) -> dict[str, Any]:
    return {
        "kind": p.kind,
        "name": p.name,
        "ref": p.ref,
        "lat": p.lat,
        "lon": p.lon,
        "radius_nm": p.radius_nm,
    }


# --- validation of the JSON/YAML form -------------------------------------------------

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_TOP = {
    "claim_id",
    "kind",
    "sentence",
    "count",
    "qualifier",
    "negated",
    "vessels",
    "places",
    "period_start",
    "period_end",
    "source",
    "spans",
    "understood",
}


def _get(d: dict[str, Any], key: str, types: tuple[type, ...], where: str, default: Any) -> Any:
    value = d.get(key, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) and bool not in types:
        raise ParameterError(f"{where}.{key}: expected {types[0].__name__}, got a boolean")
    if not isinstance(value, types):
        raise ParameterError(
            f"{where}.{key}: expected {types[0].__name__}, got {type(value).__name__}"
        )
    return value


def _object(value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParameterError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ParameterError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
    return value


def _time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        t = value
    elif hasattr(value, "isoformat") and not isinstance(value, str):  # a YAML date
        t = datetime.fromisoformat(value.isoformat())
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ParameterError(f"{where}: not an ISO 8601 date or time: {value!r}") from exc
    else:
        raise ParameterError(f"{where}: expected an ISO 8601 string")
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _enum(value: str, allowed: tuple[str, ...], where: str, *, empty: bool = False) -> str:
    if (empty and value == "") or value in allowed:
        return value
    raise ParameterError(f"{where}: {value!r} is not one of {', '.join(allowed)}")


def _known(where: str, option: str, value: str, attr: str) -> str:
    """``value`` checked against the query layer's bundled vocabulary (``attr``: regions,
    or flags for ISO country codes) and made canonical, as every filter's values are: a
    misspelt region would make the check say no AIS was received "in carribean"."""
    from seawatch._exceptions import FilterError
    from seawatch.report import choose, vocabulary

    try:
        got = choose(option, value, getattr(vocabulary(), attr))
    except FilterError as exc:
        raise ParameterError(f"{where}: {exc}") from exc
    assert got is not None
    return got[0]


def claim_from_dict(doc: Any, *, where: str = "claim") -> Claim:
    """A :class:`Claim` from its JSON/YAML form; raises ParameterError naming the field."""
    d = _object(doc, where, _TOP)
    if "kind" not in d or "sentence" not in d:
        raise ParameterError(f"{where}: 'kind' and 'sentence' are required")
    kind = _enum(_get(d, "kind", (str,), where, ""), KINDS, f"{where}.kind")
    sentence = _get(d, "sentence", (str,), where, "")
    count = _get(d, "count", (int,), where, None)
    qualifier = _get(d, "qualifier", (str,), where, None)
    if qualifier is not None:
        _enum(qualifier, QUALIFIERS, f"{where}.qualifier")
    if count is not None and qualifier is None:
        qualifier = "exactly"
    vessels = []
    for i, v in enumerate(_get(d, "vessels", (list,), where, [])):
        w = f"{where}.vessels[{i}]"
        v = _object(v, w, {"name", "flag", "type", "role", "mmsi", "imo"})
        flag = _get(v, "flag", (str,), w, "").upper()
        if flag and (len(flag) != 2 or not flag.isalpha()):
            raise ParameterError(f"{w}.flag: {flag!r} is not an ISO 3166 alpha-2 code")
        if flag:
            flag = _known(f"{w}.flag", "flag", flag, "flags")
        vessels.append(
            Vessel(
                name=_get(v, "name", (str,), w, ""),
                flag=flag,
                type=_enum(_get(v, "type", (str,), w, ""), VESSEL_TYPES, f"{w}.type", empty=True),
                role=_enum(_get(v, "role", (str,), w, "any"), ROLES, f"{w}.role"),
                mmsi=_get(v, "mmsi", (int,), w, None),
                imo=_get(v, "imo", (int,), w, None),
            )
        )
    places = []
    for i, p in enumerate(_get(d, "places", (list,), where, [])):
        w = f"{where}.places[{i}]"
        p = _object(p, w, {"kind", "name", "ref", "lat", "lon", "radius_nm"})
        lat = _get(p, "lat", (int, float), w, None)
        lon = _get(p, "lon", (int, float), w, None)
        if (lat is None) != (lon is None):
            raise ParameterError(f"{w}: lat and lon go together")
        if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ParameterError(f"{w}: position {lat}, {lon} is out of range")
        radius = _get(p, "radius_nm", (int, float), w, None)
        if radius is not None and not radius > 0:
            raise ParameterError(f"{w}.radius_nm: must be > 0")
        place_kind = _enum(_get(p, "kind", (str,), w, ""), PLACE_KINDS, f"{w}.kind")
        ref = _get(p, "ref", (str,), w, "")
        if ref and place_kind == "region":
            ref = _known(f"{w}.ref", "region", ref, "regions")
        elif ref and place_kind in ("waters", "country"):
            ref = _known(f"{w}.ref", "country", ref.upper(), "flags")
        places.append(
            Place(
                kind=place_kind,
                name=_get(p, "name", (str,), w, ""),
                ref=ref,
                lat=None if lat is None else float(lat),
                lon=None if lon is None else float(lon),
                radius_nm=None if radius is None else float(radius),
            )
        )
    src = _object(
        d.get("source") or {}, f"{where}.source", {"title", "publisher", "url", "published"}
    )
    published = src.get("published") or ""
    if not isinstance(published, str):  # YAML turns 2025-09-14 into a date
        published = str(published)
    if published:
        _time(published, f"{where}.source.published")
    source = Source(
        title=_get(src, "title", (str,), f"{where}.source", ""),
        publisher=_get(src, "publisher", (str,), f"{where}.source", ""),
        url=_get(src, "url", (str,), f"{where}.source", ""),
        published=published,
    )
    spans = []
    for i, s in enumerate(_get(d, "spans", (list,), where, [])):
        w = f"{where}.spans[{i}]"
        s = _object(s, w, {"part", "start", "end", "text"})
        start = _get(s, "start", (int,), w, 0)
        end = _get(s, "end", (int,), w, 0)
        if not 0 <= start <= end <= len(sentence):
            raise ParameterError(f"{w}: [{start}, {end}) is outside the sentence")
        spans.append(
            Span(
                part=_enum(_get(s, "part", (str,), w, ""), PART_NAMES, f"{w}.part"),
                start=start,
                end=end,
                text=sentence[start:end],
            )
        )
    claim = Claim(
        kind=kind,
        sentence=sentence,
        count=count,
        qualifier=qualifier,
        negated=bool(_get(d, "negated", (bool,), where, False)),
        vessels=tuple(vessels),
        places=tuple(places),
        period_start=_time(d.get("period_start"), f"{where}.period_start"),
        period_end=_time(d.get("period_end"), f"{where}.period_end"),
        source=source,
        spans=tuple(spans),
    )
    given = d.get("claim_id")
    if given is None:
        return claim
    if not isinstance(given, str) or not _ID.fullmatch(given):
        raise ParameterError(f"{where}.claim_id: 1-64 letters, digits, '.', '_' or '-'")
    return replace(claim, claim_id=given)
