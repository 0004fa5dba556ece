"""``evaluate --degrade``: deterministic message loss and its own section of the page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from seawatch._simulated import MARK
from seawatch.cli import app
from seawatch.pipeline import run_degraded
from seawatch.sim import (
    KEEP_BELOW,
    degrade_nmea,
    load_scenario,
    replace_degrade_section,
    simulate,
)
from seawatch.sim._degrade import DEGRADE_BEGIN, DEGRADE_END, _line_keys


@pytest.fixture(scope="module")
def nmea(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    res = simulate(load_scenario("encounter-noisy"), tmp_path_factory.mktemp("d"), write_csv=False)
    return res.paths["nmea"].read_bytes()


@pytest.mark.parametrize("mode", ["random", "burst"])
@pytest.mark.parametrize("level", [0.1, 0.3, 0.5, 0.7])
def test_removes_about_the_share_asked_deterministically(
    nmea: bytes, mode: str, level: float
) -> None:
    out = degrade_nmea(nmea, level=level, mode=mode, seed=1)  # type: ignore[arg-type]
    assert out == degrade_nmea(nmea, level=level, mode=mode, seed=1)  # type: ignore[arg-type]
    assert out != degrade_nmea(nmea, level=level, mode=mode, seed=2)  # type: ignore[arg-type]
    assert out.startswith(MARK)  # the simulated mark stays
    n_in = len(nmea.splitlines()) - 1
    n_out = len(out.splitlines()) - 1
    assert (1 - n_out / n_in) == pytest.approx(level, abs=0.06)
    kept = set(out.splitlines())
    assert kept <= set(nmea.splitlines())  # only removals, order kept
    assert [ln for ln in nmea.splitlines() if ln in kept] == out.splitlines()


def test_bursts_remove_whole_hours_of_one_vessel(nmea: bytes) -> None:
    out = degrade_nmea(nmea, level=0.5, mode="burst", seed=4)
    vessel, when = _line_keys(nmea.splitlines()[1:])
    kept = set(out.splitlines())
    lines = nmea.splitlines()[1:]
    t0 = when[when >= 0].min()
    for v in np.unique(vessel[vessel >= 0]).tolist():
        for slot in np.unique((when[vessel == v] - t0) // 3600).tolist():
            rows = [
                ln
                for ln, vv, w in zip(lines, vessel, when, strict=True)
                if vv == v and (w - t0) // 3600 == slot
            ]
            states = {ln in kept for ln in rows}
            assert len(states) == 1, (v, slot)  # a slot of a vessel is kept or lost whole


def test_level_zero_is_the_input(nmea: bytes) -> None:
    assert degrade_nmea(nmea, level=0.0, mode="random", seed=1) == nmea
    with pytest.raises(ValueError):
        degrade_nmea(nmea, level=1.0, mode="random", seed=1)


def test_replace_only_its_own_section() -> None:
    page = "# top\n\n" + KEEP_BELOW + "\n\n## Real data\nhand-checked\n"
    one = replace_degrade_section(page, f"{DEGRADE_BEGIN}\nA\n{DEGRADE_END}", keep_below=KEEP_BELOW)
    assert one.index(KEEP_BELOW) < one.index("A") < one.index("hand-checked")
    two = replace_degrade_section(one, f"{DEGRADE_BEGIN}\nB\n{DEGRADE_END}", keep_below=KEEP_BELOW)
    assert "A" not in two.split(KEEP_BELOW)[1] and "B" in two and "hand-checked" in two
    assert two.replace("B", "A") == one
    bare = replace_degrade_section(
        "# x\n", f"{DEGRADE_BEGIN}\nC\n{DEGRADE_END}", keep_below=KEEP_BELOW
    )
    assert KEEP_BELOW in bare and bare.index(KEEP_BELOW) < bare.index("C")


def test_curves_on_two_scenarios() -> None:
    res = run_degraded(["gap-offshore", "crossing-at-speed"], levels=(0.3,), modes=("random",))
    assert res.n_runs == 4 and set(res.scenarios) == {"gap-offshore", "crossing-at-speed"}
    base = {s.type: s for s in res.baseline.scores}
    assert base["gap"].recall == 1.0
    assert res.evaluation("random", 0.3).scores


def test_degrade_cli_writes_its_section(tmp_path: Path) -> None:
    page = tmp_path / "EVALUATION.md"
    page.write_text("# generated\n" + KEEP_BELOW + "\n\n## kept by hand\n", encoding="utf-8")
    out = CliRunner().invoke(
        app, ["evaluate", "--degrade", "--scenario", "gap-below-threshold", "--out", str(page)]
    )
    assert out.exit_code == 0, out.output
    text = page.read_text(encoding="utf-8")
    assert "## Robustness to missing messages" in text and "## kept by hand" in text
    assert "| gap |" in text and "9 end-to-end runs" in text
