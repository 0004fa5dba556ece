"""Text -> claims: a rule-based, offline, deterministic extractor.

The text is split into sentences (a regex tokenizer that knows common abbreviations);
a sentence that names a kind of incident (:data:`~seawatch.claims._lexicon.KIND_RULES`)
becomes one claim. Its parts are read with gazetteers and patterns: counts with their
qualifier (numbers written as words too), negations ("no vessels entered"), vessel types,
flags and names (names from the store and the watchlists, matched with rapidfuzz), places
(the bundled regions, countries' waters, ports of the bundled World Port Index, positions
such as ``13-14N 065-35W``), and dates (absolute ones by pattern; relative ones such as
"two days ago" resolved against the document's date with dateparser). Each part records
the span of the sentence it came from; a sentence without a date inherits the document's
last one (without a span: not understood from that sentence).

Nothing is downloaded and nothing is guessed: a part that is not understood stays empty.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from seawatch._exceptions import ParameterError
from seawatch.claims import _lexicon as lx
from seawatch.claims._model import Claim, Place, Source, Span, Vessel, _place_dict

__all__ = [
    "MAX_TEXT_BYTES",
    "Extraction",
    "Gazetteer",
    "check_text",
    "extract_claims",
    "gazetteer",
]

MAX_TEXT_BYTES = 20_000_000
"""Texts above this size are refused with a clear message (a news text is a few KB; the
whole ASAM corpus is 4 MB)."""


@dataclass(frozen=True, slots=True)
class Extraction:
    """The claims found in a text, with what was read and skipped."""

    claims: tuple[Claim, ...]
    sentences: int
    skipped: int
    """Sentences that named no kind of incident (no claim)."""
    places: tuple[Place, ...] = ()
    """Every place the text names, in order (claim sentences or not)."""
    periods: tuple[tuple[datetime, datetime], ...] = ()
    """Every date the text gives, in order (claim sentences or not)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentences": self.sentences,
            "skipped": self.skipped,
            "places": [_place_dict(p) for p in self.places],
            "claims": [c.to_dict() for c in self.claims],
        }


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Names the extractor recognises beyond the bundled ones."""

    vessel_names: dict[str, tuple[int | None, int | None, str]] = field(default_factory=dict)
    """normalised name -> (mmsi, imo, flag)."""


# --- input checks ---------------------------------------------------------------------


def check_text(data: bytes, *, where: str = "text") -> str:
    """The text of ``data``, or ParameterError (one line) when it is empty, binary, too
    large or not English."""
    if len(data) > MAX_TEXT_BYTES:
        raise ParameterError(
            f"{where}: {len(data):,} bytes; texts are limited to {MAX_TEXT_BYTES:,} bytes "
            "(split it into articles)"
        )
    if b"\x00" in data[:65536]:
        raise ParameterError(f"{where}: binary data (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise ParameterError(f"{where}: empty text, no claims")
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if control > 0.01 * min(len(text), 65536):
        raise ParameterError(f"{where}: binary data (control characters), not text")
    letters = [ch for ch in text[:200_000] if ch.isalpha()]
    if len(letters) >= 20 and sum(ch.isascii() for ch in letters) < 0.5 * len(letters):
        raise ParameterError(
            f"{where}: does not look like English text (mostly non-Latin letters); the "
            "extractor reads English only"
        )
    words = re.findall(r"[^\W\d_]+", text[:200_000].lower())
    if len(words) >= 12:
        english = sum(1 for w in words if w in lx.ENGLISH_WORDS)
        if english < 0.08 * len(words):
            raise ParameterError(
                f"{where}: does not look like English text ({english} of {len(words)} words "
                "are common English words); the extractor reads English only"
            )
    return text


# --- sentences --------------------------------------------------------------------------

_ABBREV = re.compile(
    r"(?:\b(?:U\.S|U\.K|U\.N|Mr|Mrs|Ms|Dr|Lt|Capt|Cmdr|Adm|Gen|Col|St|No|Nos|approx|Approx|"
    r"vs|etc|i\.e|e\.g|(?i:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|no)|Inc|Ltd|Co|"
    r"M\.V|M/V|Fig|cf|ca|est|Sgt|Rep|Sen|Gov|Pres|Ft|Pt|(?<![\d-])[A-Z])\.)$"
)
_BOUNDARY = re.compile(r"[.!?]+[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9])|\n\s*\n+")


def sentences(text: str) -> list[tuple[int, str]]:
    """``(offset, sentence)`` pairs: splits at ., ! or ? followed by a capital or digit
    (not after a known abbreviation or an initial) and at blank lines."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        head = text[start : m.start() + 1]
        if m.group().strip() and _ABBREV.search(head.rstrip(".!?\"')]") + "."):
            tail = head.rstrip(".!?\"')]").split()[-1:] or [""]
            if _ABBREV.search(tail[0] + "."):
                continue
        piece = text[start : m.end()]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append((start + lead, piece.strip()))
        start = m.end()
    piece = text[start:]
    if piece.strip():
        lead = len(piece) - len(piece.lstrip())
        out.append((start + lead, piece.strip()))
    return out


# --- gazetteers -------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


_DEMONYMS = {
    "american": "US",
    "u.s.": "US",
    "us": "US",
    "venezuelan": "VE",
    "iranian": "IR",
    "chinese": "CN",
    "russian": "RU",
    "panamanian": "PA",
    "liberian": "LR",
    "nigerian": "NG",
    "indonesian": "ID",
    "malaysian": "MY",
    "somali": "SO",
    "yemeni": "YE",
    "colombian": "CO",
    "mexican": "MX",
    "cuban": "CU",
    "guyanese": "GY",
    "greek": "GR",
    "maltese": "MT",
    "british": "GB",
    "indian": "IN",
    "filipino": "PH",
    "philippine": "PH",
    "vietnamese": "VN",
    "brazilian": "BR",
    "peruvian": "PE",
    "ecuadorian": "EC",
    "haitian": "HT",
    "dominican": "DO",
    "trinidadian": "TT",
    "french": "FR",
    "dutch": "NL",
    "spanish": "ES",
    "norwegian": "NO",
    "danish": "DK",
    "singaporean": "SG",
    "japanese": "JP",
    "korean": "KR",
    "turkish": "TR",
    "ukrainian": "UA",
    "bahamian": "BS",
    "jamaican": "JM",
    "honduran": "HN",
    "nicaraguan": "NI",
    "salvadoran": "SV",
    "guatemalan": "GT",
    "costa rican": "CR",
    "chilean": "CL",
    "argentine": "AR",
    "cypriot": "CY",
    "togolese": "TG",
    "cameroonian": "CM",
    "beninese": "BJ",
    "ghanaian": "GH",
    "kenyan": "KE",
    "tanzanian": "TZ",
    "omani": "OM",
    "saudi": "SA",
    "emirati": "AE",
    "israeli": "IL",
    "egyptian": "EG",
    "bangladeshi": "BD",
    "pakistani": "PK",
    "sri lankan": "LK",
    "thai": "TH",
}
_COUNTRY_EXTRA = {
    "united states": "US",
    "usa": "US",
    "u.s.": "US",
    "us": "US",
    "venezuela": "VE",
    "russia": "RU",
    "iran": "IR",
    "south korea": "KR",
    "north korea": "KP",
    "vietnam": "VN",
    "viet nam": "VN",
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "congo": "CG",
    "drc": "CD",
    "tanzania": "TZ",
    "marshall islands": "MH",
    "hong kong": "HK",
    "trinidad": "TT",
    "trinidad and tobago": "TT",
    "st. vincent": "VC",
    "saint vincent": "VC",
    "antigua": "AG",
    "bahamas": "BS",
    "the bahamas": "BS",
}


@cache
def _countries() -> dict[str, str]:
    from seawatch.ais.codes import country_names

    names = {_fold(v): k for k, v in country_names().items()}
    names.update(_COUNTRY_EXTRA)
    return names


@cache
def _country_re() -> re.Pattern[str]:
    keys = sorted(set(_countries()) | set(_DEMONYMS), key=len, reverse=True)
    alts = "|".join(re.escape(k) for k in keys if len(k) > 2 or k in ("us", "uk"))
    return re.compile(rf"(?<![\w.])({alts})(?![\w])", re.IGNORECASE)


def _iso_of(name: str) -> str | None:
    key = _fold(name).strip()
    return _countries().get(key) or _DEMONYMS.get(key)


@cache
def _ports() -> dict[str, list[tuple[str, str, float, float]]]:
    """Folded port name -> [(port_id, country, lat, lon)] (bundled World Port Index ports)."""
    from seawatch.geo import ports

    table = ports()
    out: dict[str, list[tuple[str, str, float, float]]] = {}
    cols = [
        table.column(c).to_pylist() for c in ("port_id", "name", "country", "lat", "lon", "kind")
    ]
    for pid, name, country, lat, lon, kind in zip(*cols, strict=True):
        if kind != "port" or not name or len(name) < 4:
            continue
        out.setdefault(_fold(name), []).append((pid, country or "", lat, lon))
    return out


def gazetteer(*, vessels: Any | None = None, watchlists: Sequence[Any] = ()) -> Gazetteer:
    """Vessel names from a store's ``vessels`` table (``mmsi``, ``name``, ``flag``) and
    watchlists (:class:`seawatch.watchlist.Watchlist`)."""
    from seawatch.watchlist import normalize_name

    names: dict[str, tuple[int | None, int | None, str]] = {}
    if vessels is not None and vessels.num_rows:
        cols = [vessels.column(c).to_pylist() for c in ("mmsi", "name", "flag")]
        for mmsi, name, flag in zip(*cols, strict=True):
            key = normalize_name(name)
            if len(key) >= 3:
                names.setdefault(key, (mmsi, None, flag or ""))
    for wl in watchlists:
        e = wl.entries
        cols = [e.column(c).to_pylist() for c in ("name", "mmsi", "imo", "flag", "aliases")]
        for name, mmsi, imo, flag, aliases in zip(*cols, strict=True):
            for alias in [name, *(aliases or [])]:
                key = normalize_name(alias)
                if len(key) >= 3:
                    names.setdefault(key, (mmsi, imo, flag or ""))
    return Gazetteer(vessel_names=names)


# --- parts ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Parts:
    spans: list[Span] = field(default_factory=list)

    def add(self, part: str, sentence: str, start: int, end: int) -> None:
        self.spans.append(Span(part, start, end, sentence[start:end]))


def _kind(sentence: str) -> tuple[str, str, re.Match[str]] | None:
    for kind, action, pattern in lx.KIND_RULES:
        m = pattern.search(sentence)
        if m:
            return kind, action, m
    return None


_COUNT_RE = re.compile(
    rf"(?:(?P<qual>{lx.QUALIFIER_RE})\s+)?(?P<num>{lx.NUMBER})\s+(?P<what>{lx.COUNTED})\b",
    re.IGNORECASE,
)
_NO_RE = re.compile(rf"\b(?P<num>no|zero|none of the)\s+(?P<what>{lx.COUNTED})\b", re.IGNORECASE)


def _count(sentence: str, parts: _Parts) -> tuple[int | None, str | None]:
    m = _NO_RE.search(sentence)
    if m:
        parts.add("count", sentence, m.start(), m.end())
        return 0, "exactly"
    for m in _COUNT_RE.finditer(sentence):
        value = lx.number_value(m.group("num"))
        if value is None:
            continue
        n, implied = value
        if m.group("num").lower() in ("a", "an") or (n == 1 and not m.group("qual")):
            continue  # "a tanker", "one vessel": existence, not a count
        qual, adj = lx.qualifier_of(m.group("qual") or "")
        if m.group("qual") is None and implied is not None:
            qual = implied
        if m.group("what").lower() in ("times", "occasions", "cases", "events") or n > 0:
            parts.add("count", sentence, m.start(), m.end())
            return max(0, n + adj), qual
    return None, None


def _negated(sentence: str, parts: _Parts) -> bool:
    m = lx.NEGATION_RE.search(sentence)
    if m:
        parts.add("negation", sentence, m.start(), m.end())
        return True
    return False


_NAME_AFTER = re.compile(
    r"\b(?:(?:M/?V|M/?T|MT|MV|S/?V|F/?V|SS|tanker|carrier|ship|vessel|yacht|tug|trawler|"
    r"freighter|containership|schooner|catamaran|dhow|boat|named)\s+)"
    r"[\"'“‘]?(?P<name>[A-Z0-9][A-Z0-9'’.-]*(?:\s+(?:[A-Z0-9][A-Z0-9'’.-]*|OF|DE|DEL|LA))*)[\"'”’]?"
)
_FLAGGED = re.compile(r"\b(?P<c>[A-Z][A-Za-z.' ]{1,30}?)[- ]flagged\b")


def _vessels(sentence: str, kind: str, gaz: Gazetteer, parts: _Parts) -> list[Vessel]:
    from rapidfuzz import fuzz, process

    from seawatch.watchlist import normalize_name

    out: list[Vessel] = []
    flags: list[tuple[int, str]] = []
    for m in _FLAGGED.finditer(sentence):
        words = m.group("c").split()
        for k in range(min(3, len(words)), 0, -1):
            iso = _iso_of(" ".join(words[-k:]))
            if iso:
                flags.append((m.end(), iso))
                parts.add("vessels", sentence, m.end() - len(" ".join(words[-k:])) - 8, m.end())
                break
    for m in _country_re().finditer(sentence):
        key = _fold(m.group(1))
        if key in _DEMONYMS and sentence[m.end() : m.end() + 1] != "-":
            flags.append((m.end(), _DEMONYMS[key]))
    for m in lx.VESSEL_TYPE_RE.finditer(sentence):
        vtype = lx.vessel_type_of(m.group(1))
        flag = next((f for end, f in reversed(flags) if 0 <= m.start() - end <= 25), "")
        role = (
            "actor"
            if vtype in ("military", "law_enforcement", "small_boat")
            else ("victim" if kind in ("seizure", "attack", "interception") else "any")
        )
        out.append(Vessel(type=vtype, flag=flag, role=role))
        parts.add("vessels", sentence, m.start(), m.end())
    # names: after a type word or a prefix, canonicalised against the gazetteer
    names = gaz.vessel_names
    choices = list(names) if names else []
    for m in _NAME_AFTER.finditer(sentence):
        raw = m.group("name").strip(" .'’-")
        key = normalize_name(raw)
        if len(key) < 3 or key.isdigit() or key in ("TSS", "NM", "AIS", "UTC", "LT"):
            continue
        mmsi = imo = None
        flag = ""
        if key in names:
            mmsi, imo, flag = names[key]
        elif choices:
            best = process.extractOne(key, choices, scorer=fuzz.ratio, score_cutoff=90)
            if best is not None:
                key = best[0]
                mmsi, imo, flag = names[key]
        before = sentence[: m.start("name")]
        tm = list(lx.VESSEL_TYPE_RE.finditer(before[-40:]))
        vtype = lx.vessel_type_of(tm[-1].group(1)) if tm else ""
        role = "victim" if kind in ("seizure", "attack", "interception") else "any"
        # attach the name to the unnamed vessel of its type just before it
        for i, v in enumerate(out):
            if not v.name and v.type == vtype and vtype:
                out[i] = Vessel(
                    name=key, flag=v.flag or flag, type=vtype, role=v.role, mmsi=mmsi, imo=imo
                )
                break
        else:
            out.append(Vessel(name=key, flag=flag, type=vtype, role=role, mmsi=mmsi, imo=imo))
        parts.add("vessels", sentence, m.start("name"), m.start("name") + len(raw))
    # gazetteer names anywhere in upper case runs
    if names:
        for m in re.finditer(r"\b[A-Z][A-Z0-9'’-]+(?:\s+[A-Z0-9][A-Z0-9'’-]*)*", sentence):
            key = normalize_name(m.group())
            if key in names and all(v.name != key for v in out):
                mmsi, imo, flag = names[key]
                out.append(Vessel(name=key, flag=flag, role="any", mmsi=mmsi, imo=imo))
                parts.add("vessels", sentence, m.start(), m.end())
    return out


_COUNTRY_WATERS = re.compile(
    r"\b(?:(?P<a>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)(?:'s|’s)?\s+(?P<terr>territorial\s+)?waters|"
    r"(?P<terr2>territorial\s+)?waters\s+(?:of|off)\s+(?:the\s+)?(?P<b>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?))"
)
_OFF_COUNTRY = re.compile(
    r"\b(?:off|near|along|close to|approaching)\s+(?:the\s+)?(?:coast(?:s)?\s+of\s+)?(?P<c>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
)
_WITHIN_COUNTRY = re.compile(
    r"\bwithin\s+[\w.-]+\s*(?:nautical miles|nm|nmi|miles|km|kilometres|kilometers)\s+"
    r"(?:of|from|off)\s+(?:the\s+)?(?:coast\s+of\s+)?(?P<c>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
)
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]+,\s+(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,?\s+\d{4})?)\s*(?:\([^)]{1,40}\))?\s*[-–—]+\s*"
)
_PORT_RE = re.compile(
    r"\b(?:port of|harbou?r of|anchorage (?:of|at|off)|at anchor (?:at|off)|berthed at|"
    r"alongside at|docked at|called at|off|near|at|in|from)\s+"
    r"(?P<p>[A-Z][A-Za-z'-]+(?:\s[A-Z][A-Za-z'-]+){0,2})"
    r"|(?P<q>[A-Z][A-Za-z'-]+(?:\s[A-Z][A-Za-z'-]+){0,2})\s+(?:port|harbou?r|anchorage|roads)\b"
)
_HEADER = re.compile(r"^\s*(?:\(U\)\s*)?(?P<c>[A-Z][A-Z .'-]{2,40}?)\s*:")
_LOCATIVE = re.compile(
    r"\b(?:in|off|near|inside|along|around|at)\s+(?:the\s+)?"
    r"(?P<n>[A-Z][\w'’-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w'’-]*){0,3})"
)
_NOT_PLACES = re.compile(
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday|utc|gmt|lt|ais)\b.*",
    re.IGNORECASE,
)


_MAX_UNPLACED = 8
"""At most this many places per sentence from :func:`_unplaced`."""


def _unplaced(sentence: str, parts: _Parts, places: list[Place]) -> list[Place]:
    """Places the rules above did not place: a capitalised name after *in*, *off*, *near*,
    *inside*, *along*, *around* or *at* that no place or vessel span covers. A country
    name there is its waters ("ports in the Bahamas"); anything else is a ``place``
    named but not placed, so that the check says it cannot place it instead of checking
    the claim everywhere (a claim about "ports in the Bahamas" was checked against port
    calls anywhere)."""
    taken = [(sp.start, sp.end) for sp in parts.spans if sp.part in ("places", "vessels")]
    out: list[Place] = []
    for m in _LOCATIVE.finditer(sentence):
        a, b = m.start("n"), m.end("n")
        if any(a < e and s < b for s, e in taken) or _NOT_PLACES.fullmatch(m.group("n")):
            continue
        name = m.group("n").rstrip("'’-")
        iso = _iso_of(name)
        if iso:
            if all(p.ref != iso for p in (*places, *out)):
                out.append(Place("waters", m.group().strip(), ref=iso, radius_nm=200.0))
                parts.add("places", sentence, m.start(), m.end())
        elif all(p.name != name for p in out):
            out.append(Place("place", name))
        if len(out) >= _MAX_UNPLACED:  # a hostile sentence of a thousand "in X"
            break
    return out


def _places(sentence: str, parts: _Parts, *, country_hint: str) -> list[Place]:
    out: list[Place] = []
    for m in lx.POSITION_RE.finditer(sentence):
        pos = lx.position_of(m)
        if pos is not None:
            out.append(
                Place(
                    "position",
                    m.group().strip(),
                    lat=round(pos[0], 5),
                    lon=round(pos[1], 5),
                    radius_nm=10.0,
                )
            )
            parts.add("places", sentence, m.start(), m.end())
    for m in lx.REGION_RE.finditer(sentence):
        region = lx.REGION_ALIASES[m.group(1).lower()]
        if all(p.ref != region for p in out):
            out.append(Place("region", m.group(1), ref=region))
            parts.add("places", sentence, m.start(1), m.end(1))
    radius = None
    rm = lx.RANGE_RE.search(sentence)
    if rm:
        value = (
            lx.number_value(rm.group("n"))
            if not re.fullmatch(r"[\d.]+", rm.group("n"))
            else ((float(rm.group("n")), None))
        )
        if value is not None:
            unit = rm.group("unit").lower()
            factor = (
                1.0
                if unit in ("nautical miles", "nm", "nmi")
                else (0.868976 if unit == "miles" else 0.539957)
            )
            radius = round(float(value[0]) * factor, 3)
    for m in _COUNTRY_WATERS.finditer(sentence):
        name = m.group("a") or m.group("b")
        iso = _iso_of(name)
        if iso:
            terr = bool(m.group("terr") or m.group("terr2"))
            out.append(
                Place(
                    "waters",
                    m.group().strip(),
                    ref=iso,
                    radius_nm=12.0 if terr else (radius or 200.0),
                )
            )
            parts.add("places", sentence, m.start(), m.end())
    for m in _WITHIN_COUNTRY.finditer(sentence):
        iso = _iso_of(m.group("c"))
        if iso and radius is not None and all(p.ref != iso for p in out):
            out.append(Place("waters", m.group().strip(), ref=iso, radius_nm=radius))
            parts.add("places", sentence, m.start(), m.end())
    for m in _OFF_COUNTRY.finditer(sentence):
        iso = _iso_of(m.group("c"))
        if iso and all(p.ref != iso for p in out):
            out.append(Place("waters", m.group().strip(), ref=iso, radius_nm=radius or 200.0))
            parts.add("places", sentence, m.start(), m.end())
    ports = _ports()
    for m in _PORT_RE.finditer(sentence):
        name = m.group("p") or m.group("q")
        words = name.split()
        for k in range(len(words), 0, -1):
            key = _fold(" ".join(words[:k]))
            rows = ports.get(key)
            if not rows:
                continue
            if _iso_of(key) and not key.endswith("port"):
                break  # a country name, not a port
            if len(rows) > 1:
                named = {_iso_of(c.group(1)) for c in _country_re().finditer(sentence)}
                rows = [r for r in rows if r[1] in named or r[1] == country_hint] or rows
            if len(rows) > 1 and len({(round(r[2]), round(r[3])) for r in rows}) > 1:
                break  # ambiguous name: several places far apart
            pid, _country, lat, lon = rows[0]
            start = m.start("p") if m.group("p") else m.start("q")
            label = " ".join(words[:k])
            out.append(Place("port", label, ref=pid, lat=lat, lon=lon, radius_nm=10.0))
            parts.add("places", sentence, start, start + len(label))
            break
    return out


# --- dates ---------------------------------------------------------------------------------


def _year(text: str | None, month: int, day: int, ref: date | None) -> int | None:
    if text:
        t = text.lstrip("'")
        y = int(t)
        if len(t) == 2:
            if ref is None:
                return y + (2000 if y <= 30 else 1900)
            y += ref.year // 100 * 100
            if y > ref.year + 1:
                y -= 100
        return y
    if ref is None:
        return None
    y = ref.year
    try:
        if date(y, month, min(day, 28)) > ref + timedelta(days=1):
            y -= 1
    except ValueError:
        return None
    return y


def _month_range(y: int, m: int) -> tuple[datetime, datetime]:
    start = datetime(y, m, 1, tzinfo=UTC)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return start, end


def _period(sentence: str, parts: _Parts, ref: date | None) -> tuple[datetime, datetime] | None:
    best: tuple[int, int, tuple[datetime, datetime]] | None = None
    dl = _DATELINE.match(sentence)
    skip = dl.end() if dl else 0
    for label, pattern in lx.DATE_RES:
        for m in pattern.finditer(sentence, skip):
            g = m.groupdict()
            month = int(g["month"]) if g.get("month") else lx.MONTHS[g["mon"].lower()[:3]]
            if label in ("my", "m"):
                y = _year(g.get("year"), month, 1, ref)
                if y is None:
                    continue
                rng = _month_range(y, month)
            else:
                day = int(g["day"])
                y = _year(g.get("year"), month, day, ref)
                if y is None or not 1 <= day <= 31:
                    continue
                try:
                    d = datetime(y, month, day, tzinfo=UTC)
                except ValueError:
                    continue
                rng = (d, d + timedelta(days=1))
            if best is None or m.start() < best[0]:
                best = (m.start(), m.end(), rng)
        if best is not None and label in ("dtg", "dmy", "mdy", "iso"):
            break
    if best is None and ref is not None:
        rel = lx.RELATIVE_RE.search(sentence, skip)
        if rel:
            got = _relative(rel.group(), ref)
            if got is not None:
                best = (rel.start(), rel.end(), got)
    if best is None:
        return None
    parts.add("period", sentence, best[0], best[1])
    return best[2]


def _relative(text: str, ref: date) -> tuple[datetime, datetime] | None:
    import dateparser

    base = datetime(ref.year, ref.month, ref.day, 12)
    t = text.lower().replace("on ", "")
    got = dateparser.parse(
        t,
        languages=["en"],
        settings={
            "RELATIVE_BASE": base,
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )
    if got is None:
        return None
    day = datetime(got.year, got.month, got.day, tzinfo=UTC)
    if "month" in t:
        return _month_range(day.year, day.month)
    if "week" in t and "ago" not in t:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if "year" in t:
        return datetime(day.year, 1, 1, tzinfo=UTC), datetime(day.year + 1, 1, 1, tzinfo=UTC)
    return day, day + timedelta(days=1)


# --- the extractor -------------------------------------------------------------------------


def extract_claims(
    text: str,
    *,
    published: date | None = None,
    source: Source | None = None,
    gaz: Gazetteer | None = None,
) -> Extraction:
    """Claims in ``text`` (English). ``published``: the document's date, which relative
    dates ("yesterday", "on 3 June") are resolved against; without it a date with no
    year is not understood."""
    if published is None and source is not None and source.published:
        published = date.fromisoformat(source.published[:10])
    gaz = gaz or Gazetteer()
    src = source or Source()
    claims: list[Claim] = []
    sents = sentences(text)
    skipped = 0
    country_hint = ""
    last_period: tuple[datetime, datetime] | None = None
    all_places: list[Place] = []
    all_periods: list[tuple[datetime, datetime]] = []
    for _, sent in sents:
        header = _HEADER.match(sent)
        if header:
            iso = _iso_of(header.group("c").strip())
            country_hint = iso or country_hint
        parts = _Parts()
        period = _period(sent, parts, published)
        if period is not None:
            last_period = period
            all_periods.append(period)
        places = _places(sent, parts, country_hint=country_hint)
        all_places.extend(places)
        found = _kind(sent)
        if found is None:
            skipped += 1
            continue
        kind, _action, km = found
        parts.add("kind", sent, km.start(), km.end())
        negated = _negated(sent, parts)
        count, qualifier = _count(sent, parts)
        if negated and count is None:
            count, qualifier = 0, "exactly"
        vessels = _vessels(sent, kind, gaz, parts)
        places.extend(_unplaced(sent, parts, places))
        if header and iso and all(p.ref != iso for p in places):
            places.append(Place("country", header.group("c").strip().title(), ref=iso))
            parts.add("places", sent, header.start("c"), header.end("c"))
        use = period or last_period
        claims.append(
            Claim(
                kind=kind,
                sentence=sent,
                count=count,
                qualifier=qualifier,
                negated=negated,
                vessels=tuple(vessels),
                places=tuple(places),
                period_start=use[0] if use else None,
                period_end=use[1] if use else None,
                source=src,
                spans=tuple(sorted(parts.spans, key=lambda s: (s.start, s.part))),
            )
        )
    return Extraction(
        claims=tuple(claims),
        sentences=len(sents),
        skipped=skipped,
        places=tuple(all_places),
        periods=tuple(all_periods),
    )


def read_text(path: str) -> tuple[str, str]:
    """``(text, where)`` of a file, or of standard input for ``-``, checked by
    :func:`check_text` (the size before reading the whole of it)."""
    import sys
    from pathlib import Path

    if path == "-":
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        return check_text(data, where="<stdin>"), "<stdin>"
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ParameterError(
                f"{p}: {size:,} bytes; texts are limited to {MAX_TEXT_BYTES:,} bytes "
                "(split it into articles)"
            )
        data = p.read_bytes()
    except IsADirectoryError as exc:
        raise ParameterError(f"{p}: a directory, not a text file") from exc
    except OSError as exc:
        raise ParameterError(f"{p}: cannot read: {exc.strerror}") from exc
    return check_text(data, where=str(p)), str(p)


def store_gazetteer(store_dir: Any) -> Gazetteer:
    """Vessel names of the store at ``store_dir`` (when there is one) and of all
    watchlists (bundled and the store's)."""
    from pathlib import Path

    from seawatch.store import open_store
    from seawatch.watchlist import all_lists

    root = Path(store_dir)
    vessels = None
    if (root / "manifest.json").exists():
        vessels = open_store(root).vessels()
    return gazetteer(vessels=vessels, watchlists=all_lists(root))
