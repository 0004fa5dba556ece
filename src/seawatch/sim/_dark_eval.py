"""Scoring the dark-vessel matcher on simulated satellite passes (issue #11 §3).

Truth (``detections_truth.json``, :mod:`seawatch.sim._passes`) says which vessel each
detection is, what its AIS was doing, and how far (hours) its nearest received AIS report
was before and after the pass. Expected outcome of each detection, for a matcher whose
AIS window is ``window_h`` hours:

- **match** (``detected_by`` on the right vessel): a vessel that broadcast normally, or
  one that was silent at the pass but had a received report within ``window_h`` (it went
  dark just before, or comes back just after: its identity is still knowable);
- **dark** (``dark_detection``): a spoofing vessel, or a silent one without a report in
  the window;
- **mismatch** (``ais_mismatch`` on the vessel): a spoofing vessel whose false position
  lies in the footprint;
- **nothing**: clutter (the matcher cannot tell clutter from a dark vessel: a
  ``dark_detection`` on clutter is a false positive, counted apart too); ``outside``
  detections must be rejected at ingest (``outside_footprint``).

An ``unidentified_detection`` (a scene where no AIS vessel was heard) claims neither a
match nor a dark vessel: an expected dark vessel reported so is a missed dark detection.

Scores: matching (TP: right vessel; FP: wrong vessel or clutter; FN: an expected match
not made, or made to the wrong vessel), ``dark_detection`` and ``ais_mismatch`` (TP/FP/FN per detection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DarkScore:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return None if self.tp + self.fp == 0 else self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return None if self.tp + self.fn == 0 else self.tp / (self.tp + self.fn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True, slots=True)
class DarkEvaluation:
    matching: DarkScore
    dark: DarkScore
    mismatch: DarkScore
    detections: int = 0
    clutter_reported_dark: int = 0
    outside_stored: int = 0
    """``outside`` detections that reached the store (should be 0: ingest rejects them)."""
    errors: tuple[str, ...] = field(default=())
    """One line per wrong or missed outcome."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "detections": self.detections,
            "matching": self.matching.to_dict(),
            "dark_detection": self.dark.to_dict(),
            "ais_mismatch": self.mismatch.to_dict(),
            "clutter_reported_dark": self.clutter_reported_dark,
            "outside_stored": self.outside_stored,
            "errors": list(self.errors),
        }


def _expected(t: Mapping[str, Any], window_h: float) -> str:
    kind = t["kind"]
    if kind in ("clutter", "outside"):
        return "nothing"
    if kind == "spoof":
        return "dark"
    if kind == "ais":
        return "match"
    near = [x for x in (t.get("fix_before_h"), t.get("fix_after_h")) if x is not None]
    return "match" if near and min(near) <= window_h else "dark"


def score_dark(
    events: Iterable[Mapping[str, Any]],
    truth: Sequence[Mapping[str, Any]],
    *,
    window_h: float,
    stored_ids: Iterable[str] = (),
) -> DarkEvaluation:
    """Score ``events`` (rows of the events table) against the detection ``truth``."""
    by_id = {t["detection_id"]: t for t in truth}
    matched: dict[str, int] = {}
    dark: set[str] = set()
    mism: dict[str, int] = {}
    for e in events:
        d = e["details"]
        details = json.loads(d) if isinstance(d, str) else d
        did = details.get("detection_id")
        if did is None:
            continue
        if e["type"] == "detected_by":
            matched[did] = int(e["vessels"][0])
        elif e["type"] == "dark_detection":
            dark.add(did)
        elif e["type"] == "ais_mismatch":
            mism[did] = int(e["vessels"][0])
    m_tp = m_fp = m_fn = d_tp = d_fp = d_fn = x_tp = x_fp = x_fn = clutter_dark = 0
    errors: list[str] = []
    for did, t in sorted(by_id.items()):
        exp = _expected(t, window_h)
        got = matched.get(did)
        label = f"{did} ({t['kind']}, vessel {t.get('mmsi')})"
        if got is not None:
            if got == t.get("mmsi"):
                if exp == "match":
                    m_tp += 1
            else:
                m_fp += 1
                m_fn += exp == "match"
                errors.append(f"{label}: matched to {got}")
        elif exp == "match":
            m_fn += 1
            errors.append(f"{label}: not matched")
        if did in dark:
            if exp == "dark":
                d_tp += 1
            else:
                d_fp += 1
                clutter_dark += t["kind"] == "clutter"
                if t["kind"] != "clutter":
                    errors.append(f"{label}: reported dark")
        elif exp == "dark":
            d_fn += 1
            errors.append(f"{label}: dark vessel not reported")
        want_mismatch = t["kind"] == "spoof" and bool(t.get("broadcast_in_footprint"))
        if did in mism:
            if want_mismatch and mism[did] == t.get("mmsi"):
                x_tp += 1
            else:
                x_fp += 1
                errors.append(f"{label}: ais_mismatch on {mism[did]}")
        elif want_mismatch:
            x_fn += 1
            errors.append(f"{label}: ais_mismatch missed")
    stored = set(stored_ids)
    outside = sum(1 for t in truth if t["kind"] == "outside" and t["detection_id"] in stored)
    return DarkEvaluation(
        matching=DarkScore("matching", m_tp, m_fp, m_fn),
        dark=DarkScore("dark_detection", d_tp, d_fp, d_fn),
        mismatch=DarkScore("ais_mismatch", x_tp, x_fp, x_fn),
        detections=len(truth),
        clutter_reported_dark=clutter_dark,
        outside_stored=outside,
        errors=tuple(errors),
    )


def combine_dark(parts: Sequence[DarkEvaluation]) -> DarkEvaluation:
    def add(name: str, scores: Iterable[DarkScore]) -> DarkScore:
        s = list(scores)
        return DarkScore(name, sum(x.tp for x in s), sum(x.fp for x in s), sum(x.fn for x in s))

    return DarkEvaluation(
        matching=add("matching", (p.matching for p in parts)),
        dark=add("dark_detection", (p.dark for p in parts)),
        mismatch=add("ais_mismatch", (p.mismatch for p in parts)),
        detections=sum(p.detections for p in parts),
        clutter_reported_dark=sum(p.clutter_reported_dark for p in parts),
        outside_stored=sum(p.outside_stored for p in parts),
        errors=tuple(e for p in parts for e in p.errors),
    )
