"""Checking claims against a store whose truth is known (``_claimstore``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from seawatch.claims import (
    add_claims,
    check_claim,
    check_claims,
    claim_from_dict,
    extract_claims,
    gazetteer,
    list_checks,
    save_checks,
)
from seawatch.store import open_store

PUBLISHED = date(2025, 12, 11)


def _check(store_dir: Path, sentence: str) -> dict[str, Any]:
    store = open_store(store_dir)
    ex = extract_claims(sentence, published=PUBLISHED, gaz=gazetteer(vessels=store.vessels()))
    assert len(ex.claims) == 1, ex.claims
    return check_claim(ex.claims[0], store)


@pytest.mark.parametrize(
    ("sentence", "verdict", "found"),
    [
        # two incidents: an interception + encounter of one pair (counted once) and an STS
        (
            "At least 2 vessel engagements took place in the Caribbean on 8 December.",
            "supported",
            2,
        ),
        (
            "At least 5 vessel engagements took place in the Caribbean on 8 December.",
            "partly_supported",
            2,
        ),
        (
            "Exactly one vessel engagement took place in the Caribbean on 8 December.",
            "contradicted",
            2,
        ),
        ("At most 3 vessel engagements took place in the Caribbean on 8 December.", "supported", 2),
        ("No vessels went dark in the Caribbean Sea on 9 December.", "contradicted", 1),
        ("No vessels went dark in the Caribbean Sea on 8 December.", "supported", 0),
        (
            "Two US warships were deployed within 200 nautical miles of Venezuela on 8 December.",
            "supported",
            2,
        ),
        (
            "Five US warships were deployed within 200 nautical miles of Venezuela on 8 December.",
            "partly_supported",
            2,
        ),
        ("A tanker entered Venezuelan territorial waters on 8 December.", "supported", 1),
        ("The tanker SANTA LUCIA was intercepted in the Caribbean on 8 December.", "supported", 1),
        (
            "The tanker LIBERTY TRADER was intercepted in the Caribbean on 8 December.",
            "contradicted",
            0,
        ),
        (
            "The tanker SANTA LUCIA was seized in the Caribbean on 8 December.",
            "partly_supported",
            1,
        ),
    ],
)
def test_verdicts(claim_store_dir: Path, sentence: str, verdict: str, found: int) -> None:
    check = _check(claim_store_dir, sentence)
    assert check["verdict"] == verdict, check["explanation"]
    assert check["found"] == found
    assert check["explanation"] and check["quote"]


@pytest.mark.parametrize(
    ("sentence", "why"),
    [
        ("Go-fast boats attacked a tanker on 8 December.", "AIS"),
        ("Three skiffs were intercepted in the Caribbean on 8 December.", "carry no AIS"),
        ("Interceptions took place in the Eastern Pacific on 8 December.", "no AIS position"),
        ("The tanker SANTA LUCIA was intercepted in March 2024.", "outside the store"),
        ("A tanker was seized in the Caribbean on 9 December.", "no interception"),
    ],
)
def test_unobservable(claim_store_dir: Path, sentence: str, why: str) -> None:
    check = _check(claim_store_dir, sentence)
    assert check["verdict"] == "unobservable"
    assert why in check["explanation"]
    assert check["found"] is None


def test_evidence_lists_events_vessels_coverage_and_links(claim_store_dir: Path) -> None:
    check = _check(
        claim_store_dir, "At least 2 vessel engagements took place in the Caribbean on 8 December."
    )
    assert len(check["evidence"]["event_ids"]) == 3  # 3 events, 2 incidents
    assert 775000010 in check["evidence"]["vessels"]
    assert check["coverage"]["positions"] > 0 and check["coverage"]["vessels"] >= 3
    assert any(link.startswith("/#event=") for link in check["links"])
    assert (
        "/#vessel=775000010&since=2025-12-08T00:00:00Z&until=2025-12-09T00:00:00Z"
        in (check["links"])
    )
    assert "AIS shows only vessels" in check["quote"]


def test_incident_ids_count_engagements_once(claim_store_dir: Path) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    store = open_store(claim_store_dir)
    events = store.events()
    inc = pa.array(
        [
            "i-1" if t in ("interception", "encounter") else None
            for t in events.column("type").to_pylist()
        ],
        pa.string(),
    )
    if "incident_id" in events.column_names:
        events = events.drop_columns(["incident_id"])
    events = events.append_column("incident_id", inc)
    claim = claim_from_dict(
        {
            "kind": "engagement",
            "sentence": "x",
            "count": 2,
            "qualifier": "at_least",
            "places": [{"kind": "region", "name": "Caribbean", "ref": "caribbean"}],
        }
    )
    check = check_claim(claim, store, events=events)
    assert check["found"] == 1  # all engagements share one incident id here
    assert check["verdict"] == "partly_supported"
    assert check["evidence"]["incident_ids"] == ["i-1"]
    assert pc.sum(pc.is_valid(inc)).as_py() == 3


def test_checks_are_kept(claim_store_dir: Path, tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "s"
    shutil.copytree(claim_store_dir, root)
    store = open_store(root)
    claim = claim_from_dict({"kind": "dark", "sentence": "No vessels went dark.", "count": 0})
    add_claims(store, [claim])
    checks = check_claims([claim], store)
    save_checks(store, checks)
    kept = list_checks(store)
    assert [c["claim_id"] for c in kept] == [claim.claim_id]
    assert kept[0]["verdict"] == "contradicted"


def test_empty_store_is_unobservable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty", create=True)
    claim = claim_from_dict({"kind": "engagement", "sentence": "x", "count": 3})
    assert check_claim(claim, store)["verdict"] == "unobservable"
