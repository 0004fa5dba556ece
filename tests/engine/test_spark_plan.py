"""The Spark runner's planning, which needs no Spark: the units of the close-pair search."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.engine._spark import SLOTS_PER_GROUP, _units


def test_units_split_large_days_and_spread_few_days_over_the_cores() -> None:
    assert _units({}, 4) == []
    # one day on two cores: two parts, so that both cores search
    assert _units({"2025-12-01": 1_000}, 2) == [("2025-12-01", 4, k) for k in range(4)]
    # many small days: one unit each
    days = {f"2025-12-{d:02d}": 100 for d in range(1, 11)}
    assert _units(days, 2) == [(day, 1, 0) for day in sorted(days)]
    # a day above the bound is cut into parts of at most SLOTS_PER_GROUP
    big = _units({"2025-12-01": 5 * SLOTS_PER_GROUP + 1, "2025-12-02": 10}, 1)
    assert [u for u in big if u[0] == "2025-12-01"] == [("2025-12-01", 6, k) for k in range(6)]
    assert [u for u in big if u[0] == "2025-12-02"] == [("2025-12-02", 1, 0)]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.integers(0, 10_000), min_size=1, max_size=12),
    cores=st.integers(1, 16),
    per_unit=st.integers(1, 5_000),
)
def test_units_cover_every_slot_of_every_day_once(
    rows: list[int], cores: int, per_unit: int
) -> None:
    """Each day's parts are 0..parts-1 of one ``parts``: every slot number falls in exactly
    one unit, and no unit holds more than ``per_unit`` slots of an evenly spread day."""
    days = {f"2025-12-{i + 1:02d}": n for i, n in enumerate(rows)}
    units = _units(days, cores, per_unit=per_unit)
    assert sorted({u[0] for u in units}) == sorted(days)
    for day, n in days.items():
        mine = [u for u in units if u[0] == day]
        parts = {u[1] for u in mine}
        assert len(parts) == 1
        k = parts.pop()
        assert sorted(u[2] for u in mine) == list(range(k))
        assert -(-n // k) <= per_unit
        slot_no = pa.array(np.arange(n) * 7)
        hits = np.zeros(n, int)
        for _, parts_, part in mine:
            hits += np.asarray(slot_no) % parts_ == part
        assert (hits == 1).all()


def test_without_pyspark_the_cli_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No traceback: one line naming the extra, exit 1; Python callers still get an
    ImportError."""
    from typer.testing import CliRunner

    from seawatch import MissingDependencyError
    from seawatch.cli import app
    from seawatch.engine._spark import spark_session

    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r'pip install "seawatch\[spark\]"'):
        spark_session("local[1]")
    assert issubclass(MissingDependencyError, ImportError)
    from seawatch.store import open_store

    open_store(tmp_path / "s", create=True)
    (tmp_path / "none.nmea").write_text("")
    for args in (["detect"], ["ingest", str(tmp_path / "none.nmea")]):
        out = CliRunner().invoke(app, [*args, "--store", str(tmp_path / "s"), "--engine", "spark"])
        assert out.exit_code == 1, out.output
        assert 'pip install "seawatch[spark]"' in out.output
        assert "Traceback" not in out.output


def test_scratch_directory_is_removed_and_falls_back_when_the_store_cannot_hold_it(
    tmp_path: Path,
) -> None:
    import tempfile
    from types import SimpleNamespace

    from seawatch.engine._spark import _scratch

    root = tmp_path / "store"
    root.mkdir()
    with _scratch(SimpleNamespace(root=root), None) as path:
        assert path.parent == (root / ".scratch").resolve()
        (path / "slots").mkdir()
    assert not (root / ".scratch").exists()  # the run's directory, then the empty parent
    # a store whose directory cannot take one (here a file is in the way): the driver's
    # temporary directory, enough for local[N]
    (root / ".scratch").write_text("in the way")
    with _scratch(SimpleNamespace(root=root), None) as path:
        assert path.parent == Path(tempfile.gettempdir()).resolve()
    assert not path.exists()
    # an explicit scratch_dir that cannot be made is an error, not a silent fallback
    with pytest.raises(OSError), _scratch(SimpleNamespace(root=root), root / ".scratch" / "x"):
        pass
