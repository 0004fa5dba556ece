"""Word lists and patterns of the claim extractor (English): kinds of incident, vessel
types, qualifiers, numbers written as words, positions, dates.

Kept apart from the extractor so that the rules can be read (and extended) in one place.
"""

from __future__ import annotations

import re

# --- incident kinds, in order of precedence (the first that matches a sentence wins) ---
# (kind, action, pattern). The action is a finer label kept in the claim's span text.
KIND_RULES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, action, re.compile(pattern, re.IGNORECASE))
    for kind, action, pattern in (
        (
            "dark",
            "dark",
            r"\b(?:went|go|going|gone) dark\b|\b(?:switch|turn)(?:ed|ing)? off (?:its |their )?(?:AIS|transponders?)\b|\bdisabled? (?:its |their )?(?:AIS|transponders?)\b",
        ),
        (
            "attack",
            "attempted_boarding",
            r"\b(?:attempt(?:ed|s|ing)?|tried|trying) to board\b|\battempted boarding\b|\bunsuccessful(?:ly)? (?:attempt|boarding)",
        ),
        (
            "seizure",
            "hijack",
            r"\bhijack\w*|\bseiz(?:e|ed|es|ing|ure|ures)\b|\bdetain(?:ed|s|ing)?\b|\bdetention\b|\bkidnap\w*|\bcommandeer\w*|\bcaptur(?:e|ed|ing)\b|\babduct\w*|\bheld hostage\b",
        ),
        (
            "interception",
            "interception",
            r"\bintercept(?:ed|s|ing|ion|ions)?\b|\binterdict(?:ed|s|ing|ion|ions)?\b",
        ),
        (
            "seizure",
            "boarding",
            r"\bboard(?:ed|ing|ings)\b|\bclimbed (?:on ?board|aboard|onto)\b|\brobbe(?:d|ry|ries|rs?)\b|\bthie(?:f|ves|ft)\b|\bst(?:ole|olen|ealing)\b|\bintruders?\b|\bburglar|\bpilfer\w*|\bboarders\b",
        ),
        (
            "attack",
            "attack",
            r"\battack(?:ed|s|ing)?\b|\bfired\b|\bgunshots?\b|\bgunfire\b|\bopened fire\b|\bshot at\b|\bshelled\b|\bstruck by\b|\bexplosion\b|\bmissiles?\b|\brockets?\b|\bgrenade|\bassault\w*",
        ),
        (
            "attack",
            "approach",
            r"\bapproach(?:ed|es|ing)?\b|\bchas(?:ed|ing)\b|\bsuspicious(?:ly)?\b|\bharass\w*|"
            r"\bfollowed\b|\btrailed\b|\bcame (?:within|close|closer|near)\b|\baccelerat\w*|"
            r"\bsight(?:ed|ing)\b.{0,40}\b(?:skiffs?|boats?|craft)\b|\bmotherships?\b|"
            r"\bpirate action group\b",
        ),
        (
            "sts_transfer",
            "sts",
            r"\bship[- ]to[- ]ship\b|\bSTS\b|\btransferr(?:ed|ing) (?:oil|cargo|crude|fuel)",
        ),
        (
            "engagement",
            "encounter",
            r"\bengagements?\b|\bencounters?\b|\brendezvous\w*|\bmet (?:with )?(?:the |a |an )?(?:tanker|vessel|ship)|\bcame alongside\b|"
            # "two tankers met at sea", "the vessels reportedly met": the vessels are the
            # subject (not "ships that met the requirements")
            r"\b(?:tankers?|vessels?|ships?|carriers?)\s+(?:reportedly\s+|allegedly\s+|had\s+|have\s+)?met\b"
            r"(?!\s+(?:the\s+|all\s+)?(?:requirements?|standards?|criteria|conditions|rules?|deadline))",
        ),
        (
            "entry",
            "entry",
            r"\bent(?:er|ered|ering|ers|ry) (?:into )?(?:the )?(?:\w+ )?(?:territorial )?waters\b|\bcrossed into\b|\bentry into\b|\bentered\b",
        ),
        (
            "presence",
            "deployment",
            r"\bdeploy(?:ed|s|ing|ment|ments)?\b|\bstationed\b|\bpatroll(?:ed|ing)\b|\bpositioned\b|\bbuild-?up\b|\bpresence of\b",
        ),
        (
            "port_call",
            "port_call",
            r"\bcalled at\b|\bport calls?\b|\bdocked\b|\barrived (?:at|in) (?:the )?port\b|\bmoored\b",
        ),
    )
)

# --- vessel types -> seawatch ship groups (+ small_boat) ---------------------------------
VESSEL_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    (
        r"(?:oil |chemical |product |products |crude |lpg |lng |gas |asphalt |bitumen )?tankers?|(?:lpg|lng|gas) carriers?|vlccs?|supertankers?",
        "tanker",
    ),
    (
        r"bulk carriers?|bulkers?|container (?:ships?|vessels?)|(?:general )?cargo (?:ships?|vessels?)|freighters?|ro-?ro(?: vessels?| ships?)?|reefers?|refrigerated cargo (?:ships?|vessels?)|car carriers?|vehicle carriers?|heavy lift (?:ships?|vessels?)|merchant (?:ships?|vessels?)|containerships?|log carriers?|cement carriers?|ore carriers?|livestock carriers?",
        "cargo",
    ),
    (
        r"fishing (?:vessels?|boats?|trawlers?|dhows?)|trawlers?|fishing dhows?|longliners?|seiners?|fishermen",
        "fishing",
    ),
    (
        r"(?:sailing |motor )?yachts?|sailboats?|sailing (?:vessels?|boats?|schooners?|catamarans?)|catamarans?|pleasure (?:craft|boats?)|s/v",
        "pleasure",
    ),
    (r"tug ?boats?|tugs?|towing vessels?|anchor handling (?:tug )?(?:supply )?vessels?", "tug"),
    (
        r"passenger (?:ships?|vessels?|ferry|ferries)|ferry|ferries|cruise (?:ships?|liners?)",
        "passenger",
    ),
    (
        r"warships?|destroyers?|frigates?|cruisers?|corvettes?|naval (?:vessels?|ships?|assets?)|navy (?:vessels?|ships?)|amphibious (?:assault )?ships?|aircraft carriers?|submarines?|military (?:vessels?|ships?)",
        "military",
    ),
    (
        r"coast ?guard (?:vessels?|cutters?|ships?|boats?)|patrol (?:boats?|vessels?|ships?)|cutters?",
        "law_enforcement",
    ),
    (
        r"skiffs?|speed ?boats?|go-?fast(?: boats?)?|fast boats?|small (?:boats?|craft)|dinghy|dinghies|canoes?|pirogues?|wooden boats?|fiberglass boats?|motor boats?|motorboats?",
        "small_boat",
    ),
    (
        r"(?:offshore )?supply (?:vessels?|ships?|boats?)|research (?:vessels?|ships?)|survey (?:vessels?|ships?)|dredgers?|barges?|crew boats?|pipe-?layers?|drill(?:ing)? ships?|(?:seismic|offshore) vessels?|dhows?|landing craft",
        "other",
    ),
)
VESSEL_TYPE_RE = re.compile(
    r"\b(" + "|".join(f"(?:{p})" for p, _ in VESSEL_TYPE_WORDS) + r")\b", re.IGNORECASE
)
_TYPE_RES = tuple((re.compile(rf"^(?:{p})$", re.IGNORECASE), g) for p, g in VESSEL_TYPE_WORDS)


def vessel_type_of(words: str) -> str:
    """The vessel type of a matched type phrase ("bulk carrier" -> "cargo")."""
    for pattern, group in _TYPE_RES:
        if pattern.match(words):
            return group
    return "other"


# --- numbers and qualifiers ----------------------------------------------------------
UNITS = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "dozen": 12,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNIT_WORDS = "|".join(k for k in UNITS if k not in ("a", "an", "no", "single"))
_TENS_WORDS = "|".join(TENS)
NUMBER = (
    rf"(?:\d{{1,6}}(?:,\d{{3}})*|(?:{_TENS_WORDS})(?:[- ](?:{_UNIT_WORDS}))?|(?:{_UNIT_WORDS})"
    r"|a dozen|a hundred|one hundred|hundreds|dozens|a single|a couple of|several)"
)


def number_value(text: str) -> tuple[int, str | None] | None:
    """``(value, implied qualifier)`` of a number phrase; None for vague ones."""
    t = text.lower().replace(",", "").strip()
    if t.isdigit():
        return int(t), None
    if t in ("a dozen",):
        return 12, None
    if t in ("a hundred", "one hundred"):
        return 100, None
    if t == "a single":
        return 1, None
    if t == "a couple of":
        return 2, "about"
    if t in ("several", "dozens", "hundreds"):
        return {"several": 3, "dozens": 24, "hundreds": 200}[t], "at_least"
    parts = re.split(r"[- ]", t)
    if parts[0] in TENS:
        return TENS[parts[0]] + (UNITS.get(parts[1], 0) if len(parts) > 1 else 0), None
    if t in UNITS:
        return UNITS[t], None
    return None


QUALIFIER_WORDS: tuple[tuple[str, str, int], ...] = (
    # (pattern, qualifier, adjustment to the number)
    (r"at least|no fewer than|no less than|a minimum of|as many as", "at_least", 0),
    (r"more than|over|upwards of", "at_least", 1),
    (r"at most|no more than|up to|a maximum of|not more than", "at_most", 0),
    (r"fewer than|less than|under", "at_most", -1),
    (
        r"about|around|some|roughly|approximately|nearly|almost|an estimated|close to|circa|~",
        "about",
        0,
    ),
    (r"exactly|precisely|only|just", "exactly", 0),
)
QUALIFIER_RE = "|".join(f"(?:{p})" for p, _, _ in QUALIFIER_WORDS)
_QUAL_RES = tuple(
    (re.compile(rf"^(?:{p})$", re.IGNORECASE), q, adj) for p, q, adj in QUALIFIER_WORDS
)


def qualifier_of(words: str) -> tuple[str, int]:
    for pattern, qual, adj in _QUAL_RES:
        if pattern.match(words.strip()):
            return qual, adj
    return "exactly", 0


# What a count may count: incidents, or vessels (not people, not hours).
COUNTED = (
    r"(?:(?:vessel|ship|maritime|naval|separate|distinct|suspected|reported|further|new|"
    r"more|other|such|similar|confirmed|documented|recorded|dark|illegal|hostile|[A-Z][a-z]+(?:-flagged)?)\s+){0,3}"
    r"(?:engagements?|encounters?|incidents?|interceptions?|boardings?|seizures?|attacks?|"
    r"transfers?|rendezvous|port calls?|calls?|vessels?|ships?|boats?|tankers?|"
    r"warships?|destroyers?|frigates?|cruisers?|submarines?|cutters?|skiffs?|speed ?boats?|"
    r"trawlers?|carriers?|freighters?|yachts?|dhows?|tugs?|times|occasions|cases|events)"
)

NEGATION_RE = re.compile(
    r"\b(?:no|none of the|zero)\s+(?:\w+\s+){0,3}?(?:vessels?|ships?|boats?|tankers?|"
    r"engagements?|encounters?|incidents?|interceptions?|boardings?|seizures?|warships?|"
    r"transfers?|attacks?)\b|\b(?:did not|didn't|never|has not|have not|had not|was not|"
    r"were not|wasn't|weren't|no longer)\b",
    re.IGNORECASE,
)

# --- positions ---------------------------------------------------------------------------
# 13-14N 065-35W, 13-14.5N, 13:14N, 13°14'N, 13°14'30"N, 1314N 06535W, 13.24N 65.58W
_LAT = (
    r"(?P<lad>\d{1,2})(?:(?:\s?[-:°º*]\s?|\s)(?P<lam>\d{1,2}(?:\.\d+)?)"
    r"(?:(?:['′’]\s?|[-:])(?P<las>\d{1,2}(?:\.\d+)?)[\"″”]?)?|(?P<lam2>\d{2}(?:\.\d+)?)|(?P<lad_f>\.\d+))"
    r"\s?['′’]?\s?(?P<ns>[NS])\b"
)
_LON = (
    r"(?P<lod>\d{1,3})(?:(?:\s?[-:°º*]\s?|\s)(?P<lom>\d{1,2}(?:\.\d+)?)"
    r"(?:(?:['′’]\s?|[-:])(?P<los>\d{1,2}(?:\.\d+)?)[\"″”]?)?|(?P<lom2>\d{2}(?:\.\d+)?)|(?P<lod_f>\.\d+))"
    r"\s?['′’]?\s?(?P<ew>[EW])\b"
)
POSITION_RE = re.compile(
    rf"(?<![\d.]){_LAT}\s*(?:,|/|and|[-–—¿?�]+)?\s*(?:lon(?:g(?:itude)?)?\.?\s*)?{_LON}"
)


def position_of(m: re.Match[str]) -> tuple[float, float] | None:
    """Degrees of a :data:`POSITION_RE` match (None when out of range)."""

    def part(
        deg: str, minutes: str | None, seconds: str | None, min2: str | None, frac: str | None
    ) -> float:
        value = float(deg)
        if frac:
            value += float(frac)
        m_ = minutes or min2
        if m_:
            value += float(m_) / 60.0
        if seconds:
            value += float(seconds) / 3600.0
        return value

    g = m.groupdict()
    lat = part(g["lad"], g["lam"], g["las"], g["lam2"], g["lad_f"])
    lon = part(g["lod"], g["lom"], g["los"], g["lom2"], g["lod_f"])
    for minutes in (g["lam"], g["lam2"], g["lom"], g["lom2"]):
        if minutes and float(minutes) >= 60:
            return None
    if g["ns"] == "S":
        lat = -lat
    if g["ew"] == "W":
        lon = -lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


# --- dates ------------------------------------------------------------------------------
MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR = r"(?P<year>(?:19|20)\d{2}|'?\d{2})(?!\d|\s*(?:local|LT\b|LMT|UTC|GMT|hrs|hours|Z\b|L\b))"
DATE_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # military date-time group: 112315LSEP91, 270015Z DEC 1989, 270015z Dec 1989
    (
        "dtg",
        re.compile(
            rf"\b(?P<day>[0-3]\d)[0-2]\d[0-5]\d\s?(?:UTC|LT|LMT|[A-Z])?\s?{_MONTH}(?:\s?{_YEAR})?\b",
            re.IGNORECASE,
        ),
    ),
    # 10 0500 UTC Mar 09
    (
        "dtg",
        re.compile(
            rf"\b(?P<day>[0-3]?\d)\s+[0-2]\d[0-5]\d\s*(?:UTC|LT|LMT|Z|hrs|local time)?\s+{_MONTH}(?:\s+{_YEAR})?\b",
            re.IGNORECASE,
        ),
    ),
    # 15102008
    ("iso", re.compile(r"\b(?P<day>[0-3]\d)(?P<month>[01]\d)(?P<year>(?:19|20)\d{2})\b")),
    # 1 June 2022, 27 May 08, 18 Aug, 1st of June
    (
        "dmy",
        re.compile(
            rf"(?<![\d.:/-])(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s+(?:and|to|&|-)\s+[0-3]?\d)?"
            rf"(?:\s+of)?[\s-]*{_MONTH}(?:[\s,-]+{_YEAR})?\b",
            re.IGNORECASE,
        ),
    ),
    # June 1, 2022; Sept. 14
    (
        "mdy",
        re.compile(
            rf"\b{_MONTH}\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)(?:,?\s+{_YEAR})?(?![\d:])",
            re.IGNORECASE,
        ),
    ),
    # 2022-06-01
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b")),
    # in September 2025, September 2025
    ("my", re.compile(rf"\b{_MONTH}\s+(?P<year>(?:19|20)\d{{2}})\b", re.IGNORECASE)),
    # in September, during October, last month (month only)
    (
        "m",
        re.compile(
            rf"\b(?:in|during|since|throughout|through|of|since early|in early|in late|in mid-?)\s+{_MONTH.replace('(?P<mon>', '(?P<mon>')}(?!\s*\d)",
            re.IGNORECASE,
        ),
    ),
)
RELATIVE_RE = re.compile(
    r"\b(?:yesterday|today|this morning|last night|(?:last|this|past) (?:week|month|year)|"
    r"(?:(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten) (?:days?|weeks?) ago)|"
    r"(?:last |on |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.IGNORECASE,
)

# --- places --------------------------------------------------------------------------------
REGION_ALIASES: dict[str, str] = {
    "caribbean sea": "caribbean",
    "caribbean": "caribbean",
    "gulf of mexico": "gulf-of-mexico",
    "bay of campeche": "gulf-of-mexico",
    "eastern pacific": "eastern-pacific",
    "east pacific": "eastern-pacific",
    "eastern pacific ocean": "eastern-pacific",
}
REGION_RE = re.compile(
    r"\b(?:the\s+)?("
    + "|".join(sorted((re.escape(k) for k in REGION_ALIASES), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)
RANGE_RE = re.compile(
    rf"\bwithin\s+(?P<n>{NUMBER}|\d+(?:\.\d+)?)\s*(?P<unit>nautical miles|nm|nmi|miles|km|kilometres|kilometers)\s+(?:of|from|off)\b",
    re.IGNORECASE,
)

ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "at",
        "and",
        "or",
        "was",
        "were",
        "is",
        "are",
        "by",
        "with",
        "from",
        "for",
        "that",
        "this",
        "it",
        "its",
        "as",
        "be",
        "been",
        "has",
        "have",
        "had",
        "not",
        "no",
        "vessel",
        "ship",
        "boat",
        "crew",
        "port",
        "waters",
        "sea",
        "near",
        "off",
        "after",
    ]
)
