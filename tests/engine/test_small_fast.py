"""Small stores run in-process; numba compilations announce themselves on stderr."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from numba import njit

import seawatch.engine._run as run_mod
from seawatch._jit import announce_compiles
from seawatch.engine import run_detectors
from seawatch.store import Store
from tests.engine.conftest import WORLD


def test_default_workers_from_the_row_count() -> None:
    assert run_mod.default_workers(0) == 1
    assert run_mod.default_workers(run_mod.IN_PROCESS_ROWS - 1) == 1
    assert run_mod.default_workers(run_mod.IN_PROCESS_ROWS) == (os.cpu_count() or 1)


def test_small_store_starts_no_pool(small_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a process pool was started for a small store")

    monkeypatch.setattr(run_mod, "ProcessPoolExecutor", no_pool)
    ev = run_detectors(small_store, geo=WORLD, only="loitering,gap,zone", write=False)
    assert ev.num_rows > 0
    # an explicit worker count is obeyed: the pool starts
    with pytest.raises(AssertionError, match="process pool"):
        run_detectors(small_store, geo=WORLD, only="gap", workers=2, write=False)


def test_numba_compilation_is_announced(capfd: pytest.CaptureFixture[str]) -> None:
    announce_compiles()
    announce_compiles()  # idempotent: one listener

    @njit(cache=False)
    def _fresh_kernel(x: Any) -> Any:
        return x.sum() * 2

    assert _fresh_kernel(np.arange(4.0)) == 12.0
    err = capfd.readouterr().err
    assert "_fresh_kernel" in err and err.count("_fresh_kernel") == 1
    # compiled once: a second call (same types) prints nothing
    assert _fresh_kernel(np.arange(3.0)) == 6.0
    assert capfd.readouterr().err == ""
