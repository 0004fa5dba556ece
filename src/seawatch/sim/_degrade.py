"""Robustness curves: each detector's precision and recall on the scenario suite as
messages go missing (``seawatch evaluate --degrade``).

Maritime event-recognition work measures how detection degrades with missing AIS
messages; we do the same on our own scenarios. Each scenario is simulated once; its NMEA
file is then thinned and run end to end (ingest into a fresh store, the scored detectors,
evaluate) for every *mode* and *level*:

- ``random``: each AIS line is removed independently with probability ``level``;
- ``burst``: each vessel's time line is cut into ``burst_h`` slots and a share ``level``
  of its slots (chosen at random) loses every message of that vessel: the losses come in
  runs, as when a vessel sails out of reception or a receiver drops out; neighbouring
  chosen slots join into longer silences.

A line's vessel is the MMSI in its payload (later fragments of a multi-sentence message
follow their first fragment). The simulated mark (first line) is always kept. Seeds are
fixed (``seed``, the scenario's seed, the mode and the level), so the same call gives the
same curves. Level 0 is the undegraded baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from seawatch._simulated import is_simulated
from seawatch.sim._evaluate import Evaluation

__all__ = [
    "DEGRADE_BEGIN",
    "DEGRADE_END",
    "LEVELS",
    "MODES",
    "DegradeMode",
    "DegradeResult",
    "degrade_nmea",
    "render_degrade_markdown",
    "replace_degrade_section",
]

Mode = Literal["random", "burst"]
DegradeMode = Mode
"""How messages are removed: ``random`` lines or per-vessel ``burst`` slots."""
MODES: tuple[Mode, ...] = ("random", "burst")
LEVELS: tuple[float, ...] = (0.1, 0.3, 0.5, 0.7)
DEGRADE_BEGIN = "<!-- seawatch evaluate --degrade: begin (generated; replaced as a whole) -->"
DEGRADE_END = "<!-- seawatch evaluate --degrade: end -->"

_TIME = re.compile(rb"(?:^|[\\,])c:(\d+)")
_MODE_CODE = {"random": 1, "burst": 2}


def _mmsi(payload: bytes) -> int | None:
    """The MMSI (bits 8..37) of an armoured AIS payload, None when too short."""
    if len(payload) < 7:
        return None
    bits = 0
    for ch in payload[:7]:
        v = ch - 48
        if v > 40:
            v -= 8
        if not 0 <= v < 64:
            return None
        bits = (bits << 6) | v
    return (bits >> 4) & 0x3FFFFFFF


def _line_keys(lines: list[bytes]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per line: the vessel (MMSI; -1 when unknown) and the time (unix s; -1 when none)."""
    vessel = np.full(len(lines), -1, np.int64)
    when = np.full(len(lines), -1, np.int64)
    open_msgs: dict[bytes, int] = {}
    for i, line in enumerate(lines):
        m = _TIME.search(line)
        if m is not None:
            when[i] = int(m.group(1))
        k = line.find(b"!")
        if k < 0:
            continue
        fields = line[k:].split(b",")
        if len(fields) < 7:
            continue
        seq = fields[3] + b"/" + fields[4]
        if fields[2] == b"1":
            mm = _mmsi(fields[5])
            if mm is not None:
                vessel[i] = mm
                if fields[1] != b"1":
                    open_msgs[seq] = mm
        else:
            vessel[i] = open_msgs.get(seq, -1)
    return vessel, when


def degrade_nmea(
    data: bytes, *, level: float, mode: Mode, seed: int, burst_h: float = 1.0
) -> bytes:
    """``data`` (NMEA lines) with a share ``level`` of its AIS lines removed, at random or
    in per-vessel bursts (see the module docstring). Deterministic in ``seed``."""
    if not 0.0 <= level < 1.0:
        raise ValueError(f"level must be within [0, 1), not {level}")
    lines = data.splitlines(keepends=True)
    if level == 0.0 or not lines:
        return data
    head = lines[:1] if is_simulated(lines[0]) else []
    body = lines[len(head) :]
    rng = np.random.default_rng([seed, _MODE_CODE[mode], round(level * 1000)])
    if mode == "random":
        drop = rng.random(len(body)) < level
    else:
        vessel, when = _line_keys(body)
        drop = np.zeros(len(body), np.bool_)
        slot_s = max(1, round(burst_h * 3600))
        t0 = int(when[when >= 0].min()) if (when >= 0).any() else 0
        slot = np.where(when >= 0, (when - t0) // slot_s, -1)
        for v in np.unique(vessel[vessel >= 0]).tolist():
            mine = vessel == v
            slots = np.unique(slot[mine & (slot >= 0)])
            k = round(level * len(slots))
            if k == 0:
                continue
            chosen = rng.choice(slots, size=k, replace=False)
            drop |= mine & np.isin(slot, chosen)
    kept = [ln for ln, d in zip(body, drop.tolist(), strict=True) if not d]
    return b"".join(head + kept)


@dataclass(frozen=True, slots=True)
class DegradeResult:
    """The suite's evaluation (summed over scenarios) for each mode and level."""

    preset: str
    levels: tuple[float, ...]
    modes: tuple[str, ...]
    scenarios: tuple[str, ...]
    baseline: Evaluation
    runs: tuple[tuple[str, float, Evaluation], ...]
    """``(mode, level, evaluation)``."""
    seconds: float
    burst_h: float
    seed: int
    n_runs: int
    """End-to-end runs (ingest, detect, evaluate) in all."""

    def evaluation(self, mode: str, level: float) -> Evaluation:
        """The evaluation of one mode and level (level 0: the baseline)."""
        if level == 0.0:
            return self.baseline
        for m, lv, ev in self.runs:
            if m == mode and lv == level:
                return ev
        raise KeyError((mode, level))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "preset": self.preset,
            "levels": list(self.levels),
            "modes": list(self.modes),
            "scenarios": list(self.scenarios),
            "burst_h": self.burst_h,
            "seed": self.seed,
            "seconds": round(self.seconds, 1),
            "runs": self.n_runs,
            "baseline": self.baseline.to_dict(),
            "degraded": [{"mode": m, "level": lv, **ev.to_dict()} for m, lv, ev in self.runs],
        }


def _cell(ev: Evaluation, type_: str) -> str:
    s = next((x for x in ev.scores if x.type == type_), None)
    if s is None:
        return "–"
    p = "–" if s.precision is None else f"{s.precision:.2f}"
    r = "–" if s.recall is None else f"{s.recall:.2f}"
    return f"{p} / {r}"


def render_degrade_markdown(result: DegradeResult, *, command: str | None = None) -> str:
    """The page section of :func:`run_degraded` (between :data:`DEGRADE_BEGIN` and
    :data:`DEGRADE_END`)."""
    cmd = command or "seawatch evaluate --degrade --out docs/EVALUATION.md"
    types = sorted({s.type for s in result.baseline.scores})
    head = ["type", "n", "0 %", *[f"{round(lv * 100)} %" for lv in result.levels]]
    n_truth = {x.type: x.n_truth for x in result.baseline.scores}
    lines = [
        DEGRADE_BEGIN,
        "",
        "## Robustness to missing messages",
        "",
        f"Generated by `{cmd}`: preset `{result.preset}`, {len(result.scenarios)} scenarios",
        f"with NMEA input, {result.n_runs} end-to-end runs (ingest, the detectors each",
        f"scenario is scored on, evaluate) in {result.seconds:,.0f} s on this machine, seed",
        f"{result.seed}. Each cell is precision / recall summed over the suite (– where",
        "nothing was detected); `n` is the number of truth events of the type, so one miss",
        "moves a small `n` a lot. `random`: each AIS line removed independently; `burst`:",
        f"each vessel loses every message in a share of its {result.burst_h:g} h slots, chosen",
        "at random (neighbouring slots join into longer silences). The simulated mark line",
        "is always kept. The gap detector's coverage rule needs other traffic heard in half",
        "of a silence's hours, so heavy bursts also silence the witnesses and gaps go unseen",
        "rather than false.",
        "",
    ]
    for mode in result.modes:
        lines += [
            f"### {mode}",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
        ]
        for t in types:
            cells = [_cell(result.baseline, t)]
            cells += [_cell(result.evaluation(mode, lv), t) for lv in result.levels]
            lines.append(f"| {t} | {n_truth.get(t, 0)} | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append(DEGRADE_END)
    return "\n".join(lines)


def replace_degrade_section(page: str, section: str, *, keep_below: str) -> str:
    """``page`` with its degrade section replaced by ``section`` (only that part); with
    none yet, ``section`` goes right after the ``keep_below`` marker line (which is added
    at the end when missing), so ``evaluate --suite --out`` keeps it."""
    if DEGRADE_BEGIN in page and DEGRADE_END in page:
        before, rest = page.split(DEGRADE_BEGIN, 1)
        after = rest.split(DEGRADE_END, 1)[1]
        return before + section + after
    if keep_below in page:
        before, after = page.split(keep_below, 1)
        return before + keep_below + "\n\n" + section + "\n" + after
    return page.rstrip("\n") + "\n\n" + keep_below + "\n\n" + section + "\n"
