"""Small stores run in-process; numba compilations announce themselves on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


_COMPILE_ONE = """
import os, sys, time
from pathlib import Path
from numba.core import event as ev
import numpy as np
import seawatch.engine  # installs share_compiles under SEAWATCH_CACHE_DIR
from seawatch.geo import _kernels as K

n = [0]
class Count(ev.Listener):
    def on_start(self, e):
        if e.data["dispatcher"].py_func.__name__ == "chebyshev_fill":
            n[0] += 1
    def on_end(self, e):
        pass
ev.register("numba:compile", Count())
go = Path(sys.argv[1])
Path(sys.argv[2]).touch()  # imported, waiting
while not go.exists():
    time.sleep(0.005)
K.chebyshev_fill(np.zeros(12, np.bool_), 3, 4, False)
print(n[0])
"""


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_processes_compile_a_kernel_once(tmp_path: Any) -> None:
    """Two processes needing the same uncached kernel at the same moment: one compiles it,
    the other waits for it and loads it from numba's cache (``_jit.share_compiles``)."""
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "SEAWATCH_CACHE_DIR": str(tmp_path / "cache"),
    }
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{i}" for i in range(2)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _COMPILE_ONE, str(go), str(r)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for r in ready
    ]
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()  # both imported: they reach the kernel together
    counts = [int(p.communicate(timeout=120)[0].strip()) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(counts) == [0, 1]  # compiled by one, loaded by the other
    assert list((tmp_path / "cache" / "compile-locks").glob("*.lock"))


def test_read_only_views_leave_the_input_alone() -> None:
    from seawatch._jit import read_only

    a = np.arange(3.0)
    v = read_only(a)
    assert not v.flags.writeable and a.flags.writeable  # a view: the caller's array unchanged
    assert np.shares_memory(a, v)
    assert read_only(v) is v
