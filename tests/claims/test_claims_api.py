"""``GET /api/claims``: the store's claims with their latest checks."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from seawatch.api import create_app
from seawatch.claims import add_claims, check_claims, claim_from_dict, save_checks
from seawatch.store import open_store


def test_api_claims(claim_store_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(claim_store_dir, root)
    store = open_store(root)
    checked = claim_from_dict({"kind": "dark", "sentence": "No vessels went dark.", "count": 0})
    unchecked = claim_from_dict({"kind": "entry", "sentence": "A tanker entered."})
    add_claims(store, [checked, unchecked])
    save_checks(store, check_claims([checked], store))
    with TestClient(create_app(root), base_url="http://127.0.0.1") as client:
        body = client.get("/api/claims").json()
        assert {r["claim"]["claim_id"] for r in body["claims"]} == {
            checked.claim_id,
            unchecked.claim_id,
        }
        got = client.get("/api/claims", params={"verdict": "contradicted"}).json()["claims"]
        assert [r["check"]["verdict"] for r in got] == ["contradicted"]
        got = client.get("/api/claims", params={"verdict": "unchecked"}).json()["claims"]
        assert [r["claim"]["claim_id"] for r in got] == [unchecked.claim_id]
        assert got[0]["check"] is None
        bad = client.get("/api/claims", params={"verdict": "true"})
        assert 400 <= bad.status_code < 500 and "error" in bad.json()


def test_api_claims_by_region_and_period(claim_store_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "s"
    shutil.copytree(claim_store_dir, root)
    store = open_store(root)
    carib = claim_from_dict(
        {
            "kind": "dark",
            "sentence": "No vessels went dark in the Caribbean on 9 December.",
            "count": 0,
            "places": [{"kind": "region", "name": "Caribbean", "ref": "caribbean"}],
            "period_start": "2025-12-09",
            "period_end": "2025-12-10",
        }
    )
    gulf = claim_from_dict(
        {
            "kind": "port_call",
            "sentence": "A boat called at a Gulf port.",
            "places": [{"kind": "position", "name": "x", "lat": 27.2, "lon": -89.8}],
            "period_start": "2025-12-09",
            "period_end": "2025-12-10",
        }
    )
    add_claims(store, [carib, gulf])
    with TestClient(create_app(root), base_url="http://127.0.0.1") as client:

        def ids(**params: str) -> list[str]:
            rows = client.get("/api/claims", params=params).json()["claims"]
            return sorted(r["claim"]["claim_id"] for r in rows)

        assert ids(region="caribbean") == [carib.claim_id]
        assert ids(region="gulf-of-mexico") == [gulf.claim_id]  # a position in the region
        assert ids(since="2025-12-09T12:00:00Z") == sorted([carib.claim_id, gulf.claim_id])
        assert ids(since="2025-12-10T00:00:00Z") == []
        bad = client.get("/api/claims", params={"since": "2025-12-10", "until": "2025-12-09"})
        assert 400 <= bad.status_code < 500
