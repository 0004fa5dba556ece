"""Vessel roles measured on the real NOAA sample: the table in docs/EVALUATION.md.

Usage::

    python tools/roles_noaa.py [--csv ../shared/data/noaa-ais-20220103-vesselsummaryais/data/AISdata.csv]
                               [--truth tests/ais/data/noaa_roles_truth.csv] [--store DIR]

Ingests the NOAA MarineCadastre sample into a store (a temporary one unless ``--store``),
reads the ``vessels`` view (``role``, ``role_source``), and compares the vessels it calls
naval, coast guard or government (``military``, ``law_enforcement``, ``government``) with
the hand-checked truth file: every vessel listed there is one (with its true role); every
other vessel is not. Prints Markdown: precision and recall with and without the bundled
list (the list was built from this very sample, so "rules only" is the honest estimate
for other data), then one row per vessel flagged or missed.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT.parent / "shared/data/noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
DEFAULT_TRUTH = ROOT / "tests/ais/data/noaa_roles_truth.csv"


def load_truth(path: Path) -> dict[int, dict[str, str]]:
    """``mmsi -> {name, role, note}`` of the hand-checked naval/government vessels."""
    with open(path, newline="", encoding="utf-8") as f:
        return {int(r["mmsi"]): r for r in csv.DictReader(f)}


def vessel_rows(store_dir: Path, csv_path: Path) -> list[dict[str, Any]]:
    """The ``vessels`` view of a store holding the NOAA sample, plus the role the rules give
    without the bundled list (``role_rules``, ``role_source_rules``)."""
    from seawatch.ais.roles import ROLE_ENTRIES, roles_of
    from seawatch.store import open_store

    store = open_store(store_dir, create=True)
    if not store.files("positions"):
        store.ingest([csv_path])
    v = store.vessels()
    rules, rules_src = roles_of(
        v.column("mmsi"),
        v.column("name"),
        v.column("ship_type"),
        imo=v.column("imo"),
        callsign=v.column("callsign"),
        entries=ROLE_ENTRIES.empty_table(),
    )
    rows: list[dict[str, Any]] = v.to_pylist()
    for row, r, s in zip(rows, rules.to_pylist(), rules_src.to_pylist(), strict=True):
        row["role_rules"], row["role_source_rules"] = r, s
    return rows


NAVAL = ("military", "law_enforcement", "government")


def scores(
    rows: list[dict[str, Any]], truth: dict[int, dict[str, str]], key: str
) -> dict[str, Any]:
    """Precision and recall of ``role in NAVAL`` (column ``key``) against ``truth``, and
    how many flagged vessels have the right role."""
    flagged = {int(r["mmsi"]): r[key] for r in rows if r[key] in NAVAL}
    seen = {int(r["mmsi"]) for r in rows}
    positives = {m for m in truth if m in seen}
    tp = len(flagged.keys() & positives)
    fp = len(flagged.keys() - positives)
    fn = len(positives - flagged.keys())
    exact = sum(1 for m in flagged.keys() & positives if flagged[m] == truth[m]["role"])
    return {
        "flagged": len(flagged),
        "truth": len(positives),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "role_exact": exact,
    }


def markdown(rows: list[dict[str, Any]], truth: dict[int, dict[str, str]]) -> str:
    """The section's tables."""
    out: list[str] = []
    out.append(
        "| evidence used | flagged | truth | TP | FP | FN | precision | recall | exact role |"
    )
    out.append("|---|---|---|---|---|---|---|---|---|")
    for label, key in (("list + rules (shipped)", "role"), ("rules only (no list)", "role_rules")):
        s = scores(rows, truth, key)
        out.append(
            f"| {label} | {s['flagged']} | {s['truth']} | {s['tp']} | {s['fp']} | {s['fn']} | "
            f"{s['precision']:.3f} | {s['recall']:.3f} | {s['role_exact']}/{s['tp']} |"
        )
    type_only = sum(1 for r in rows if r["ship_type"] in (35, 55) and int(r["mmsi"]) in truth)
    out.append(
        f"| ship type 35/55 alone (before) | {sum(1 for r in rows if r['ship_type'] in (35, 55))}"
        f" | {len(truth)} | {type_only} | | | | {type_only / len(truth):.3f} | |"
    )
    out.append("")
    out.append(
        "| mmsi | name | type | call sign | role (source) | rules only | hand check | true role |"
    )
    out.append("|---|---|---|---|---|---|---|---|")
    listed = [
        r for r in rows if r["role"] in NAVAL or r["role_rules"] in NAVAL or int(r["mmsi"]) in truth
    ]
    listed.sort(
        key=lambda r: (r["role"] not in NAVAL, r["role"], r["role_source"] or "", r["name"] or "")
    )
    for r in listed:
        m = int(r["mmsi"])
        t = truth.get(m)
        verdict = (
            ("TP" if r["role"] in NAVAL else "FN (missed)")
            if t
            else ("FP" if r["role"] in NAVAL else "")
        )
        note = t["note"] if t else "not naval/government"
        out.append(
            f"| {m} | {(r['name'] or '').replace('|', '/')} | {r['ship_type'] if r['ship_type'] is not None else ''} "
            f"| {r['callsign'] or ''} | {r['role']} ({r['role_source'] or '-'}) "
            f"| {r['role_rules']} ({r['role_source_rules'] or '-'}) | {verdict}: {note} "
            f"| {t['role'] if t else '-'} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    ap.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    ap.add_argument("--store", type=Path, default=None)
    args = ap.parse_args(argv)
    truth = load_truth(args.truth)
    if args.store is not None:
        rows = vessel_rows(args.store, args.csv)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            rows = vessel_rows(Path(tmp) / "store", args.csv)
    sys.stdout.write(markdown(rows, truth))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
