"""Packages whose names load their modules on first use (PEP 562).

``import seawatch.geo`` must not import numba, ``import seawatch.report`` not the detectors:
a command pays only for what it touches. A package lists where each public name lives and
takes its ``__getattr__`` and ``__dir__`` from :func:`lazy_names`; a name that is a
submodule (``seawatch.report.records``) is the module itself.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names[name]`` is the module that defines
    ``name``; the value is kept in the package once loaded."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        loaded = importlib.import_module(module)
        value = loaded if module == f"{package}.{name}" else getattr(loaded, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
