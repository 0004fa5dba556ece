"""Prepared geography indexes cached on disk, built once per install and data version.

Building the land and port indexes (grids over the whole world) takes seconds; every
process (each ``seawatch`` command, each engine worker) would otherwise rebuild them. The
first process writes the index arrays as ``.npy`` files under
``$SEAWATCH_CACHE_DIR`` (default ``$XDG_CACHE_HOME/seawatch`` or ``~/.cache/seawatch``), in a
folder named by a key: the SHA-256 of the bundled data files and of the source of the
modules that build and read the indexes. A new seawatch version or new data gives a new key
(an old folder untouched for a week is removed when a new one is written). Later processes memory-map the arrays (copy-on-write:
pages are read on demand and shared between processes through the page cache).

The folder is written under a temporary name and renamed into place, so a reader sees a
complete index or none. Any error writing or reading the cache falls back to building in
memory (a read-only home works, just slower). ``SEAWATCH_CACHE_DIR=""`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from seawatch._cachedir import CACHE_ENV as CACHE_ENV
from seawatch._cachedir import cache_root as cache_root

_DONE = "complete"
_SOURCES = ("_cache.py", "_index.py", "_kernels.py", "_api.py", "_store.py", "_zones.py")


def index_key(name: str, files: Sequence[Path]) -> str:
    """Key of the index ``name`` built from ``files`` by this version of the code."""
    h = hashlib.sha256(name.encode())
    here = Path(__file__).parent
    for path in (*files, *(here / s for s in _SOURCES)):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:24]


def announce(what: str) -> None:
    """A line on stderr before building an index that is then cached (never a silent
    pause on a first run)."""
    root = cache_root()
    where = f"once: cached in {root}" if root is not None else "cache turned off"
    print(f"seawatch: preparing the {what} ({where})", file=sys.stderr, flush=True)


def load(name: str, key: str) -> dict[str, npt.NDArray[Any]] | None:
    """The cached arrays of ``name``/``key``, None when absent or unreadable."""
    root = cache_root()
    if root is None:
        return None
    folder = root / f"{name}-{key}"
    try:
        if not (folder / _DONE).is_file():
            return None
        out: dict[str, npt.NDArray[Any]] = {}
        for path in folder.glob("*.npy"):
            arr = np.load(path, mmap_mode="c", allow_pickle=False)
            out[path.stem] = arr.view(np.ndarray)
        return out
    except (OSError, ValueError):
        return None


def save(name: str, key: str, arrays: Mapping[str, npt.NDArray[Any]]) -> None:
    """Write ``arrays`` as the cached index ``name``/``key`` (best effort)."""
    root = cache_root()
    if root is None:
        return
    folder = root / f"{name}-{key}"
    tmp = root / f".{name}-{key}.{os.getpid()}.tmp"
    try:
        if (folder / _DONE).is_file():
            return
        tmp.mkdir(parents=True, exist_ok=True)
        for k, arr in arrays.items():
            np.save(tmp / f"{k}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        (tmp / _DONE).write_text("ok\n")
        os.replace(tmp, folder)
        _prune(root, name, keep=folder)
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


STALE_S = 7 * 86_400
"""Index folders of other versions untouched for this long are removed when a new one is
written (several installed versions may share the cache; each index is ~20-150 MB)."""


def _prune(root: Path, name: str, *, keep: Path) -> None:
    now = time.time()
    for other in root.glob(f"{name}-*"):
        if other == keep or not other.is_dir():
            continue
        try:
            if now - other.stat().st_mtime > STALE_S:
                shutil.rmtree(other, ignore_errors=True)
        except OSError:
            continue
