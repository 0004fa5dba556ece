"""Vessel roles: who a vessel is (navy, coast guard, other government, or its type group).

The one home of the role rule (DESIGN.md §11; the prefixes, call-sign blocks and choices are
documented in docs/ROLES.md). A vessel's ``role`` is one of :data:`ROLES`; ``role_source``
says which evidence decided it, strongest first:

1. ``list``: the vessel is on a role list: the bundled list of naval, coast-guard and
   government vessels (``seawatch/data/roles/naval_vessels.csv``) or a user list kept in the
   store (``seawatch roles add``). An entry matches by MMSI, by IMO, or by name *and*
   country (the MMSI's flag).
2. ``name``: the name starts with a prefix navies, coast guards and government fleets use
   (``USS``, ``USNS``, ``CG``, ``HMS``, ``HNLMS``, ``ARC`` ...: :data:`NAME_PREFIXES`), as a
   whole word (``USS GRIDLEY``, ``USAV-7860``, ``CG45705``; not ``USSR`` or ``HMSX``). Short
   or ambiguous prefixes count only for their country's flag (``ARC`` only for Colombia:
   American Roll-on Roll-off Carrier names its merchant ships ``ARC ...``), or for an MMSI
   that carries no flag. US prefixes do not count for a vessel with a civil US call sign
   (``K``/``W``: the FCC's; federal ships have ``N`` or ``A`` call signs): the towboat
   ``USS CAIRO`` (call sign WDH7325) is no warship.
3. ``mmsi``: the MMSI's format says what it is (ITU-R M.585: ``111MIDxxx`` is a search and
   rescue aircraft -> ``sar``). No national "government block" is used: the one often
   quoted for US federal vessels, ``3669xxxxx``, is mostly commercial in real data.
4. ``callsign``: a US-flag vessel (or one without a flag) whose call sign is a US federal
   one: four letters ``N???`` (Navy, Coast Guard, Military Sealift Command) or ``AA??``-
   ``AL??`` (Army, Army Corps of Engineers) -> ``government`` (the call sign cannot tell
   a destroyer from a supply ship). A ship type of 35 or 55 is more specific and wins;
   pleasure craft and placeholder call signs (``NONE``, the vessel's own name) do not count.
5. ``ship_type``: the AIS ship-and-cargo type via :func:`seawatch.ais.codes.ship_group`
   (35 -> ``military``, 55 -> ``law_enforcement``, 80-89 -> ``tanker`` ...).

A vessel with no evidence at all (no list entry, no name prefix, no type) is ``other``
with ``role_source`` null.

How auxiliaries count: ``USNS`` ships (Military Sealift Command: government-owned,
civil-service crews, non-combatant), ``RFA`` (Royal Fleet Auxiliary), Army Corps of
Engineers and NOAA ships are ``government``; commissioned warships (``USS``, ``HMS`` ...)
and defence-force vessels are ``military``; coast guards (``USCGC``/``CG``, ``CCGS``,
``HMC`` Border Force cutters, Venezuela's ``GC``) are ``law_enforcement``.
:data:`NAVAL_ROLES` (all three) is what naval presence and interceptors use.

Pure: arrays in, Arrow out; the bundled list is read from the package once.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from seawatch._exceptions import SourceError
from seawatch.ais.codes import SHIP_GROUPS, flags_of, ship_group

__all__ = [
    "NAME_PREFIXES",
    "NAVAL_ROLES",
    "ROLES",
    "ROLE_ENTRIES",
    "ROLE_SOURCES",
    "NamePrefix",
    "RoleIndex",
    "bundled_role_list",
    "callsign_role",
    "concat_role_lists",
    "name_role",
    "normalize_vessel_name",
    "parse_role_csv",
    "role_evidence",
    "role_index",
    "role_of",
    "roles_of",
    "vessel_roles",
]

NAVAL_ROLES: tuple[str, ...] = ("military", "law_enforcement", "government")
"""Roles of vessels that can board or stop another: navies, coast guards, other government."""

ROLES: tuple[str, ...] = (
    *NAVAL_ROLES,
    *(g for g in SHIP_GROUPS if g not in NAVAL_ROLES),
)
"""Every value a role takes (the ``--group`` filter's valid values)."""

ROLE_SOURCES: tuple[str, ...] = ("list", "name", "mmsi", "callsign", "ship_type")
"""Every non-null ``role_source``, strongest evidence first."""

ROLE_ENTRIES = pa.schema(
    [
        pa.field("mmsi", pa.uint32()),
        pa.field("imo", pa.uint32()),
        pa.field("name", pa.string()),
        pa.field("country", pa.string()),
        pa.field("role", pa.string(), nullable=False),
        pa.field("note", pa.string()),
        pa.field("source", pa.string()),
    ]
)
"""Entries of a role list: at least one of ``mmsi``, ``imo``, ``name``; ``country`` ISO
3166 alpha-2 (needed for a match by name); ``role`` one of :data:`NAVAL_ROLES`."""

_US = ("US",)


@dataclass(frozen=True, slots=True)
class NamePrefix:
    """A name prefix (normalised words, ``ZR MS``), the role it gives, the flags it counts
    for (empty: any), what it stands for, and whether it is a US federal prefix (then a
    civil US call sign vetoes it)."""

    prefix: str
    role: str
    countries: tuple[str, ...]
    meaning: str
    us_federal: bool = False


# fmt: off
NAME_PREFIXES: tuple[NamePrefix, ...] = (
    # United States (name prefixes: US Navy Regulations / SECNAVINST 5030.8; USCG names
    # its cutters "CG NAME" on AIS, as the NOAA sample shows)
    NamePrefix("USS", "military", _US, "United States Ship (commissioned US Navy)", True),
    NamePrefix("PCU", "military", _US, "Pre-Commissioning Unit (US Navy, before commissioning)", True),
    NamePrefix("USAV", "military", _US, "United States Army Vessel", True),
    NamePrefix("USNS", "government", _US, "United States Naval Ship (Military Sealift Command auxiliary)", True),
    NamePrefix("US GOVT", "government", _US, "US Government vessel (anonymous name)", True),
    NamePrefix("US GOV", "government", _US, "US Government vessel (anonymous name)", True),
    NamePrefix("USACE", "government", _US, "US Army Corps of Engineers", True),
    NamePrefix("NOAAS", "government", _US, "NOAA Ship (NOAA ships have W call signs)"),
    NamePrefix("NOAA SHIP", "government", _US, "NOAA Ship, spelt out (not NOAA alone: NOAA'S ARK)"),
    NamePrefix("USCGC", "law_enforcement", _US, "United States Coast Guard Cutter", True),
    NamePrefix("USCG", "law_enforcement", _US, "US Coast Guard (boats: USCG 45634)", True),
    NamePrefix("CG", "law_enforcement", _US, "US Coast Guard, as its cutters and boats broadcast (CG HEALY, CG45705)", True),
    # United Kingdom and Commonwealth
    NamePrefix("HMS", "military", ("GB", "SE"), "His Majesty's Ship (Royal Navy); Hans/Hennes Majestäts Skepp (Swedish Navy)"),
    NamePrefix("RFA", "government", ("GB",), "Royal Fleet Auxiliary (civilian-crewed naval auxiliary)"),
    NamePrefix("HMC", "law_enforcement", ("GB",), "His Majesty's Cutter (UK Border Force)"),
    NamePrefix("HMCS", "military", ("CA",), "His Majesty's Canadian Ship (Royal Canadian Navy)"),
    NamePrefix("CCGS", "law_enforcement", ("CA",), "Canadian Coast Guard Ship"),
    NamePrefix("HMAS", "military", ("AU",), "His Majesty's Australian Ship"),
    NamePrefix("HMNZS", "military", ("NZ",), "His Majesty's New Zealand Ship"),
    NamePrefix("HMBS", "military", ("BS", "BB"), "His Majesty's Bahamian Ship (Royal Bahamas Defence Force); Barbados Coast Guard"),
    NamePrefix("HMJS", "military", ("JM",), "His Majesty's Jamaican Ship (Jamaica Defence Force Coast Guard)"),
    NamePrefix("TTS", "military", ("TT",), "Trinidad and Tobago Ship (Trinidad and Tobago Defence Force Coast Guard)"),
    NamePrefix("GDFS", "military", ("GY",), "Guyana Defence Force Ship"),
    # Netherlands (the Dutch Caribbean included: MID 306 maps to CW)
    NamePrefix("HNLMS", "military", ("NL", "CW"), "His Netherlands Majesty's Ship (Royal Netherlands Navy)"),
    NamePrefix("ZR MS", "military", ("NL", "CW"), "Zijner Majesteits (Zr.Ms., Royal Netherlands Navy)"),
    NamePrefix("HR MS", "military", ("NL", "CW"), "Harer Majesteits (Hr.Ms., before 2013)"),
    # France
    NamePrefix("FS", "military", ("FR",), "French Ship (NATO usage for the Marine nationale)"),
    NamePrefix("FNS", "military", ("FR",), "French Naval Ship (informal usage)"),
    # Latin America
    NamePrefix("AB", "military", ("VE",), "Armada Bolivariana (Venezuelan Navy and its Coast Guard Command: AB ORINOCO)"),
    NamePrefix("ARBV", "military", ("VE",), "Armada de la República Bolivariana de Venezuela"),
    NamePrefix("ARV", "military", ("VE",), "Armada de la República de Venezuela (before 1999)"),
    NamePrefix("GC", "law_enforcement", ("VE",), "Guardacostas (Venezuelan Navy Coast Guard Command)"),
    NamePrefix("GNB", "law_enforcement", ("VE",), "Guardia Nacional Bolivariana (its Coastal Surveillance Command)"),
    NamePrefix("ARC", "military", ("CO",), "Armada de la República de Colombia (navy and its coast guard)"),
    NamePrefix("ARM", "military", ("MX",), "Armada de la República Mexicana"),
    NamePrefix("BAP", "military", ("PE",), "Buque de la Armada del Perú"),
    NamePrefix("BAE", "military", ("EC",), "Buque de la Armada del Ecuador"),
    NamePrefix("ARA", "military", ("AR",), "Armada de la República Argentina"),
    NamePrefix("ARD", "military", ("DO",), "Armada de República Dominicana"),
    NamePrefix("ROU", "military", ("UY",), "República Oriental del Uruguay (Uruguayan Navy)"),
    # Elsewhere (NATO and regional usage)
    NamePrefix("BNS", "military", ("BD", "BE"), "Bangladesh Navy Ship; Belgian Naval Ship"),
    NamePrefix("INS", "military", ("IN", "IL"), "Indian Naval Ship; Israeli Navy Ship"),
    NamePrefix("TCG", "military", ("TR",), "Türkiye Cumhuriyeti Gemisi (Turkish Navy)"),
    NamePrefix("ESPS", "military", ("ES",), "España Buque (NATO usage for the Spanish Navy)"),
    NamePrefix("ITS", "military", ("IT",), "Italian Ship (NATO usage)"),
    NamePrefix("FGS", "military", ("DE",), "Federal German Ship (NATO usage)"),
    NamePrefix("HDMS", "military", ("DK",), "His Danish Majesty's Ship"),
    NamePrefix("HNOMS", "military", ("NO",), "His Norwegian Majesty's Ship"),
    NamePrefix("BRP", "military", ("PH",), "Barko ng Republika ng Pilipinas"),
    # any flag: the word says it
    NamePrefix("WARSHIP", "military", (), "the word WARSHIP"),
    NamePrefix("COAST GUARD", "law_enforcement", (), "the words COAST GUARD"),
    NamePrefix("COASTGUARD", "law_enforcement", (), "the word COASTGUARD"),
    NamePrefix("GUARDACOSTAS", "law_enforcement", (), "Spanish: coast guard"),
    NamePrefix("GUARDA COSTAS", "law_enforcement", (), "Spanish: coast guard"),
    NamePrefix("POLICE", "law_enforcement", (), "the word POLICE"),
    NamePrefix("POLICIA", "law_enforcement", (), "Spanish/Portuguese: police"),
)
# fmt: on
"""Name prefixes, their roles and where they count (docs/ROLES.md has the table)."""

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_PREFIX_RE = re.compile(
    r"^("
    + "|".join(re.escape(p.prefix) for p in sorted(NAME_PREFIXES, key=lambda p: -len(p.prefix)))
    + r")(?= |$|[0-9])"
)
_PREFIX_BY_TEXT = {p.prefix: p for p in NAME_PREFIXES}
_US_CIVIL_CALLSIGN = re.compile(r"^[KW][A-Z0-9]{2,6}$")
_US_FEDERAL_CALLSIGN = re.compile(r"^(N[A-Z]{3}|A[A-L][A-Z]{2})$")
_CALLSIGN_PLACEHOLDERS = frozenset({"NONE", "NULL", "NA", "NIL", "NAME", "ABCD", "AAAA"})


def normalize_vessel_name(name: str | None) -> str:
    """Upper case, accents removed, AIS ``@`` padding and punctuation turned into single
    spaces: ``"Zr.Ms. Tromp@@"`` -> ``"ZR MS TROMP"``; empty for None."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    return _NON_ALNUM.sub(" ", text.replace("@", " ")).strip()


def _flag_fits(countries: tuple[str, ...], flag: str | None) -> bool:
    return not countries or flag is None or flag in countries


def name_role(name: str | None, flag: str | None, callsign: str | None = None) -> str | None:
    """The role a name prefix gives (see the module docstring), or ``None``.

    >>> name_role("USS GRIDLEY", "US"), name_role("ARC INTEGRITY", "US")
    ('military', None)
    """
    hit = _PREFIX_RE.match(normalize_vessel_name(name))
    if hit is None:
        return None
    p = _PREFIX_BY_TEXT[hit.group(1)]
    if not _flag_fits(p.countries, flag):
        return None
    if p.us_federal and callsign and _US_CIVIL_CALLSIGN.match(callsign.strip().upper()):
        return None
    return p.role


def callsign_role(
    callsign: str | None, flag: str | None, *, name: str | None = None, ship_type: int | None = None
) -> str | None:
    """``government`` for a US federal ship call sign (``N???``, ``AA??``-``AL??``; AIS
    ``-`` padding ignored) on a US-flag vessel or one without a flag, else ``None``.

    Pleasure craft (types 36, 37) and call signs that are a placeholder (``NONE``) or the
    vessel's own name (``NILO`` on the yacht NILO) do not count: those are typing, not
    licences."""
    if not callsign or flag not in (None, "US") or ship_type in (36, 37):
        return None
    cs = callsign.strip().upper().rstrip("-").strip()
    if cs in _CALLSIGN_PLACEHOLDERS or cs in normalize_vessel_name(name).split():
        return None
    return "government" if _US_FEDERAL_CALLSIGN.match(cs) else None


# ---------------------------------------------------------------- role lists


def _int_field(text: str, *, what: str, line: int, hi: int) -> int | None:
    t = text.strip()
    if t.upper().startswith(what.upper()):
        t = t[len(what) :].strip()
    if not t:
        return None
    if not t.isdigit() or not 1 <= int(t) <= hi:
        raise SourceError(f"role list line {line}: {what} {text!r} is not a number in 1..{hi}")
    return int(t)


def parse_role_csv(text: str, *, default_source: str = "") -> pa.Table:
    """A role list from CSV text (schema :data:`ROLE_ENTRIES`): columns ``role`` and at least
    one of ``mmsi``, ``imo``, ``name``; optional ``country`` (ISO alpha-2; a row matched by
    name alone needs it), ``note``, ``source`` (``default_source`` when empty).

    Raises:
        SourceError: a missing column or a bad value (with its line number).
    """
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    reader.fieldnames = fields
    if "role" not in fields or not {"mmsi", "imo", "name"} & set(fields):
        raise SourceError("a role list needs a column role and one of mmsi, imo, name")
    cols: dict[str, list[Any]] = {f.name: [] for f in ROLE_ENTRIES}
    for n, row in enumerate(reader, start=2):
        mmsi = _int_field(row.get("mmsi") or "", what="mmsi", line=n, hi=999_999_999)
        imo = _int_field(row.get("imo") or "", what="imo", line=n, hi=9_999_999)
        name = normalize_vessel_name(row.get("name")) or None
        country = (row.get("country") or "").strip().upper() or None
        role = (row.get("role") or "").strip().lower()
        if mmsi is None and imo is None and name is None:
            if role or country:
                raise SourceError(f"role list line {n}: needs an mmsi, imo or name")
            continue  # a blank row
        if role not in NAVAL_ROLES:
            raise SourceError(
                f"role list line {n}: role {role!r} is not one of {', '.join(NAVAL_ROLES)}"
            )
        if country is not None and not re.fullmatch(r"[A-Z]{2}", country):
            raise SourceError(f"role list line {n}: country {country!r} is not ISO alpha-2")
        if mmsi is None and imo is None and country is None:
            raise SourceError(f"role list line {n}: a row with only a name needs a country")
        cols["mmsi"].append(mmsi)
        cols["imo"].append(imo)
        cols["name"].append(name)
        cols["country"].append(country)
        cols["role"].append(role)
        cols["note"].append((row.get("note") or "").strip() or None)
        cols["source"].append((row.get("source") or "").strip() or default_source or None)
    return pa.table({f.name: pa.array(cols[f.name], f.type) for f in ROLE_ENTRIES}, ROLE_ENTRIES)


@cache
def bundled_role_list() -> pa.Table:
    """The bundled list of naval, coast-guard and government vessels (``ROLE_ENTRIES``)."""
    text = (
        resources.files("seawatch")
        .joinpath("data", "roles", "naval_vessels.csv")
        .read_text(encoding="utf-8")
    )
    return parse_role_csv(text, default_source="bundled")


def concat_role_lists(lists: Iterable[pa.Table]) -> pa.Table:
    """Role lists one after the other (the first entry that matches a vessel wins)."""
    tables = [t.select(ROLE_ENTRIES.names).cast(ROLE_ENTRIES) for t in lists]
    return pa.concat_tables(tables) if tables else ROLE_ENTRIES.empty_table()


@dataclass(frozen=True, slots=True)
class RoleIndex:
    """A role list indexed for look-ups (build it once with :func:`role_index`)."""

    by_mmsi: dict[int, tuple[str, str]]
    by_imo: dict[int, tuple[str, str]]
    by_name: dict[tuple[str, str], tuple[str, str]]


@cache
def _bundled_index() -> RoleIndex:
    return role_index(bundled_role_list())


def _list_text(row: dict[str, Any], key: str) -> str:
    what = ", ".join(str(v) for v in (row["name"], row["note"]) if v)
    src = f" [source: {row['source']}]" if row["source"] else ""
    return f"role list, by {key}" + (f": {what}" if what else "") + src


def role_index(entries: pa.Table) -> RoleIndex:
    """``entries`` (:data:`ROLE_ENTRIES`) indexed by MMSI, IMO and (name, country); the
    first entry wins."""
    by_mmsi: dict[int, tuple[str, str]] = {}
    by_imo: dict[int, tuple[str, str]] = {}
    by_name: dict[tuple[str, str], tuple[str, str]] = {}
    for row in entries.to_pylist():
        if row["mmsi"] is not None:
            by_mmsi.setdefault(int(row["mmsi"]), (row["role"], _list_text(row, "MMSI")))
        if row["imo"] is not None:
            by_imo.setdefault(int(row["imo"]), (row["role"], _list_text(row, "IMO")))
        if row["name"] and row["country"]:
            by_name.setdefault(
                (row["name"], row["country"]), (row["role"], _list_text(row, "name and flag"))
            )
    return RoleIndex(by_mmsi, by_imo, by_name)


# ---------------------------------------------------------------- the rule


def _column(values: object, n: int) -> list[Any]:
    if values is None:
        return [None] * n
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return list(values.to_pylist())
    if isinstance(values, Iterable):
        return list(values)
    raise TypeError(f"expected an array or a sequence, not {type(values).__name__}")


def roles_of(
    mmsi: object,
    name: object = None,
    ship_type: object = None,
    *,
    imo: object = None,
    callsign: object = None,
    entries: pa.Table | RoleIndex | None = None,
) -> tuple[pa.Array, pa.Array]:
    """``(role, role_source)`` per vessel, both ``pa.string()`` (see the module docstring).

    Arguments are equal-length numpy arrays, Arrow arrays or sequences (``None``: unknown
    for every vessel). ``entries``: the role list (:data:`ROLE_ENTRIES`, or its
    :func:`role_index`; ``None``: the bundled list; an empty table: no list).
    """
    mm = _column(mmsi, 0)
    n = len(mm)
    names = _column(name, n)
    types = _column(ship_type, n)
    imos = _column(imo, n)
    calls = _column(callsign, n)
    mm_arr = np.array([-1 if m is None else int(m) for m in mm], dtype=np.int64)
    flags = flags_of(mm_arr).to_pylist() if n else []
    idx = _bundled_index() if entries is None else _as_index(entries)
    roles: list[str] = []
    sources: list[str | None] = []
    for i in range(n):
        t = types[i]
        im = imos[i]
        role, source, _ = _decide(
            int(mm_arr[i]),
            names[i],
            None if t is None else int(t),
            None if im is None else int(im),
            calls[i],
            flags[i],
            idx,
        )
        roles.append(role)
        sources.append(source)
    return pa.array(roles, pa.string()), pa.array(sources, pa.string())


def _decide(
    m: int,
    nm: str | None,
    t: int | None,
    im: int | None,
    cs: str | None,
    fl: str | None,
    idx: RoleIndex,
) -> tuple[str, str | None, str | None]:
    """(role, role_source, why in words) of one vessel: the rule, in one place."""
    norm = normalize_vessel_name(nm)
    listed = idx.by_mmsi.get(m)
    if listed is None and im:
        listed = idx.by_imo.get(im)
    if listed is None and norm and fl:
        listed = idx.by_name.get((norm, fl))
    if listed is not None:
        return listed[0], "list", listed[1]
    by_name = name_role(nm, fl, cs)
    if by_name is not None:
        hit = _PREFIX_RE.match(norm)
        prefix = _PREFIX_BY_TEXT[hit.group(1)] if hit else None
        text = f"name prefix {prefix.prefix} ({prefix.meaning})" if prefix else "name prefix"
        return by_name, "name", text
    if 111_000_000 <= m <= 111_999_999:
        return "sar", "mmsi", "MMSI 111MIDxxx: a search and rescue aircraft (ITU-R M.585)"
    typed = ship_group(t)
    by_call = callsign_role(cs, fl, name=nm, ship_type=t)
    if by_call is not None and typed not in ("military", "law_enforcement"):
        call = (cs or "").strip().upper().rstrip("-")
        return by_call, "callsign", f"US federal call sign {call} (N or AA-AL block)"
    if t is None:
        return typed, None, None
    return typed, "ship_type", f"AIS ship type {t}"


def role_evidence(
    mmsi: int,
    name: str | None = None,
    ship_type: int | None = None,
    *,
    imo: int | None = None,
    callsign: str | None = None,
    entries: pa.Table | RoleIndex | None = None,
) -> str | None:
    """Why a vessel has its role, in words (``None`` without evidence): what the brief
    prints beside a naval vessel.

    >>> role_evidence(303000001, "USS EXAMPLE", 90)
    'name prefix USS (United States Ship (commissioned US Navy))'
    """
    idx = _bundled_index() if entries is None else _as_index(entries)
    flag = flags_of(np.array([mmsi], dtype=np.int64))[0].as_py()
    return _decide(int(mmsi), name, ship_type, imo, callsign, flag, idx)[2]


def _as_index(entries: pa.Table | RoleIndex) -> RoleIndex:
    return entries if isinstance(entries, RoleIndex) else role_index(entries)


def role_of(
    mmsi: int,
    name: str | None = None,
    ship_type: int | None = None,
    *,
    imo: int | None = None,
    callsign: str | None = None,
    entries: pa.Table | RoleIndex | None = None,
) -> tuple[str, str | None]:
    """:func:`roles_of` for one vessel: ``(role, role_source)``.

    >>> role_of(369961000, "USS GRIDLEY", 90)
    ('military', 'list')
    >>> role_of(303000001, "USS EXAMPLE", 90, entries=bundled_role_list().slice(0, 0))
    ('military', 'name')
    """
    r, s = roles_of([mmsi], [name], [ship_type], imo=[imo], callsign=[callsign], entries=entries)
    role: str = r[0].as_py()
    return role, s[0].as_py()


def vessel_roles(
    statics: pa.Table | None, *, entries: pa.Table | RoleIndex | None = None
) -> pa.Table:
    """``mmsi, name, ship_type, role, role_source`` per MMSI of ``statics`` (schema
    ``STATICS`` or any table with ``mmsi``, ``ts`` and some of ``name``, ``ship_type``,
    ``imo``, ``callsign``), each field its latest non-null value (as the store's
    ``vessels`` view takes them)."""
    out_schema = pa.schema(
        [
            ("mmsi", pa.int64()),
            ("name", pa.string()),
            ("ship_type", pa.int64()),
            ("role", pa.string()),
            ("role_source", pa.string()),
        ]
    )
    if statics is None or statics.num_rows == 0:
        return out_schema.empty_table()
    s = statics
    if "ts" in s.column_names:
        s = s.filter(pc.is_valid(s.column("ts"))).sort_by([("ts", "ascending")])
    s = s.set_column(s.column_names.index("mmsi"), "mmsi", pc.cast(s.column("mmsi"), pa.int64()))
    keys = sorted(set(pc.unique(s.column("mmsi")).to_pylist()))
    latest: dict[str, dict[int, Any]] = {}
    for col in ("name", "ship_type", "imo", "callsign"):
        latest[col] = {}
        if col in s.column_names:
            has = s.select(["mmsi", col]).filter(pc.is_valid(s.column(col)))
            last = has.group_by("mmsi", use_threads=False).aggregate([(col, "last")])
            latest[col] = dict(
                zip(
                    last.column("mmsi").to_pylist(),
                    last.column(f"{col}_last").to_pylist(),
                    strict=True,
                )
            )
    role, source = roles_of(
        keys,
        [latest["name"].get(k) for k in keys],
        [latest["ship_type"].get(k) for k in keys],
        imo=[latest["imo"].get(k) for k in keys],
        callsign=[latest["callsign"].get(k) for k in keys],
        entries=entries,
    )
    return pa.table(
        {
            "mmsi": pa.array(keys, pa.int64()),
            "name": pa.array([latest["name"].get(k) for k in keys], pa.string()),
            "ship_type": pa.array([latest["ship_type"].get(k) for k in keys], pa.int64()),
            "role": role,
            "role_source": source,
        },
        schema=out_schema,
    )
