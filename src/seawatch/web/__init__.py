"""The map page and report page (static HTML/JS/CSS) and the vendored MapLibre GL JS.

Served by :mod:`seawatch.api` from :data:`STATIC_DIR`; nothing is fetched from the internet.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR"]

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
"""Folder of the pages, scripts and vendored libraries."""
