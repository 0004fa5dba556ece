"""The dark-vessel suite: scenarios with satellite passes, end to end, under each preset.

For each shipped scenario with ``[[passes]]``: simulate the AIS and the passes, ingest the
NMEA and the detections (with the footprints) into a store of its own, run the matcher
(the engine's scene step) under each preset, and score it (:mod:`seawatch.sim._dark_eval`).
The run itself is :func:`seawatch.pipeline.run_dark_suite`; this module holds its result
and its Markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seawatch.sim._dark_eval import DarkEvaluation, DarkScore
from seawatch.sim._scenario import load_scenario, scenario_names

DARK_PRESETS: tuple[str, ...] = ("default", "simple")


@dataclass(frozen=True, slots=True)
class DarkSuiteResult:
    per_scenario: tuple[tuple[str, str, DarkEvaluation], ...]
    """``(scenario, preset, evaluation)``."""
    totals: tuple[tuple[str, DarkEvaluation], ...]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "totals": {p: ev.to_dict() for p, ev in self.totals},
            "scenarios": [
                {"scenario": s, "preset": p, **ev.to_dict()} for s, p, ev in self.per_scenario
            ],
            "seconds": round(self.seconds, 2),
        }


def dark_scenario_names() -> list[str]:
    """Shipped scenarios that have satellite passes."""
    return [n for n in scenario_names() if load_scenario(n).passes]


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _cells(s: DarkScore) -> str:
    return f"{s.tp} | {s.fp} | {s.fn} | {_rate(s.precision)} | {_rate(s.recall)}"


def dark_section(result: DarkSuiteResult) -> list[str]:
    """The "Dark vessels" part of docs/EVALUATION.md."""
    lines = [
        "## Dark vessels (satellite detections matched to AIS)",
        "",
        "Scenarios with `[[passes]]`: each pass images a footprint at one time; vessels in it",
        "are detected with a probability rising with length (0.2 at 10 m to 0.97 at 60 m),",
        "with a 60 m position error and 8 % length error; clutter adds false detections, and",
        "`outside` detections lie outside their footprint. Expected: a vessel with a received",
        "AIS report within the matcher's window (3 h) is matched (`detected_by`); a spoofing",
        "vessel, or one silent through the window, is a `dark_detection`; a spoofing vessel",
        "whose false position lies in the footprint is an `ais_mismatch`; clutter reported as",
        "dark is a false positive (the matcher cannot tell clutter from a dark vessel), and",
        "`outside` detections must be rejected at ingest. Presets: `default` (GFW-style",
        "likelihood with length and heading) and `simple` (Skylight's 1.5 km rule).",
        "",
        "| preset | detections | matching TP | FP | FN | precision | recall "
        "| dark TP | FP | FN | precision | recall | mismatch TP | FP | FN | precision | recall "
        "| clutter as dark | outside stored |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for preset, ev in result.totals:
        lines.append(
            f"| `{preset}` | {ev.detections} | {_cells(ev.matching)} | {_cells(ev.dark)} | "
            f"{_cells(ev.mismatch)} | {ev.clutter_reported_dark} | {ev.outside_stored} |"
        )
    lines += [
        "",
        "Per scenario (matching / dark_detection / ais_mismatch as TP-FP-FN):",
        "",
        "| scenario | preset | matching | dark_detection | ais_mismatch | clutter as dark |",
        "|---|---|---|---|---|---|",
    ]
    for name, preset, ev in result.per_scenario:
        trip = [f"{s.tp}-{s.fp}-{s.fn}" for s in (ev.matching, ev.dark, ev.mismatch)]
        lines.append(
            f"| `{name}` | `{preset}` | {trip[0]} | {trip[1]} | {trip[2]} | "
            f"{ev.clutter_reported_dark} |"
        )
    errs = [(n, p, e) for n, p, ev in result.per_scenario for e in ev.errors]
    if errs:
        lines += ["", "Wrong or missed outcomes:", ""]
        lines += [f"- `{n}` (`{p}`): {e}" for n, p, e in errs]
    return lines
