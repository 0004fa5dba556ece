"""The hand-made API store (:mod:`tests.api._apistore`) with satellite detections matched to
AIS by the real matcher (``seawatch.detect.dark``) and claims with checks: the fixture of
``/api/detections``, ``/api/brief`` and the map's detections layer and claims panel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.api._apistore import T0, build_store

SCENE_TIME = T0 + timedelta(hours=10)
"""All detections are of one time: 2022-01-03 10:00 UTC."""

ATLANTIC_SCENE = "S1A_ATL<img src=x onerror=window.pwned=1>"
"""A scene id that markup would run: shown as written, never parsed."""
# (lat, lon, length_m, scene): NORDIC STAR (311000001) is at about 12.0, -67.26 at
# SCENE_TIME; nothing of AIS is anywhere near 20 N 60 W.
DETECTIONS: list[tuple[float, float, float, str]] = [
    (12.0, -67.26, 100.0, "S1A_FIXTURE_CARIB"),  # matched: NORDIC STAR
    (12.02, -67.35, 60.0, "S1A_FIXTURE_CARIB"),  # no AIS vessel explains it: dark
    (20.0, -60.0, 80.0, ATLANTIC_SCENE),  # no AIS heard in that scene
]
CLAIMS: list[dict[str, object]] = [
    {
        "kind": "dark",
        "sentence": "One vessel went dark in the Caribbean on 3 January 2022.",
        "count": 1,
        "places": [{"kind": "region", "name": "Caribbean", "ref": "caribbean"}],
        "period_start": "2022-01-03",
        "period_end": "2022-01-05",
    },
    {
        "kind": "engagement",
        "sentence": "Five <b>ships</b> met at sea in the Caribbean.",
        "count": 5,
        "places": [{"kind": "region", "name": "Caribbean", "ref": "caribbean"}],
        "period_start": "2022-01-03",
        "period_end": "2022-01-05",
    },
]


def detections_csv(path: Path) -> Path:
    """The fixture detections as a generic detections CSV at ``path``."""
    when = SCENE_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = ["time,lat,lon,length_m,source,scene_id"]
    lines += [
        f"{when},{lat},{lon},{length},sentinel1,{scene}" for lat, lon, length, scene in DETECTIONS
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_detection_store(root: Path) -> Path:
    """:func:`build_store`, then the detections ingested and matched (only the ``dark``
    detector runs: the fixture events stay), then :data:`CLAIMS` added and checked."""
    from seawatch.claims import add_claims, check_claims, claim_from_dict, save_checks
    from seawatch.engine import run_detectors
    from seawatch.store import open_store

    build_store(root)
    store = open_store(root)
    store.ingest_detections([detections_csv(root.parent / (root.name + "-detections.csv"))])
    run_detectors(store, only=["dark"], workers=1)
    claims = [claim_from_dict(c) for c in CLAIMS]
    add_claims(store, claims)
    save_checks(store, check_claims(claims, store))
    return root
