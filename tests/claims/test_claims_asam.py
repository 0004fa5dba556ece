"""Extraction accuracy on the whole NGA ASAM corpus (slow: ~15 s); the goals of issue #12."""

from __future__ import annotations

from pathlib import Path

import pytest

from seawatch.claims._asam import evaluate_asam, truth_kind, truth_vessel_type


@pytest.mark.slow
def test_asam_goals(shared_data: Path) -> None:
    r = evaluate_asam(shared_data / "nga-asam" / "asam-2022-06-21.csv")
    o = r["overall"]
    assert o["records"] == 8642
    assert o["date"]["accuracy"] >= 0.95
    assert o["position_coordinate"]["accuracy"] >= 0.90
    assert o["kind"]["accuracy"] >= 0.90
    assert r["navarea_iv"]["records"] == 559
    assert r["extract_seconds"] < 60


@pytest.mark.parametrize(
    ("hostility", "truth"),
    [
        ("Boarding", ("seizure", "act")),
        ("Attempted Boarding", ("attack", "act")),
        ("SUSPICIOUS APPROACH", ("attack", "act")),
        ("detained by the Iranian Revolutionary Guard Corps", ("seizure", "act")),
        ("Robbers", ("seizure", "actor")),
        ("ATTACKERS", None),
        ("PIRATES", None),
        ("", None),
    ],
)
def test_truth_kind(hostility: str, truth: tuple[str, str] | None) -> None:
    assert truth_kind(hostility) == truth


@pytest.mark.parametrize(
    ("victim", "group"),
    [
        ("Tanzania-flagged tanker BRENTIX", "tanker"),
        ("Bulk carrier", "cargo"),
        ("MERCHANT VESSEL", None),
        ("Vessel", None),
        ("Sailing Yacht", "pleasure"),
        ("TUG BOAT", "tug"),
    ],
)
def test_truth_vessel_type(victim: str, group: str | None) -> None:
    assert truth_vessel_type(victim) == group
