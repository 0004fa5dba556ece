"""The scenario model (frozen dataclasses), its TOML reader, and the ground truth.

The file format is documented in the package docstring (:mod:`seawatch.sim`) and in
docs/EVALUATION.md. Unknown keys are errors, so a typo never silently changes a scenario.
"""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from seawatch._exceptions import NotFoundError, ParameterError

LegKind = Literal["course", "goto", "drift", "hold", "follow"]
LEG_KINDS: tuple[str, ...] = ("course", "goto", "drift", "hold", "follow")

INPUT_FORMATS: tuple[str, ...] = ("nmea", "csv")
"""The simulator's outputs that seawatch ingests."""

IDENTITY_FIELDS: tuple[str, ...] = ("mmsi", "name", "callsign", "imo", "ship_type", "destination")
"""Fields an :class:`IdentityChange` may set."""

__all__ = [
    "IDENTITY_FIELDS",
    "INPUT_FORMATS",
    "Identity",
    "IdentityChange",
    "Leg",
    "Noise",
    "Scenario",
    "Silence",
    "Spoof",
    "Truth",
    "TruthEvent",
    "Vessel",
    "load_scenario",
    "load_truth",
    "parse_scenario",
    "scenario_names",
]


@dataclass(frozen=True, slots=True)
class Leg:
    """One leg of a vessel's voyage; legs run back to back from the vessel's start.

    ``course``: ``heading_deg`` at ``speed_kn``. ``goto``: to ``lat``/``lon`` at
    ``speed_kn`` or arriving at ``arrive_h``. ``drift``: slow random walk at about
    ``speed_kn`` (default 0.5). ``hold``: stay put, swinging on a circle of ``swing_m``.
    ``follow``: keep ``distance_m`` from vessel ``target`` on bearing ``bearing_deg``
    (the follower jumps to that spot when the leg begins). Every kind but ``goto`` lasts
    ``duration_h`` or until ``until_h`` (hours from the scenario start)."""

    kind: LegKind
    duration_h: float | None = None
    until_h: float | None = None
    heading_deg: float | None = None
    speed_kn: float | None = None
    lat: float | None = None
    lon: float | None = None
    arrive_h: float | None = None
    swing_m: float = 30.0
    target: int | None = None
    distance_m: float = 100.0
    bearing_deg: float = 90.0
    nav_status: int | None = None
    interval_s: float | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    """A window (hours from the scenario start) in which a vessel transmits nothing."""

    start_h: float
    end_h: float


@dataclass(frozen=True, slots=True)
class Spoof:
    """A window (hours from the scenario start) in which the vessel broadcasts a false
    position, ``lat``/``lon`` plus GPS jitter at speed 0 (GNSS spoofing, a misconfigured
    transmitter); its true track goes on and is what the ground truth records."""

    start_h: float
    end_h: float
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class SatellitePass:
    """A satellite image of the scenario (``[[passes]]``): its time, footprint
    (``lat_min, lon_min, lat_max, lon_max``; None: every vessel, padded), sensor name,
    clutter count (None: drawn) and detections placed outside the footprint."""

    at_h: float
    footprint: tuple[float, float, float, float] | None = None
    source: str = "sentinel1"
    clutter: int | None = None
    outside: int = 0


@dataclass(frozen=True, slots=True)
class IdentityChange:
    """From ``at_h`` (hours from the scenario start) on, the vessel broadcasts these values;
    ``None`` keeps the current one. A new ``mmsi`` applies to positions and statics (a flag
    comes from the MMSI's MID, so a reflagged vessel changes MMSI); the other fields to
    statics (type 5, or 24 A/B). A changed identity is broadcast at once (ITU-R M.1371:
    statics are sent when amended), then every ``static_interval_s``."""

    at_h: float
    mmsi: int | None = None
    name: str | None = None
    callsign: str | None = None
    imo: int | None = None
    ship_type: int | None = None
    destination: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity a vessel broadcasts from ``at_s`` (seconds from the scenario start)."""

    at_s: float
    mmsi: int
    name: str
    callsign: str
    imo: int
    ship_type: int
    destination: str


@dataclass(frozen=True, slots=True)
class Vessel:
    """A simulated vessel: identity, start point and time, report intervals and legs.

    ``identity`` changes what it broadcasts over time; ``shares_mmsi`` declares that it
    transmits the (initial) MMSI of a vessel listed before it: two physical vessels on one
    MMSI, a clone. ``spoof`` windows replace its broadcast positions by false ones."""

    mmsi: int
    lat: float
    lon: float
    legs: tuple[Leg, ...]
    name: str = ""
    callsign: str = ""
    imo: int = 0
    ship_type: int = 0
    klass: Literal["A", "B"] = "A"
    start_h: float = 0.0
    interval_s: float | None = None
    hold_interval_s: float | None = None
    static_interval_s: float = 360.0
    length_m: float = 0.0
    beam_m: float = 0.0
    draught_m: float = 0.0
    destination: str = ""
    station: str | None = None
    silent: tuple[Silence, ...] = ()
    identity: tuple[IdentityChange, ...] = ()
    shares_mmsi: bool = False
    spoof: tuple[Spoof, ...] = ()

    @property
    def mmsis(self) -> tuple[int, ...]:
        """Every MMSI the vessel broadcasts, the initial one first."""
        out = [self.mmsi]
        for c in self.identity:
            if c.mmsi is not None and c.mmsi not in out:
                out.append(c.mmsi)
        return tuple(out)

    def identities(self) -> tuple[Identity, ...]:
        """The broadcast identity from the start, then after each change (in time order)."""
        cur = Identity(
            at_s=float("-inf"),
            mmsi=self.mmsi,
            name=self.name,
            callsign=self.callsign,
            imo=self.imo,
            ship_type=self.ship_type,
            destination=self.destination,
        )
        out = [cur]
        for c in self.identity:
            cur = Identity(
                at_s=c.at_h * 3600.0,
                mmsi=cur.mmsi if c.mmsi is None else c.mmsi,
                name=cur.name if c.name is None else c.name,
                callsign=cur.callsign if c.callsign is None else c.callsign,
                imo=cur.imo if c.imo is None else c.imo,
                ship_type=cur.ship_type if c.ship_type is None else c.ship_type,
                destination=cur.destination if c.destination is None else c.destination,
            )
            out.append(cur)
        return tuple(out)

    @property
    def position_interval_s(self) -> float:
        """Report interval under way (default 60 s class A, 180 s class B)."""
        if self.interval_s is not None:
            return self.interval_s
        return 60.0 if self.klass == "A" else 180.0

    @property
    def at_rest_interval_s(self) -> float:
        """Report interval on ``hold`` legs (default 180 s)."""
        if self.hold_interval_s is not None:
            return self.hold_interval_s
        return max(180.0, self.position_interval_s)


@dataclass(frozen=True, slots=True)
class Noise:
    """Reception noise: GPS jitter, duplicates, corrupted lines, dropped reports."""

    jitter_m: float = 5.0
    """Standard deviation of the GPS error, per axis, in metres."""
    duplicate_prob: float = 0.0
    """Probability that a message is also heard by a second station."""
    duplicate_delay_s: tuple[int, int] = (1, 5)
    """The duplicate's tag-block time is this many seconds later (inclusive range)."""
    corrupt_prob: float = 0.0
    """Probability that a line has one payload character flipped (its checksum fails)."""
    drop_prob: float = 0.0
    """Probability that a position report is not received at all."""


@dataclass(frozen=True, slots=True)
class TruthEvent:
    """An event a scenario contains by construction (or, as a negative, must not yield)."""

    type: str
    vessels: tuple[int, ...]
    start: datetime
    end: datetime
    zone: str | None = None
    note: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (times ISO 8601 UTC with ``Z``)."""
        out: dict[str, Any] = {
            "type": self.type,
            "vessels": sorted(self.vessels),
            "start": _iso(self.start),
            "end": _iso(self.end),
        }
        if self.zone is not None:
            out["zone"] = self.zone
        if self.note:
            out["note"] = self.note
        if self.details:
            out["details"] = dict(self.details)
        return out

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> TruthEvent:
        """Inverse of :meth:`to_dict`."""
        return TruthEvent(
            type=str(d["type"]),
            vessels=tuple(sorted(int(v) for v in d["vessels"])),
            start=_parse_time(d["start"]),
            end=_parse_time(d["end"]),
            zone=d.get("zone"),
            note=str(d.get("note", "")),
            details=dict(d.get("details", {})),
        )


@dataclass(frozen=True, slots=True)
class Truth:
    """Ground truth of one scenario: what ``truth.json`` holds.

    ``scored`` maps each event type the scenario is scored on to the zones scored for it
    (``None``: every detection of that type counts). Detections of other types, or of
    zones not listed, are ignored by the evaluation."""

    scenario: str
    seed: int
    start: datetime
    end: datetime
    scored: Mapping[str, tuple[str, ...] | None]
    events: tuple[TruthEvent, ...]
    negatives: tuple[TruthEvent, ...] = ()
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "scenario": self.scenario,
            "description": self.description,
            "seed": self.seed,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "scored": {k: (list(v) if v is not None else None) for k, v in self.scored.items()},
            "events": [e.to_dict() for e in self.events],
            "negatives": [e.to_dict() for e in self.negatives],
        }

    def to_json(self) -> str:
        """Pretty, stable JSON text."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Truth:
        """Inverse of :meth:`to_dict`."""
        try:
            return Truth(
                scenario=str(d.get("scenario", "")),
                description=str(d.get("description", "")),
                seed=int(d.get("seed", 0)),
                start=_parse_time(d["start"]),
                end=_parse_time(d["end"]),
                scored={
                    str(k): (tuple(v) if v is not None else None)
                    for k, v in dict(d["scored"]).items()
                },
                events=tuple(TruthEvent.from_dict(e) for e in d.get("events", [])),
                negatives=tuple(TruthEvent.from_dict(e) for e in d.get("negatives", [])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"invalid truth: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Scenario:
    """A declarative scenario: vessels with legs, reception noise and ground truth."""

    name: str
    start: datetime
    duration_h: float
    vessels: tuple[Vessel, ...]
    seed: int = 0
    description: str = ""
    stations: tuple[str, ...] = ("sim-1",)
    noise: Noise = Noise()
    truth: Truth | None = None
    passes: tuple[SatellitePass, ...] = ()
    """Satellite passes (``[[passes]]``): see :mod:`seawatch.sim._passes`."""
    inputs: tuple[str, ...] = INPUT_FORMATS
    """The outputs that carry what the truth needs, for the suite to ingest (the NOAA CSV
    has positions and identity but no destination: a scenario that turns on a declared
    destination lists only ``nmea``)."""

    @property
    def end(self) -> datetime:
        """Scenario end (UTC)."""
        return self.start + timedelta(hours=self.duration_h)

    def vessel(self, mmsi: int) -> Vessel:
        """The vessel broadcasting this MMSI (at any time; for a shared MMSI, the first
        vessel listed)."""
        for v in self.vessels:
            if mmsi in v.mmsis:
                return v
        raise NotFoundError(f"scenario {self.name!r} has no vessel {mmsi}")


# ------------------------------------------------------------------------------ helpers


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise ParameterError(f"not an ISO 8601 time: {value!r}") from exc
    if t.tzinfo is None:
        raise ParameterError(f"time without a time zone: {value!r} (use ...Z)")
    return t.astimezone(UTC)


def _check_keys(d: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
    bad = sorted(set(d) - set(allowed))
    if bad:
        raise ParameterError(f"{where}: unknown key(s) {bad}; allowed: {sorted(allowed)}")


def _opt_float(d: Mapping[str, Any], key: str) -> float | None:
    v = d.get(key)
    return None if v is None else float(v)


_LEG_KEYS = (
    "kind",
    "duration_h",
    "until_h",
    "heading_deg",
    "speed_kn",
    "lat",
    "lon",
    "arrive_h",
    "swing_m",
    "target",
    "distance_m",
    "bearing_deg",
    "nav_status",
    "interval_s",
)


def _leg(d: Mapping[str, Any], where: str) -> Leg:
    _check_keys(d, _LEG_KEYS, where)
    kind = d.get("kind")
    if kind not in LEG_KINDS:
        raise ParameterError(f"{where}: kind must be one of {list(LEG_KINDS)}, not {kind!r}")
    leg = Leg(
        kind=kind,
        duration_h=_opt_float(d, "duration_h"),
        until_h=_opt_float(d, "until_h"),
        heading_deg=_opt_float(d, "heading_deg"),
        speed_kn=_opt_float(d, "speed_kn"),
        lat=_opt_float(d, "lat"),
        lon=_opt_float(d, "lon"),
        arrive_h=_opt_float(d, "arrive_h"),
        swing_m=float(d.get("swing_m", 30.0)),
        target=None if d.get("target") is None else int(d["target"]),
        distance_m=float(d.get("distance_m", 100.0)),
        bearing_deg=float(d.get("bearing_deg", 90.0)),
        nav_status=None if d.get("nav_status") is None else int(d["nav_status"]),
        interval_s=_opt_float(d, "interval_s"),
    )
    if kind == "goto":
        if leg.lat is None or leg.lon is None:
            raise ParameterError(f"{where}: a goto leg needs lat and lon")
        if (leg.speed_kn is None) == (leg.arrive_h is None):
            raise ParameterError(f"{where}: a goto leg needs exactly one of speed_kn, arrive_h")
    else:
        if (leg.duration_h is None) == (leg.until_h is None):
            raise ParameterError(f"{where}: needs exactly one of duration_h, until_h")
        if kind == "course" and (leg.heading_deg is None or leg.speed_kn is None):
            raise ParameterError(f"{where}: a course leg needs heading_deg and speed_kn")
        if kind == "follow" and leg.target is None:
            raise ParameterError(f"{where}: a follow leg needs a target MMSI")
    return leg


_VESSEL_KEYS = (
    "mmsi",
    "name",
    "callsign",
    "imo",
    "ship_type",
    "class",
    "lat",
    "lon",
    "start_h",
    "interval_s",
    "hold_interval_s",
    "static_interval_s",
    "length_m",
    "beam_m",
    "draught_m",
    "destination",
    "station",
    "silent",
    "identity",
    "shares_mmsi",
    "spoof",
    "legs",
)


def _vessel(d: Mapping[str, Any], where: str) -> Vessel:
    _check_keys(d, _VESSEL_KEYS, where)
    try:
        mmsi = int(d["mmsi"])
        lat, lon = float(d["lat"]), float(d["lon"])
    except KeyError as exc:
        raise ParameterError(f"{where}: missing {exc.args[0]!r}") from exc
    klass = str(d.get("class", "A")).upper()
    if klass not in ("A", "B"):
        raise ParameterError(f"{where}: class must be 'A' or 'B'")
    legs = tuple(_leg(leg, f"{where} leg {i + 1}") for i, leg in enumerate(d.get("legs", [])))
    if not legs:
        raise ParameterError(f"{where}: a vessel needs at least one leg")
    silent = []
    for s in d.get("silent", []):
        _check_keys(s, ("start_h", "end_h"), f"{where} silent")
        silent.append(Silence(float(s["start_h"]), float(s["end_h"])))
    shares = d.get("shares_mmsi", False)
    if not isinstance(shares, bool):
        raise ParameterError(f"{where}: shares_mmsi must be true or false")
    return Vessel(
        mmsi=mmsi,
        lat=lat,
        lon=lon,
        legs=legs,
        name=str(d.get("name", "")),
        callsign=str(d.get("callsign", "")),
        imo=int(d.get("imo", 0)),
        ship_type=int(d.get("ship_type", 0)),
        klass="A" if klass == "A" else "B",
        start_h=float(d.get("start_h", 0.0)),
        interval_s=_opt_float(d, "interval_s"),
        hold_interval_s=_opt_float(d, "hold_interval_s"),
        static_interval_s=float(d.get("static_interval_s", 360.0)),
        length_m=float(d.get("length_m", 0.0)),
        beam_m=float(d.get("beam_m", 0.0)),
        draught_m=float(d.get("draught_m", 0.0)),
        destination=str(d.get("destination", "")),
        station=None if d.get("station") is None else str(d["station"]),
        silent=tuple(silent),
        identity=_identity_changes(d.get("identity", []), where),
        shares_mmsi=shares,
        spoof=_spoofs(d.get("spoof", []), where),
    )


def _identity_changes(items: Any, where: str) -> tuple[IdentityChange, ...]:
    if not isinstance(items, list):
        raise ParameterError(f"{where}: identity must be a list of tables")
    out: list[IdentityChange] = []
    for i, c in enumerate(items):
        w = f"{where} identity {i + 1}"
        if not isinstance(c, Mapping):
            raise ParameterError(f"{w}: must be a table such as {{ at_h = 30, name = ... }}")
        _check_keys(c, ("at_h", *IDENTITY_FIELDS), w)
        if "at_h" not in c:
            raise ParameterError(f"{w}: needs at_h")
        if not set(c) & set(IDENTITY_FIELDS):
            raise ParameterError(f"{w}: changes nothing; set any of {list(IDENTITY_FIELDS)}")
        try:
            out.append(
                IdentityChange(
                    at_h=float(c["at_h"]),
                    mmsi=None if c.get("mmsi") is None else int(c["mmsi"]),
                    name=None if c.get("name") is None else str(c["name"]),
                    callsign=None if c.get("callsign") is None else str(c["callsign"]),
                    imo=None if c.get("imo") is None else int(c["imo"]),
                    ship_type=None if c.get("ship_type") is None else int(c["ship_type"]),
                    destination=None if c.get("destination") is None else str(c["destination"]),
                )
            )
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{w}: {exc}") from exc
    for a, b in itertools.pairwise(out):
        if b.at_h <= a.at_h:
            raise ParameterError(f"{where}: identity changes must be in time order (at_h rising)")
    return tuple(out)


def _spoofs(items: Any, where: str) -> tuple[Spoof, ...]:
    if not isinstance(items, list):
        raise ParameterError(f"{where}: spoof must be a list of tables")
    out: list[Spoof] = []
    for i, s in enumerate(items):
        w = f"{where} spoof {i + 1}"
        if not isinstance(s, Mapping):
            raise ParameterError(f"{w}: must be a table {{ start_h, end_h, lat, lon }}")
        _check_keys(s, ("start_h", "end_h", "lat", "lon"), w)
        try:
            sp = Spoof(float(s["start_h"]), float(s["end_h"]), float(s["lat"]), float(s["lon"]))
        except KeyError as exc:
            raise ParameterError(f"{w}: missing {exc.args[0]!r}") from exc
        if sp.end_h <= sp.start_h:
            raise ParameterError(f"{w}: end_h must be after start_h")
        if not (-90.0 <= sp.lat <= 90.0 and -180.0 <= sp.lon <= 180.0):
            raise ParameterError(f"{w}: lat/lon off the globe")
        if out and sp.start_h < out[-1].end_h:
            raise ParameterError(f"{where}: spoof windows must be in time order, not overlapping")
        out.append(sp)
    return tuple(out)


def _check_mmsis(vessels: Sequence[Vessel], duration_h: float) -> None:
    """Each MMSI belongs to one vessel, except the declared clones (``shares_mmsi``);
    identity changes lie inside the scenario; ``follow`` targets are unambiguous."""
    owner: dict[int, int] = {}
    shared: set[int] = set()
    for i, v in enumerate(vessels):
        where = f"vessel {i + 1} ({v.mmsi})"
        if v.shares_mmsi:
            if v.mmsi not in owner:
                raise ParameterError(
                    f"{where}: shares_mmsi = true, but no vessel listed before it has MMSI {v.mmsi}"
                )
            shared.add(v.mmsi)
        elif v.mmsi in owner:
            raise ParameterError(
                f"{where}: MMSI {v.mmsi} is already vessel {owner[v.mmsi] + 1}'s; vessel MMSIs "
                "must be unique (set shares_mmsi = true on a vessel that clones another's)"
            )
        else:
            owner[v.mmsi] = i
    for i, v in enumerate(vessels):
        where = f"vessel {i + 1} ({v.mmsi})"
        for c in v.identity:
            if not 0.0 < c.at_h < duration_h:
                raise ParameterError(
                    f"{where}: identity change at_h = {c.at_h:g} is not inside the scenario "
                    f"(0 < at_h < {duration_h:g})"
                )
            if c.mmsi is not None and c.mmsi != v.mmsi:
                if c.mmsi in owner:
                    raise ParameterError(
                        f"{where}: identity change to MMSI {c.mmsi}, which vessel "
                        f"{owner[c.mmsi] + 1} already uses"
                    )
                owner[c.mmsi] = i
        for s in v.spoof:
            if s.start_h < 0.0 or s.end_h > duration_h:
                raise ParameterError(
                    f"{where}: spoof window {s.start_h:g}-{s.end_h:g} h is not inside the "
                    f"scenario (0-{duration_h:g} h)"
                )
    for i, v in enumerate(vessels):
        for k, leg in enumerate(v.legs):
            if leg.kind != "follow" or leg.target is None:
                continue
            where = f"vessel {i + 1} ({v.mmsi}) leg {k + 1}"
            if leg.target in shared:
                raise ParameterError(
                    f"{where}: follows MMSI {leg.target}, which several vessels share "
                    "(shares_mmsi); follow one that is unique"
                )
            if leg.target not in owner:
                raise ParameterError(f"{where}: follows unknown vessel {leg.target}")


_EVENT_KEYS = ("type", "vessels", "start_h", "end_h", "start", "end", "zone", "note", "details")


def _truth_event(d: Mapping[str, Any], start: datetime, where: str) -> TruthEvent:
    _check_keys(d, _EVENT_KEYS, where)

    def at(key_h: str, key_abs: str) -> datetime:
        if key_h in d:
            return start + timedelta(hours=float(d[key_h]))
        if key_abs in d:
            return _parse_time(d[key_abs])
        raise ParameterError(f"{where}: needs {key_h} or {key_abs}")

    ev = TruthEvent(
        type=str(d["type"]),
        vessels=tuple(sorted(int(v) for v in d["vessels"])),
        start=at("start_h", "start"),
        end=at("end_h", "end"),
        zone=None if d.get("zone") is None else str(d["zone"]),
        note=str(d.get("note", "")),
        details=dict(d.get("details", {})),
    )
    if ev.end < ev.start:
        raise ParameterError(f"{where}: end before start")
    return ev


def parse_scenario(data: Mapping[str, Any], *, name: str = "") -> Scenario:
    """A :class:`Scenario` from the parsed TOML document (see the package docstring)."""
    _check_keys(
        data, ("scenario", "noise", "vessels", "truth", "negatives", "passes"), "scenario file"
    )
    head = dict(data.get("scenario", {}))
    _check_keys(
        head,
        ("name", "description", "start", "duration_h", "seed", "stations", "scored", "inputs"),
        "[scenario]",
    )
    inputs = tuple(str(x) for x in head.get("inputs", INPUT_FORMATS))
    if not inputs or not set(inputs) <= set(INPUT_FORMATS):
        raise ParameterError(
            f"[scenario]: inputs must be a non-empty list of {list(INPUT_FORMATS)}, not {inputs!r}"
        )
    if "start" not in head or "duration_h" not in head:
        raise ParameterError("[scenario] needs start and duration_h")
    start = _parse_time(head["start"])
    sc_name = str(head.get("name", name))
    noise_d = dict(data.get("noise", {}))
    _check_keys(noise_d, tuple(Noise.__dataclass_fields__), "[noise]")
    delay = noise_d.get("duplicate_delay_s", (1, 5))
    noise = Noise(
        jitter_m=float(noise_d.get("jitter_m", 5.0)),
        duplicate_prob=float(noise_d.get("duplicate_prob", 0.0)),
        duplicate_delay_s=(int(delay[0]), int(delay[1])),
        corrupt_prob=float(noise_d.get("corrupt_prob", 0.0)),
        drop_prob=float(noise_d.get("drop_prob", 0.0)),
    )
    for p in (noise.duplicate_prob, noise.corrupt_prob, noise.drop_prob):
        if not 0.0 <= p <= 1.0:
            raise ParameterError("[noise]: probabilities must be within 0..1")
    vessels = tuple(_vessel(v, f"vessel {i + 1}") for i, v in enumerate(data.get("vessels", [])))
    if not vessels:
        raise ParameterError("a scenario needs at least one [[vessels]]")
    _check_mmsis(vessels, float(head["duration_h"]))
    mmsis = [m for v in vessels for m in v.mmsis]
    events = tuple(
        _truth_event(e, start, f"truth {i + 1}") for i, e in enumerate(data.get("truth", []))
    )
    negatives = tuple(
        _truth_event(e, start, f"negative {i + 1}") for i, e in enumerate(data.get("negatives", []))
    )
    for ev in (*events, *negatives):
        unknown = set(ev.vessels) - set(mmsis)
        if unknown:
            raise ParameterError(f"truth event {ev.type} names unknown vessels {sorted(unknown)}")
    scored_raw = head.get("scored")
    scored: dict[str, tuple[str, ...] | None] = {}
    if scored_raw is None:
        for ev in (*events, *negatives):
            if ev.zone is None:
                scored[ev.type] = None
            else:
                prev = scored.get(ev.type) or ()
                scored[ev.type] = tuple(sorted({*prev, ev.zone}))
    else:
        for key, zones in dict(scored_raw).items():
            scored[str(key)] = None if not zones else tuple(str(z) for z in zones)
    seed = int(head.get("seed", 0))
    truth = Truth(
        scenario=sc_name,
        description=str(head.get("description", "")),
        seed=seed,
        start=start,
        end=start + timedelta(hours=float(head["duration_h"])),
        scored=scored,
        events=events,
        negatives=negatives,
    )
    return Scenario(
        name=sc_name,
        description=str(head.get("description", "")),
        start=start,
        duration_h=float(head["duration_h"]),
        vessels=vessels,
        seed=seed,
        stations=tuple(str(s) for s in head.get("stations", ["sim-1"])),
        noise=noise,
        truth=truth,
        inputs=inputs,
        passes=_passes(data.get("passes", []), float(head["duration_h"])),
    )


def _passes(items: Any, duration_h: float) -> tuple[SatellitePass, ...]:
    if not isinstance(items, list):
        raise ParameterError("passes must be a list of tables ([[passes]])")
    out = []
    for i, d in enumerate(items):
        where = f"pass {i + 1}"
        _check_keys(d, ("at_h", "footprint", "source", "clutter", "outside"), where)
        at_h = float(d["at_h"]) if "at_h" in d else -1.0
        if not 0 <= at_h <= duration_h:
            raise ParameterError(f"{where}: at_h must be within the scenario (0..{duration_h:g})")
        fp = d.get("footprint")
        if fp is not None:
            if len(fp) != 4 or not (fp[0] < fp[2] and fp[1] < fp[3]):
                raise ParameterError(f"{where}: footprint is [lat_min, lon_min, lat_max, lon_max]")
            fp = tuple(float(x) for x in fp)
        clutter = d.get("clutter")
        out.append(
            SatellitePass(
                at_h=at_h,
                footprint=fp,
                source=str(d.get("source", "sentinel1")),
                clutter=None if clutter is None else int(clutter),
                outside=int(d.get("outside", 0)),
            )
        )
    return tuple(out)


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in ``seawatch/data/scenarios``."""
    root = resources.files("seawatch") / "data" / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in root.iterdir() if p.name.endswith(".toml"))


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a TOML file path, or the name of a shipped scenario."""
    path = Path(path_or_name)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise NotFoundError(f"no scenario file {path}")
        text = path.read_text(encoding="utf-8")
        default_name = path.stem
    else:
        name = str(path_or_name)
        if name not in scenario_names():
            raise NotFoundError(
                f"no scenario named {name!r}; shipped: {', '.join(scenario_names())}"
            )
        res = resources.files("seawatch") / "data" / "scenarios" / f"{name}.toml"
        text = res.read_text(encoding="utf-8")
        default_name = name
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path_or_name}: invalid TOML: {exc}") from exc
    return parse_scenario(data, name=default_name)


def relocate(scenario: Scenario, lat: float, lon: float) -> Scenario:
    """``scenario`` moved so that its vessels' mean start position is at ``(lat, lon)``:
    every position in it (vessels' starts, ``goto`` legs, spoofed positions, satellite
    footprints) keeps its offset from that mean in metres north and east (so distances,
    bearings and speeds are kept up to the curvature of the map over the scenario's few
    hundred kilometres), longitudes wrapped round the antimeridian. Times, noise, seed and
    truth are unchanged; ``name`` gets ``@69N2E``, say.

    Zones, ports and coasts do not move with it: a scenario whose truth names a zone or
    turns on a coast, a port or land means something else elsewhere; move the offshore
    ones. What it is for: the same situation where nobody tuned the detectors (high
    latitudes, the antimeridian, other oceans).

    Raises:
        ParameterError: ``(lat, lon)`` off the globe, a position moved beyond 89° of
            latitude, or a satellite footprint that would straddle the antimeridian.
    """
    import dataclasses
    import math

    if not (-89.0 <= lat <= 89.0 and -180.0 <= lon <= 180.0):
        raise ParameterError(f"relocate: ({lat}, {lon}) is not a position (|lat| <= 89)")
    lat0 = sum(v.lat for v in scenario.vessels) / len(scenario.vessels)
    lon0 = sum(v.lon for v in scenario.vessels) / len(scenario.vessels)
    k = math.cos(math.radians(lat0)) / math.cos(math.radians(lat))

    def move(la: float, lo: float) -> tuple[float, float]:
        new_lat = lat + (la - lat0)
        if abs(new_lat) > 89.0:
            raise ParameterError(f"relocate: a position would move to latitude {new_lat:.2f}")
        dlon = (lo - lon0 + 180.0) % 360.0 - 180.0
        return new_lat, (lon + dlon * k + 180.0) % 360.0 - 180.0

    def walk(x: Any) -> Any:
        if isinstance(x, tuple):
            return tuple(walk(v) for v in x)
        if not dataclasses.is_dataclass(x) or isinstance(x, type):
            return x
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(x):
            value = getattr(x, f.name)
            if f.name in ("truth", "noise"):
                continue
            if f.name == "footprint" and value is not None:
                (a_lat, a_lon), (b_lat, b_lon) = move(value[0], value[1]), move(value[2], value[3])
                if b_lon < a_lon:
                    raise ParameterError("relocate: a footprint would straddle the antimeridian")
                changes[f.name] = (a_lat, a_lon, b_lat, b_lon)
            elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
                changes[f.name] = walk(value)
        la, lo = getattr(x, "lat", None), getattr(x, "lon", None)
        if isinstance(la, float | int) and isinstance(lo, float | int):
            changes["lat"], changes["lon"] = move(float(la), float(lo))
        return dataclasses.replace(x, **changes) if changes else x

    moved: Scenario = walk(scenario)
    where = f"{abs(lat):g}{'S' if lat < 0 else 'N'}{abs(lon):g}{'W' if lon < 0 else 'E'}"
    return dataclasses.replace(moved, name=f"{scenario.name}@{where}")


RELAY_STATION = "relay-late"
"""The station :func:`relay_late` adds to a scenario that has one receiver only."""


RELAY_SHARE = 0.4
"""The share of messages :func:`relay_late` relays by default."""


def relay_late(scenario: Scenario, lo_s: int, hi_s: int, share: float = RELAY_SHARE) -> Scenario:
    """``scenario`` with a feed that relays ``share`` of its messages again ``lo_s`` to
    ``hi_s`` seconds late (as aggregators, satellite downlinks and buffering receivers do):
    its ``[noise] duplicate_prob`` and ``duplicate_delay_s`` set to these, and a second
    station (:data:`RELAY_STATION`) where it has one only (copies are heard by another
    station). Vessels, truth and seed are unchanged; ``name`` gets ``~300-600s``, say
    (``~300-600s,100%`` for another share than 40 %).
    What it is for: the reports the store de-duplicates no more (they differ in time), which
    stale-position copies a detector must not take for a second vessel or a second visit.

    Raises:
        ParameterError: a negative or reversed delay, or a share outside 0 .. 1.
    """
    import dataclasses

    if not (0 <= lo_s <= hi_s <= 86_400 and 0.0 <= share <= 1.0):
        raise ParameterError(
            f"relay_late: need 0 <= {lo_s} <= {hi_s} <= 86400 seconds and a share in 0 .. 1"
        )
    noise = dataclasses.replace(
        scenario.noise, duplicate_prob=share, duplicate_delay_s=(int(lo_s), int(hi_s))
    )
    stations = tuple(scenario.stations) or ("sim-1",)
    if len(stations) < 2:
        stations = (*stations, RELAY_STATION)
    name = f"{scenario.name}~{lo_s}-{hi_s}s"
    if share != RELAY_SHARE:
        name += f",{share * 100:g}%"
    return dataclasses.replace(scenario, noise=noise, stations=stations, name=name)


def sparse_reports(scenario: Scenario, every_s: int) -> Scenario:
    """``scenario`` with every vessel heard at most once per ``every_s`` seconds, moving or
    at rest (what satellite AIS gives on the high seas: a vessel once an hour or less, or a
    shore receiver down-sampling). Vessels, truth and seed are unchanged; ``name`` gets
    ``^3600s``, say. What it is for: events built from dense tracks that must still be
    found, and measured, on sparse ones.

    Raises:
        ParameterError: an interval outside 1 .. 86400 seconds.
    """
    import dataclasses

    if not 1 <= every_s <= 86_400:
        raise ParameterError(f"sparse_reports: need 1 <= {every_s} <= 86400 seconds")
    every = float(every_s)

    def thin(v: Vessel) -> Vessel:
        legs = tuple(
            leg
            if leg.interval_s is None
            else dataclasses.replace(leg, interval_s=max(leg.interval_s, every))
            for leg in v.legs
        )
        return dataclasses.replace(
            v,
            legs=legs,
            interval_s=max(v.position_interval_s, every),
            hold_interval_s=max(v.at_rest_interval_s, every),
        )

    vessels = tuple(thin(v) for v in scenario.vessels)
    return dataclasses.replace(scenario, vessels=vessels, name=f"{scenario.name}^{every_s}s")


def load_truth(path: str | Path) -> Truth:
    """A :class:`Truth` from a ``truth.json`` file."""
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"no truth file {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ParameterError(f"{p}: invalid JSON: {exc}") from exc
    return Truth.from_dict(data)
