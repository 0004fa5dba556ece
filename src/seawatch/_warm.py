"""Prepare detection in a second process while the first one decodes (``seawatch demo``).

On a fresh machine the first ``seawatch demo`` spends most of its time preparing, once:
numba compiles the AIS decoder's kernels (to decode the simulated NMEA), then the
tracks', the detectors' and the geography's kernels, and the land, coast and port indexes
are built (to detect). Both results are cached on disk (numba's cache, ``seawatch.geo``'s
index cache), and the two halves do not depend on each other. So the demo starts this
module in a child process on another core: it ingests the bundled real sample (CSV: no
NMEA decoding) and the standoff scenario's CSV and satellite passes into a temporary
store, and runs every detector over it, which compiles and caches what the demo's own
detection needs a little later. The demo then waits for the longer of the two halves, not
for their sum. With warm caches the child finishes in a few seconds.

Nothing here touches the user's store or prints anything: the child works in a temporary
folder and its output is discarded. If it fails, or has not finished when the demo needs
a kernel, the demo compiles that kernel itself, as it would without the child (numba and
the index cache both write their files atomically, so two writers are safe).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def prepare(sample: Path, scenario: Path) -> None:
    """Ingest ``sample`` and the ``scenario``'s CSV and passes into a temporary store and
    run every detector over it, for their side effects: compiled kernels and geography
    indexes in their caches."""
    from seawatch.engine import DETECTORS, run_detectors
    from seawatch.pipeline import ingest_scenario
    from seawatch.sim import load_scenario
    from seawatch.store import open_store

    with tempfile.TemporaryDirectory(prefix="seawatch-warm-") as tmp:
        store = open_store(Path(tmp) / "store", create=True)
        store.ingest([str(sample)])
        ingest_scenario(
            load_scenario(scenario), store, Path(tmp) / "sim", input_format="csv", passes=True
        )
        # The demo's own detection runs the detectors in registry order once it has decoded;
        # here they run one by one from the last, so that the two processes compile from
        # opposite ends and meet (a kernel one of them is compiling, the other waits for and
        # loads: seawatch._jit.share_compiles). The kernels take read-only arrays whatever
        # the data (seawatch._jit.read_only): one specialisation each, compiled once here.
        for name in reversed(DETECTORS):
            run_detectors(store, only=name, workers=1, write=False)


def start(sample: Path, scenario: Path) -> subprocess.Popen[bytes] | None:
    """:func:`prepare` in a child process at low priority; None on a one-core machine or
    when the child cannot start (the caller then prepares everything itself)."""
    if (os.cpu_count() or 1) < 2:
        return None
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "seawatch._warm", str(sample), str(scenario)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the terminal goes to the demo, which stops it
        )
    except OSError:
        return None


def stop(child: subprocess.Popen[bytes] | None) -> None:
    """End the child if it is still running (its caches stay consistent: files are only
    ever renamed into place)."""
    if child is None or child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


if __name__ == "__main__":  # pragma: no cover - run as the child process
    with contextlib.suppress(OSError):
        os.nice(5)
    prepare(Path(sys.argv[1]), Path(sys.argv[2]))
