"""Physical constants and unit conversions shared by every layer (one definition each)."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres: every great-circle distance in seawatch uses it."""

M_PER_NM = 1852.0
"""Metres per international nautical mile."""

KN_TO_MPS = M_PER_NM / 3600.0
"""Knots to metres per second."""

US_PER_H = 3_600_000_000
"""Microseconds per hour (timestamps are ``timestamp[us, UTC]``)."""

M_PER_DEG = math.pi * EARTH_RADIUS_M / 180.0
"""Metres per degree of latitude (of longitude at the equator) on that sphere."""

US_PER_DAY = 24 * US_PER_H
"""Microseconds per (UTC) day."""
