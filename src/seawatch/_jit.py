"""Never a silent pause for numba: a line on stderr when a kernel is compiled.

seawatch's numerical kernels are numba functions cached on disk (``cache=True``): the first
run on a machine (or after an upgrade) compiles them, later runs load them. Compiling takes
seconds per kernel, so :func:`announce_compiles` makes each compilation say what it
prepares and that it happens once. Numba fires its ``numba:compile`` event only on a cache
miss, so loaded kernels print nothing. Numba is imported only when a kernel module already
imported it (this module costs nothing at import).
"""

from __future__ import annotations

import sys
import threading
from typing import Any

__all__ = ["announce_compiles"]

_LOCK = threading.Lock()
_state = {"installed": False, "depth": 0, "announced": False}


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
