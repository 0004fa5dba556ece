"""Precision and recall of detected events against a scenario's ground truth.

Matching rule (also in ``seawatch evaluate --help`` and docs/EVALUATION.md):

- Only detections of the types the truth scores count (``truth.scored``); for a type
  scored with a zone list, only detections whose ``zone`` is in the list.
- A detection *can match* a truth event when it has the same type, the same *set* of
  vessels (MMSIs, order ignored), the same zone when the truth names one, and a time
  overlap ratio of at least ``min_overlap`` (0.5):
  ``ratio = |[s1, e1] ∩ [s2, e2]| / min(e1 - s1, e2 - s2)``, the overlap as a share of
  the *shorter* of the two intervals. When the shorter one is an instant
  (``start == end``, e.g. a zone entry) the ratio is 1 if that instant lies within the
  other interval widened by ``instant_tolerance_s`` on each side, else 0.
- Matching is one-to-one and greedy: candidate pairs sorted by ratio (highest first,
  then pairs whose details agree with the truth's ``details`` before those that do not,
  then truth order, then detection order); a pair is taken when neither side is taken.
- Matched truth events are true positives; unmatched truth events false negatives;
  unmatched detections false positives. An unmatched detection that *can match* a
  ``negative`` (a case the scenario documents as "must not be detected") is a false
  positive counted again under ``negatives_detected``.
- precision = tp / (tp + fp), recall = tp / (tp + fn); ``None`` when the denominator is 0.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from seawatch._exceptions import ParameterError
from seawatch.sim._scenario import Truth, TruthEvent

__all__ = [
    "Detection",
    "Evaluation",
    "Match",
    "MatchParams",
    "TypeScore",
    "combine",
    "evaluate",
    "overlap_ratio",
]


@dataclass(frozen=True, slots=True)
class MatchParams:
    """Parameters of the matching rule (units in the names)."""

    min_overlap: float = 0.5
    """Smallest overlap ratio (overlap / shorter duration) of a match."""
    instant_tolerance_s: float = 1800.0
    """An instant event matches an interval widened by this much on each side."""

    def __post_init__(self) -> None:
        if not 0.0 < self.min_overlap <= 1.0 or self.instant_tolerance_s < 0:
            raise ParameterError("MatchParams: need 0 < min_overlap <= 1, instant_tolerance_s >= 0")


@dataclass(frozen=True, slots=True)
class Detection:
    """A detected event, as far as the evaluation needs it."""

    type: str
    vessels: tuple[int, ...]
    start: datetime
    end: datetime
    zone: str | None = None
    event_id: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "vessels": list(self.vessels),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "zone": self.zone,
        }


@dataclass(frozen=True, slots=True)
class Match:
    """A truth event and the detection matched to it."""

    truth: TruthEvent
    detection: Detection
    overlap: float
    details_ok: bool


@dataclass(frozen=True, slots=True)
class TypeScore:
    """Counts and rates for one event type."""

    type: str
    n_truth: int
    n_detected: int
    tp: int
    fp: int
    fn: int
    negatives: int
    negatives_detected: int
    details_mismatch: int

    @property
    def precision(self) -> float | None:
        """tp / (tp + fp), ``None`` without detections."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        """tp / (tp + fn), ``None`` without truth events."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, rates included."""
        return {
            "type": self.type,
            "n_truth": self.n_truth,
            "n_detected": self.n_detected,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "negatives": self.negatives,
            "negatives_detected": self.negatives_detected,
            "details_mismatch": self.details_mismatch,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Per-type scores, and the matches, misses and false positives behind them."""

    scores: tuple[TypeScore, ...]
    matches: tuple[Match, ...] = ()
    missed: tuple[TruthEvent, ...] = ()
    false_positives: tuple[Detection, ...] = ()
    scenarios: tuple[str, ...] = ()

    def score(self, type_: str) -> TypeScore:
        """The score of one type (zero counts when the type was not scored)."""
        for s in self.scores:
            if s.type == type_:
                return s
        return TypeScore(type_, 0, 0, 0, 0, 0, 0, 0, 0)

    @property
    def perfect(self) -> bool:
        """No false positive, no false negative, in any scored type."""
        return all(s.fp == 0 and s.fn == 0 for s in self.scores)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "scenarios": list(self.scenarios),
            "perfect": self.perfect,
            "scores": [s.to_dict() for s in self.scores],
            "matches": [
                {
                    "truth": m.truth.to_dict(),
                    "detection": m.detection.to_dict(),
                    "overlap": round(m.overlap, 4),
                    "details_ok": m.details_ok,
                }
                for m in self.matches
            ],
            "missed": [t.to_dict() for t in self.missed],
            "false_positives": [d.to_dict() for d in self.false_positives],
        }


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ParameterError("event times must be timezone-aware (UTC)")
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _details(value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    try:
        parsed = json.loads(str(value))
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _detections(events: pa.Table | Iterable[Mapping[str, Any]]) -> list[Detection]:
    rows: Iterable[Mapping[str, Any]] = (
        events.to_pylist() if isinstance(events, pa.Table) else events
    )
    out: list[Detection] = []
    for r in rows:
        try:
            out.append(
                Detection(
                    type=str(r["type"]),
                    vessels=tuple(sorted(int(v) for v in r["vessels"])),
                    start=_as_utc(r["start"]),
                    end=_as_utc(r["end"]),
                    zone=r.get("zone"),
                    event_id=str(r.get("event_id", "")),
                    details=_details(r.get("details")),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ParameterError(f"not an event row: {exc}") from exc
    return out


def overlap_ratio(
    s1: datetime, e1: datetime, s2: datetime, e2: datetime, *, instant_tolerance_s: float = 1800.0
) -> float:
    """Overlap of two intervals as a share of the shorter one (see the module docstring)."""
    d1 = (e1 - s1).total_seconds()
    d2 = (e2 - s2).total_seconds()
    shorter = min(d1, d2)
    if shorter <= 0:
        inst, (lo, hi) = (s1, (s2, e2)) if d1 <= d2 else (s2, (s1, e1))
        lo_s = (lo - inst).total_seconds()
        hi_s = (hi - inst).total_seconds()
        return 1.0 if lo_s - instant_tolerance_s <= 0 <= hi_s + instant_tolerance_s else 0.0
    ov = (min(e1, e2) - max(s1, s2)).total_seconds()
    return max(0.0, ov) / shorter


def _ratio(t: TruthEvent, d: Detection, params: MatchParams) -> float:
    if t.type != d.type or tuple(sorted(t.vessels)) != d.vessels:
        return 0.0
    if t.zone is not None and t.zone != d.zone:
        return 0.0
    return overlap_ratio(
        t.start, t.end, d.start, d.end, instant_tolerance_s=params.instant_tolerance_s
    )


def _details_ok(t: TruthEvent, d: Detection) -> bool:
    return all(d.details.get(k) == v for k, v in t.details.items())


def evaluate(
    events: pa.Table | Iterable[Mapping[str, Any]],
    truth: Truth,
    *,
    params: MatchParams = MatchParams(),
) -> Evaluation:
    """Score detected ``events`` (an EVENTS table, or rows with ``type, vessels, start,
    end`` and optional ``zone, event_id, details``) against ``truth``."""
    dets = [
        d
        for d in _detections(events)
        if d.type in truth.scored
        and (truth.scored[d.type] is None or d.zone in (truth.scored[d.type] or ()))
    ]
    cands: list[tuple[float, bool, int, int]] = []
    for ti, t in enumerate(truth.events):
        for di, d in enumerate(dets):
            r = _ratio(t, d, params)
            if r >= params.min_overlap:
                cands.append((-r, not _details_ok(t, d), ti, di))
    cands.sort()
    used_t: set[int] = set()
    used_d: set[int] = set()
    matches: list[Match] = []
    for neg_r, _, ti, di in cands:
        if ti in used_t or di in used_d:
            continue
        used_t.add(ti)
        used_d.add(di)
        t, d = truth.events[ti], dets[di]
        matches.append(Match(t, d, -neg_r, _details_ok(t, d)))
    fps = [d for di, d in enumerate(dets) if di not in used_d]
    neg_hits = [
        d for d in fps if any(_ratio(n, d, params) >= params.min_overlap for n in truth.negatives)
    ]
    missed = [t for ti, t in enumerate(truth.events) if ti not in used_t]
    scores = [
        TypeScore(
            type=typ,
            n_truth=sum(t.type == typ for t in truth.events),
            n_detected=sum(d.type == typ for d in dets),
            tp=sum(m.truth.type == typ for m in matches),
            fp=sum(d.type == typ for d in fps),
            fn=sum(t.type == typ for t in missed),
            negatives=sum(n.type == typ for n in truth.negatives),
            negatives_detected=sum(d.type == typ for d in neg_hits),
            details_mismatch=sum(m.truth.type == typ and not m.details_ok for m in matches),
        )
        for typ in sorted(truth.scored)
    ]
    return Evaluation(
        scores=tuple(scores),
        matches=tuple(matches),
        missed=tuple(missed),
        false_positives=tuple(fps),
        scenarios=(truth.scenario,) if truth.scenario else (),
    )


def combine(evaluations: Sequence[Evaluation]) -> Evaluation:
    """Sum the per-type counts of several evaluations (e.g. one per scenario)."""
    by_type: dict[str, list[int]] = {}
    for ev in evaluations:
        for s in ev.scores:
            acc = by_type.setdefault(s.type, [0] * 8)
            for k, v in enumerate(
                (
                    s.n_truth,
                    s.n_detected,
                    s.tp,
                    s.fp,
                    s.fn,
                    s.negatives,
                    s.negatives_detected,
                    s.details_mismatch,
                )
            ):
                acc[k] += v
    return Evaluation(
        scores=tuple(TypeScore(t, *by_type[t]) for t in sorted(by_type)),
        matches=tuple(m for ev in evaluations for m in ev.matches),
        missed=tuple(m for ev in evaluations for m in ev.missed),
        false_positives=tuple(d for ev in evaluations for d in ev.false_positives),
        scenarios=tuple(s for ev in evaluations for s in ev.scenarios),
    )
