"""Readers that turn files, stdin, CSV and Parquet into seawatch Arrow tables.

See docs/ARCHITECTURE.md, section ``seawatch.sources``.
"""

from __future__ import annotations

from seawatch.sources._open import open_binary, sniff_compression

__all__ = ["open_binary", "sniff_compression"]
