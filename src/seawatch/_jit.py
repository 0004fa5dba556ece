"""Never a silent pause for numba: a line on stderr when a kernel is compiled.

seawatch's numerical kernels are numba functions cached on disk (``cache=True``): the first
run on a machine (or after an upgrade) compiles them, later runs load them. Compiling takes
seconds per kernel, so :func:`announce_compiles` makes each compilation say what it
prepares and that it happens once. Numba fires its ``numba:compile`` event only on a cache
miss, so loaded kernels print nothing. Numba is imported only when a kernel module already
imported it (this module costs nothing at import).

:func:`share_compiles` makes processes that need the same kernel at the same time (the
demo and its preparing child, the workers of a first ``detect``) compile it once: the
first takes a lock file for it, the others wait and then load what it cached.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["announce_compiles", "read_only", "share_compiles"]

_T = TypeVar("_T", bound="np.generic")

_LOCK = threading.Lock()
_state = {"installed": False, "depth": 0, "announced": False}
_share: dict[str, Any] = {"dir": None, "held": {}}


def _name(event: Any) -> str:
    data = getattr(event, "data", None) or {}
    disp = data.get("dispatcher") if isinstance(data, dict) else None
    fn = getattr(disp, "py_func", None)
    if fn is None:
        return "a numerical kernel"
    mod = str(getattr(fn, "__module__", "") or "").replace("._", ".")
    return f"{mod}.{getattr(fn, '__qualname__', '?')}"


def _make_listener() -> Any:
    from numba.core import event as ev

    class _Announce(ev.Listener):
        def on_start(self, event: Any) -> None:
            with _LOCK:
                _state["depth"] = int(_state["depth"]) + 1
                top = _state["depth"] == 1
                first = not _state["announced"]
                _state["announced"] = True
            if not top:
                return
            if first:
                print(
                    "seawatch: compiling numerical kernels for this machine (numba; "
                    "once: they are cached for later runs)",
                    file=sys.stderr,
                    flush=True,
                )
            print(f"seawatch:   compiling {_name(event)} ...", file=sys.stderr, flush=True)

        def on_end(self, event: Any) -> None:
            with _LOCK:
                _state["depth"] = max(0, int(_state["depth"]) - 1)

    return _Announce()


def announce_compiles() -> None:
    """Print a line on stderr for each numba kernel compiled from now on in this process
    (idempotent)."""
    with _LOCK:
        if _state["installed"]:
            return
        _state["installed"] = True
    from numba.core import event as ev

    ev.register("numba:compile", _make_listener())  # type: ignore[no-untyped-call]


def read_only(arr: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """A read-only view of ``arr`` (``arr`` itself is left as it is), for kernel inputs.

    Numba compiles a kernel once per argument type, and read-only is part of the type: an
    Arrow column comes out zero-copy (read-only) when it has one chunk and no nulls, else as
    a writable copy, and a sorted or filtered array is writable. Passing every input array
    through this gives each kernel one specialisation, so a first run on a fresh machine
    does not compile the per-vessel kernels twice.
    """
    if not arr.flags.writeable:
        return arr
    view = arr.view()
    view.flags.writeable = False
    return view


def share_compiles(lock_dir: Path | None) -> None:
    """From now on, a seawatch kernel that this process must compile (or load from numba's
    cache) is first locked in ``lock_dir`` (one file per kernel, ``flock``): a process that
    finds it locked waits, then loads what the other one compiled and cached. None, or a
    folder that cannot be created, turns it off. Idempotent; the first folder given wins.

    Locks are taken under numba's compiler lock and, for nested compilations, in call order
    (a kernel before the kernels it calls), so processes cannot deadlock; a killed process
    releases its locks. Without ``fcntl`` (Windows) this does nothing.
    """
    if lock_dir is None:
        return
    try:
        import fcntl  # noqa: F401 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        return
    with _LOCK:
        if _share["dir"] is not None:
            return
        try:
            lock_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        _share["dir"] = lock_dir
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.compile

    def compile(self: Any, sig: Any) -> Any:
        module = str(getattr(self.py_func, "__module__", "") or "")
        if not module.startswith("seawatch."):
            return original(self, sig)
        with global_compiler_lock, _kernel_lock(f"{module}.{self.py_func.__qualname__}"):
            return original(self, sig)

    Dispatcher.compile = compile  # type: ignore[method-assign]


@contextlib.contextmanager
def _kernel_lock(name: str) -> Iterator[None]:
    """The lock file of kernel ``name`` held; re-entered freely within this process (a
    recursive kernel), which holds numba's compiler lock, so only one thread is here."""
    import fcntl

    held: dict[str, int] = _share["held"]
    if name in held:
        held[name] += 1
        try:
            yield
        finally:
            held[name] -= 1
        return
    path = Path(_share["dir"]) / (hashlib.sha1(name.encode()).hexdigest()[:16] + ".lock")
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield  # no lock file: compile alone, as without sharing
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        held[name] = 1
        try:
            yield
        finally:
            del held[name]
    finally:
        os.close(fd)  # releases the lock
