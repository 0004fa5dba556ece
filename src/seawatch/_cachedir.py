"""Where seawatch keeps what it prepares once per machine: ``$SEAWATCH_CACHE_DIR`` (default
``$XDG_CACHE_HOME/seawatch`` or ``~/.cache/seawatch``); ``SEAWATCH_CACHE_DIR=""`` turns the
cache off. The geography's prepared indexes (``seawatch.geo``) and the kernels' compile locks
(``seawatch._jit.share_compiles``) live there."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_root"]

CACHE_ENV = "SEAWATCH_CACHE_DIR"


def cache_root() -> Path | None:
    """The cache folder, None when turned off."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return Path(env) if env.strip() else None
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "seawatch"
