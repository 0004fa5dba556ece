"""The scenario suite's results and their Markdown (docs/EVALUATION.md): the suite itself
(simulate, ingest, detect, evaluate) runs in :func:`seawatch.pipeline.run_suite`, above
the engine; this module knows nothing of the store or the engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seawatch.sim._dark_suite import DarkSuiteResult, dark_section
from seawatch.sim._evaluate import Evaluation
from seawatch.sim._scenario import INPUT_FORMATS, load_scenario, scenario_names

__all__ = ["SuiteResult", "render_markdown"]


@dataclass(frozen=True, slots=True)
class SuiteResult:
    """One evaluation per scenario (in suite order) and their sum."""

    preset: str
    input_format: str
    all_detectors: bool
    per_scenario: tuple[tuple[str, Evaluation], ...]
    total: Evaluation
    seconds: float
    skipped: tuple[str, ...] = ()
    """Scenarios not run because ``input_format`` lacks what their truth needs
    (:attr:`~seawatch.sim.Scenario.inputs`)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "preset": self.preset,
            "input_format": self.input_format,
            "all_detectors": self.all_detectors,
            "seconds": round(self.seconds, 2),
            "total": self.total.to_dict(),
            "scenarios": {name: ev.to_dict() for name, ev in self.per_scenario},
            "skipped": list(self.skipped),
        }


def _rate(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def _results_section(result: SuiteResult) -> list[str]:
    lines = [
        f"Preset `{result.preset}`, input `{result.input_format}`, "
        f"{'all detectors' if result.all_detectors else 'the scored detectors only'}, "
        f"{len(result.per_scenario)} scenarios"
        + (
            f" ({len(result.skipped)} skipped, their truth needs another input: "
            + ", ".join(f"`{n}`" for n in result.skipped)
            + ")."
            if result.skipped
            else "."
        ),
        "",
        "| type | truth | detected | TP | FP | FN | negatives | negatives detected "
        "| details mismatch | precision | recall |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in result.total.scores:
        lines.append(
            f"| `{s.type}` | {s.n_truth} | {s.n_detected} | {s.tp} | {s.fp} | {s.fn} | "
            f"{s.negatives} | {s.negatives_detected} | {s.details_mismatch} | "
            f"{_rate(s.precision)} | {_rate(s.recall)} |"
        )
    lines += [
        "",
        "Per scenario:",
        "",
        "| scenario | type | TP | FP | FN | negatives detected | precision | recall |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, ev in result.per_scenario:
        for s in ev.scores:
            lines.append(
                f"| `{name}` | `{s.type}` | {s.tp} | {s.fp} | {s.fn} | {s.negatives_detected} | "
                f"{_rate(s.precision)} | {_rate(s.recall)} |"
            )
    misses = [(name, t) for name, ev in result.per_scenario for t in ev.missed]
    fps = [(name, d) for name, ev in result.per_scenario for d in ev.false_positives]
    if misses or fps:
        lines += ["", "Misses and false positives:", ""]
        for name, t in misses:
            lines.append(
                f"- `{name}`: missed `{t.type}` {list(t.vessels)} {t.start:%Y-%m-%d %H:%M}"
                f"–{t.end:%Y-%m-%d %H:%M}Z" + (f" zone {t.zone}" if t.zone else "")
            )
        for name, d in fps:
            lines.append(
                f"- `{name}`: false positive `{d.type}` {list(d.vessels)} "
                f"{d.start:%Y-%m-%d %H:%M}–{d.end:%Y-%m-%d %H:%M}Z"
                + (f" zone {d.zone}" if d.zone else "")
            )
    return lines


def _scenario_section() -> list[str]:
    lines = [
        "| scenario | what it tests | positives | negatives (must not be detected) | scored |",
        "|---|---|---|---|---|",
    ]
    for name in scenario_names():
        sc = load_scenario(name)
        assert sc.truth is not None
        pos = ", ".join(f"{e.type} ×{n}" for e, n in _count(sc.truth.events)) or "–"
        neg = ", ".join(f"{e.type} ×{n}" for e, n in _count(sc.truth.negatives)) or "–"
        scored = ", ".join(
            k + (f" ({', '.join(v)})" if v else "") for k, v in sorted(sc.truth.scored.items())
        )
        if set(sc.inputs) != set(INPUT_FORMATS):
            scored += f" (input {', '.join(sc.inputs)} only)"
        if sc.passes:
            scored = (scored + "; " if scored else "") + (
                f"dark vessels ({len(sc.passes)} satellite passes)"
            )
        lines.append(f"| `{name}` | {sc.description} | {pos} | {neg} | {scored} |")
    return lines


def _count(events: Sequence[Any]) -> list[tuple[Any, int]]:
    seen: dict[str, tuple[Any, int]] = {}
    for e in events:
        first, n = seen.get(e.type, (e, 0))
        seen[e.type] = (first, n + 1)
    return list(seen.values())


KEEP_BELOW = (
    "<!-- Hand-checked sections below: `seawatch evaluate --out` keeps them as they are. -->"
)
"""The marker in docs/EVALUATION.md after which the generator keeps the page's text: the
real-data tables checked by hand and the measured curves that other commands write."""


def merge_kept(fresh: str, previous: str | None) -> str:
    """``fresh`` (a :func:`render_markdown` page) followed by everything from
    :data:`KEEP_BELOW` on in ``previous`` (the page being replaced), if it has the marker."""
    if previous is None or KEEP_BELOW not in previous:
        return fresh
    return fresh.rstrip("\n") + "\n\n" + KEEP_BELOW + previous.split(KEEP_BELOW, 1)[1]


def render_markdown(
    result: SuiteResult | None,
    *,
    command: str = "seawatch evaluate --suite --out docs/EVALUATION.md",
    dark: DarkSuiteResult | None = None,
) -> str:
    """The whole of docs/EVALUATION.md: scenario format, matching rule, the shipped
    scenarios (from their files) and, when given, the suite's results."""
    from seawatch.sim import __doc__ as sim_doc
    from seawatch.sim import _evaluate

    fmt = (sim_doc or "").split("Scenario format", 1)[1].split("Outputs of", 1)[0]
    fmt_block = fmt.split("::", 1)[1] if "::" in fmt else fmt
    rule = (_evaluate.__doc__ or "").split("Matching rule", 1)[1].split(":", 1)[1]
    lines = [
        "# Evaluation: simulated scenarios with ground truth",
        "",
        f"<!-- Generated by `{command}`; do not edit by hand. -->",
        "",
        "Each detector is scored on simulated AIS traffic whose events are known by",
        "construction (DESIGN.md §7, §10). A scenario is a small TOML file; `seawatch simulate`",
        "turns it into NMEA (NMEA 4.x tag blocks), a NOAA MarineCadastre-style CSV and",
        "`truth.json`; `seawatch evaluate` compares a store's events with that truth;",
        "`seawatch evaluate --suite` runs every shipped scenario end to end (simulate, ingest",
        "into a temporary store, detect with a preset, evaluate) and writes this page.",
        "",
        "```",
        "seawatch simulate sts-offshore --out /tmp/sts",
        "seawatch ingest /tmp/sts/sts-offshore.nmea --store /tmp/sts/store",
        "seawatch detect --store /tmp/sts/store",
        "seawatch evaluate --store /tmp/sts/store --truth /tmp/sts/truth.json",
        "seawatch evaluate --suite --out docs/EVALUATION.md",
        "```",
        "",
        "## Results",
        "",
    ]
    if result is None:
        lines.append("Not run: the store and the engine were not available.")
    else:
        lines += _results_section(result)
    if dark is not None:
        lines += ["", *dark_section(dark)]
    lines += [
        "",
        "## Matching rule",
        "",
        *[ln[0:] for ln in _dedent(rule).strip("\n").splitlines()],
        "",
        "## Scenarios",
        "",
        "Shipped in `src/seawatch/data/scenarios/` (run one with `seawatch simulate NAME`).",
        "Places are real: open sea ≥ 40 nm from land for encounter and loitering positives,",
        "real ports and anchorages (José terminal, Bullen Baai, Caracasbaai, the Panama Canal",
        "Pacific anchorage) for the port cases.",
        "",
        *_scenario_section(),
        "",
        "## Scenario format",
        "",
        "```toml",
        *_dedent(fmt_block).strip("\n").splitlines(),
        "```",
        "",
        "Outputs: `<name>.nmea` (`\\s:station,c:unixtime*hh\\!AIVDM,...`; multi-sentence",
        "messages carry `g:part-total-id` on every fragment; duplicates heard by another station",
        "a few seconds later; corrupted lines whose checksum fails), `<name>.csv` (received",
        "positions, MarineCadastre columns) and `truth.json`. The NMEA and CSV files open with",
        "the line `# seawatch-simulated scenario=NAME seed=N: ...`: the store records them as",
        "simulated input whoever ingests them (DESIGN.md §11).",
        "",
    ]
    return "\n".join(lines)


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)
