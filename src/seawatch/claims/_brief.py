"""The situation brief with the claims about the same regions and period: the one home of
what ``seawatch report`` prints (as JSON: ``--format json``) and ``GET /api/brief`` serves."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from seawatch.claims._keep import claims_for
from seawatch.store import Store

__all__ = ["brief_with_claims"]


def brief_with_claims(
    store: Store,
    *,
    regions: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    country: str = "VE",
    flags: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """:func:`seawatch.report.brief` as a JSON-ready dict (:meth:`~seawatch.report.Brief.to_dict`:
    data, counts, legend, engagements, naval presence, dark activity, spoofing, identity
    changes, sanctions hits, dark vessels) with ``claims``: the store's claims about the
    brief's regions whose period overlaps ``[since, until)``, each ``{"claim", "check"}``
    (:func:`~seawatch.claims.claims_for`).

    Raises:
        FilterError: an unknown region, flag, group or country (the message lists the
            valid values).
    """
    from seawatch.report import brief

    out = brief(
        store,
        regions=regions,
        since=since,
        until=until,
        country=country,
        flags=flags,
        groups=groups,
    ).to_dict()
    out["claims"] = claims_for(store, regions=out["regions"], since=since, until=until)
    return out
