"""The detector registry: the one table of what each detector is and how it is run.

Each :class:`Detector` declares

* its ``name`` (the id used by ``--only``, ``PRESETS`` and the run record), the module
  that holds it, and the event ``types`` it emits;
* its ``kind``, which tells the engine how to schedule it:

  - ``vessel``: a per-vessel ``kernel(table, *, params, geo[, coverage])`` on positions of
    whole vessels (the engine runs it per MMSI bucket);
  - ``pair``: a step on the 10-minute slots of all vessels, fed the close pairs of the one
    shared pair search (:class:`PairSpec`): either ``streamed`` day by day with state
    carried across midnight, or run over ``windows`` of a day plus a ``halo`` on each side;
  - ``statics``: one call over the whole statics table (:class:`RunInputs`);
  - ``scene``: matching of non-AIS detections (scenes) to AIS, run by the engine's scene
    step;

* its parameter dataclass and one instance per preset (``default``, ``gfw``);
* an optional ``finish`` step over the run's events once every detector has run (with the
  events of the detectors it ``needs``, from this run or, when they were not re-run, from
  the store).

:data:`EVENT_TYPES`, :data:`KERNELS` and :data:`PRESETS` of :mod:`seawatch.detect` are
derived from :data:`REGISTRY`; the engine schedules from it and names no detector.

Naming scheme: the detector id is the event type it emits, singular (``gap``,
``port_visit``, ``interception``, ``watchlist_hit``); a detector that emits several types
is named after their common stem (``zone``: ``zone_entry/exit/visit``; ``dark``: the scene
matches ``detected_by``, ``dark_detection``, ``ais_mismatch``,
``unidentified_detection``). The module and its main function are named after what
they return, the plural of the id (``gaps.gaps()``, ``zone_events.zone_events()``,
``interceptions.interceptions()``,
``identity_changes.identity_changes()``, ``watchlist_hits.watchlist_hits()``), or the mass
noun where there is no plural (``loitering.loitering()``, ``spoofing.spoofing()``).
``dark.match_detections()`` is the one exception: it matches scenes rather than finding
events of one vessel. :data:`REGISTRY` is the one table mapping ids, modules and
functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, Protocol

import pyarrow as pa

import seawatch.detect.dark as _dark
import seawatch.detect.encounters as _encounters
import seawatch.detect.gaps as _gaps
import seawatch.detect.identity_changes as _identity
import seawatch.detect.interceptions as _interception
import seawatch.detect.loitering as _loitering
import seawatch.detect.port_visits as _port_visits
import seawatch.detect.spoofing as _spoofing
import seawatch.detect.watchlist_hits as _watchlist
import seawatch.detect.zone_events as _zones
from seawatch._exceptions import ParameterError
from seawatch.detect._base import GeoContext, fill_region
from seawatch.detect.sql import SqlRunner
from seawatch.tracks import ResampleParams

__all__ = [
    "EVENT_TYPES",
    "KERNELS",
    "PRESETS",
    "REGISTRY",
    "Detector",
    "Kind",
    "PairSearch",
    "PairSpec",
    "PairStream",
    "RunInputs",
    "by_name",
    "detector_types",
    "finish_events",
    "pair_search",
    "pair_slot_params",
    "preset_params",
    "resolve_only",
]

Kind = Literal["vessel", "pair", "statics", "scene"]


class RunInputs(Protocol):
    """What a statics, pair or finishing step may ask of the run (the engine provides it,
    reading the store lazily and once)."""

    def statics(self) -> pa.Table:
        """The store's statics (schema ``STATICS``)."""
        ...

    def roles(self) -> pa.Table:
        """Roles of the vessels of :meth:`statics` (:func:`seawatch.ais.roles.vessel_roles`
        with the store's role lists)."""
        ...

    def vessels(self) -> pa.Table | None:
        """One row per vessel (when each was heard), or None when the store has none."""
        ...

    def store_root(self) -> Path | None:
        """The store's folder (its user lists), or None for an in-memory source."""
        ...

    def events(self, detector: str) -> pa.Table:
        """Events of ``detector``: from this run when it ran, else the store's."""
        ...


class PairStream(Protocol):
    """A streamed pair step: close pairs fed one UTC day at a time, in order."""

    @property
    def carried_rows(self) -> int:
        """Close pairs carried into the next day (for the engine's counts)."""
        ...

    def push_close(self, close: pa.Table, *, until: int | None) -> pa.Table:
        """Events finished before ``until`` (microseconds), given one day's close pairs."""
        ...

    def finish(self) -> pa.Table:
        """The events still open at the end."""
        ...


@dataclass(frozen=True, slots=True)
class PairSpec:
    """How a pair detector uses the shared pair search over slots.

    ``resample(params)``: the slots it needs (every selected pair detector must agree on
    ``slot_min``; the first in registry order sets the rest). ``dist_m(params)``: the pair
    distance it reads. Exactly one of ``stream(params, geo, runner)`` (a
    :class:`PairStream`) and ``window(slots, pairs, params, geo, inputs)`` (events of a
    window of slots and its pairs ``mmsi_a, mmsi_b, slot``) with ``halo_us(params)``; a
    window step's event belongs to the day of its start."""

    resample: Callable[[Any], ResampleParams]
    dist_m: Callable[[Any], float]
    stream: Callable[[Any, GeoContext, SqlRunner], PairStream] | None = None
    window: Callable[[pa.Table, pa.Table, Any, GeoContext, RunInputs], pa.Table] | None = None
    halo_us: Callable[[Any], int] | None = None
    search: Callable[[Any], Any] | None = None
    """The parameters of the shared search (:func:`pair_search`) when this detector's own
    parameters define it (encounters: cell size, slot length)."""


@dataclass(frozen=True, slots=True)
class Detector:
    """One detector: see the module docstring."""

    name: str
    module: str
    kind: Kind
    types: tuple[str, ...]
    params: type
    presets: Mapping[str, Any]
    kernel: Callable[..., pa.Table] | None = None
    """``vessel`` kind: the per-vessel kernel."""
    pair: PairSpec | None = None
    """``pair`` kind: how it uses the pair search."""
    statics: Callable[[RunInputs, Any, GeoContext], pa.Table] | None = None
    """``statics`` kind: ``step(inputs, params, geo)``."""
    finish: Callable[[pa.Table, RunInputs], pa.Table] | None = None
    """Run over all the run's events once every detector has run."""
    needs: tuple[str, ...] = ()
    """Detectors whose events ``finish`` reads (:meth:`RunInputs.events`)."""


def _identity_step(inputs: RunInputs, params: Any, geo: GeoContext) -> pa.Table:
    return _identity.identity_changes(inputs.statics(), params=params, vessels=inputs.vessels())


def _watchlist_step(inputs: RunInputs, params: Any, geo: GeoContext) -> pa.Table:
    from seawatch.watchlist import all_lists

    lists = all_lists(inputs.store_root())  # the store's user lists beside the bundled ones
    return _watchlist.watchlist_hits(inputs.statics(), lists=lists, params=params, geo=geo)


def _with_encounter(table: pa.Table, inputs: RunInputs) -> pa.Table:
    return _loitering.with_encounter(table, inputs.events("encounter"))


def _interception_window(
    slots: pa.Table, pairs: pa.Table, params: Any, geo: GeoContext, inputs: RunInputs
) -> pa.Table:
    return _interception.interceptions(
        slots, statics=inputs.statics(), pairs=pairs, params=params, geo=geo, roles=inputs.roles()
    )


def _encounter_stream(params: Any, geo: GeoContext, runner: SqlRunner) -> PairStream:
    return _encounters.EncounterStream(params=params, geo=geo, runner=runner)


def _presets(module: Any) -> Mapping[str, Any]:
    return MappingProxyType({"default": module.DEFAULT, "gfw": module.GFW})


REGISTRY: tuple[Detector, ...] = (
    Detector(
        name="loitering",
        module="loitering",
        kind="vessel",
        types=(_loitering.TYPE,),
        params=_loitering.LoiteringParams,
        presets=_presets(_loitering),
        kernel=_loitering.loitering,
        finish=_with_encounter,
        needs=("encounter",),
    ),
    Detector(
        name="gap",
        module="gaps",
        kind="vessel",
        types=(_gaps.TYPE,),
        params=_gaps.GapParams,
        presets=_presets(_gaps),
        kernel=_gaps.gaps,
    ),
    Detector(
        name="port_visit",
        module="port_visits",
        kind="vessel",
        types=(_port_visits.TYPE,),
        params=_port_visits.PortVisitParams,
        presets=_presets(_port_visits),
        kernel=_port_visits.port_visits,
    ),
    Detector(
        name="zone",
        module="zone_events",
        kind="vessel",
        types=_zones.TYPES,
        params=_zones.ZoneParams,
        presets=_presets(_zones),
        kernel=_zones.zone_events,
    ),
    Detector(
        name="spoofing",
        module="spoofing",
        kind="vessel",
        types=(_spoofing.TYPE,),
        params=_spoofing.SpoofingParams,
        presets=_presets(_spoofing),
        kernel=_spoofing.spoofing,
    ),
    Detector(
        name="encounter",
        module="encounters",
        kind="pair",
        types=(_encounters.TYPE,),
        params=_encounters.EncounterParams,
        presets=_presets(_encounters),
        pair=PairSpec(
            resample=_encounters.slot_params,
            dist_m=lambda p: float(p.max_dist_m),
            stream=_encounter_stream,
            search=lambda p: p,
        ),
    ),
    Detector(
        name="interception",
        module="interceptions",
        kind="pair",
        types=(_interception.TYPE,),
        params=_interception.InterceptionParams,
        presets=_presets(_interception),
        pair=PairSpec(
            resample=_interception.slot_params,
            dist_m=lambda p: float(p.close_dist_m),
            window=_interception_window,
            halo_us=_interception.halo_us,
        ),
    ),
    Detector(
        name="identity_change",
        module="identity_changes",
        kind="statics",
        types=(_identity.TYPE,),
        params=_identity.IdentityParams,
        presets=_presets(_identity),
        statics=_identity_step,
    ),
    Detector(
        name="watchlist_hit",
        module="watchlist_hits",
        kind="statics",
        types=(_watchlist.TYPE,),
        params=_watchlist.WatchlistParams,
        presets=_presets(_watchlist),
        statics=_watchlist_step,
    ),
    Detector(
        name="dark",
        module="dark",
        kind="scene",
        types=_dark.TYPES,
        params=_dark.DarkParams,
        presets=_presets(_dark),
    ),
)
"""Every detector, in the order the engine runs and reports them."""

_BY_NAME: Mapping[str, Detector] = MappingProxyType({d.name: d for d in REGISTRY})

EVENT_TYPES: Mapping[str, tuple[str, ...]] = MappingProxyType({d.name: d.types for d in REGISTRY})
"""Event types each detector emits."""

KERNELS: Mapping[str, Callable[..., pa.Table]] = MappingProxyType(
    {d.name: d.kernel for d in REGISTRY if d.kernel is not None}
)
"""Per-vessel kernels by detector name: ``kernel(table, *, params=..., geo=...)``."""

PRESETS: Mapping[str, Mapping[str, Any]] = MappingProxyType(
    {
        preset: MappingProxyType({d.name: d.presets[preset] for d in REGISTRY})
        for preset in ("default", "gfw")
    }
)
"""``PRESETS[preset][detector]``: the parameter dataclass instance of each detector."""


def by_name(name: str) -> Detector:
    """The detector called ``name`` (KeyError when none)."""
    return _BY_NAME[name]


def preset_params(preset: str) -> Mapping[str, Any]:
    """Parameters of every detector in ``preset`` (``default`` or ``gfw``)."""
    try:
        return PRESETS[preset]
    except KeyError:
        raise ParameterError(
            f"unknown preset {preset!r} (choose from {', '.join(sorted(PRESETS))})"
        ) from None


def resolve_only(only: Iterable[str] | str | None) -> tuple[str, ...]:
    """Detector names from ``only`` (detector names or event types, comma-separated or a
    list); all detectors when None."""
    names_all = tuple(d.name for d in REGISTRY)
    if only is None:
        return names_all
    items = [only] if isinstance(only, str) else list(only)
    names = [s.strip() for item in items for s in item.split(",") if s.strip()]
    wanted: set[str] = set()
    for name in names:
        det = next((d.name for d in REGISTRY if name == d.name or name in d.types), None)
        if det is None:
            known = sorted({t for d in REGISTRY for t in d.types} | set(names_all))
            raise ParameterError(f"unknown detector or event type {name!r} ({', '.join(known)})")
        wanted.add(det)
    if not wanted:
        raise ParameterError("--only names no detector")
    return tuple(d for d in names_all if d in wanted)


def detector_types(detectors: Iterable[str]) -> tuple[str, ...]:
    """Event types the detectors emit."""
    return tuple(t for d in detectors for t in _BY_NAME[d].types)


def _pair_detectors(
    selected: Sequence[str], params: Mapping[str, Any]
) -> list[tuple[Detector, PairSpec, Any]]:
    out = []
    for d in REGISTRY:
        if d.name in selected and d.pair is not None:
            out.append((d, d.pair, params[d.name]))
    return out


def pair_slot_params(selected: Sequence[str], params: Mapping[str, Any]) -> ResampleParams | None:
    """The resampling the selected pair detectors share (None when none is selected); they
    must agree on the slot length."""
    pairs = _pair_detectors(selected, params)
    if not pairs:
        return None
    wanted = [(d.name, spec.resample(p)) for d, spec, p in pairs]
    first_name, first = wanted[0]
    for name, rp in wanted[1:]:
        if rp.slot_min != first.slot_min:
            raise ParameterError(f"{first_name} and {name} parameters use different slot_min")
    return first


@dataclass(frozen=True, slots=True)
class PairSearch:
    """The one pair search the selected pair detectors share: ``params`` (an
    :class:`~seawatch.detect.encounters.EncounterParams` with ``max_dist_m`` the largest
    distance any of them reads) and ``slot_us``."""

    params: Any

    @property
    def max_dist_m(self) -> float:
        return float(self.params.max_dist_m)

    @property
    def slot_us(self) -> int:
        return int(self.params.slot_us)

    def sql(self) -> str:
        """The portable close-pair query (over a view ``slots`` of :meth:`view` rows), for
        runners that hold the slots themselves (Spark)."""
        return _encounters.close_pairs_sql(self.params)

    def view(self, slots: pa.Table) -> pa.Table:
        """Slots (schema ``SLOTS``) as rows of the ``slots`` view of :meth:`sql`."""
        return _encounters.slot_view(slots, self.params)

    def as_close(self, rows: pa.Table) -> pa.Table:
        """Rows of :meth:`sql` in the schema :meth:`close_pairs` returns."""
        return rows.select(_encounters.CLOSE_SCHEMA.names).cast(_encounters.CLOSE_SCHEMA)

    def close_pairs(self, slots: pa.Table, runner: SqlRunner) -> pa.Table:
        """Pairs of vessels within :attr:`max_dist_m` in the same slot (``mmsi_a, mmsi_b,
        slot_no, dist_m`` ...)."""
        return _encounters.close_pairs(slots, params=self.params, runner=runner)


def pair_search(selected: Sequence[str], params: Mapping[str, Any]) -> PairSearch | None:
    """The shared pair search of the selected pair detectors, or None when none is selected."""
    pairs = _pair_detectors(selected, params)
    if not pairs:
        return None
    base = next(
        (spec.search(p) for _, spec, p in pairs if spec.search is not None),
        _encounters.EncounterParams(),
    )
    dist = max(spec.dist_m(p) for _, spec, p in pairs)
    return PairSearch(dataclasses.replace(base, max_dist_m=dist))


def finish_events(
    table: pa.Table, selected: Sequence[str], *, inputs: RunInputs, geo: GeoContext
) -> pa.Table:
    """The finishing steps of the selected detectors (in registry order), then the region
    of events that have none, from their position."""
    for d in REGISTRY:
        if d.name in selected and d.finish is not None:
            table = d.finish(table, inputs)
    return fill_region(table, geo)
