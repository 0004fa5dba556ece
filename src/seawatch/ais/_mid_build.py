"""Rebuild ``seawatch/data/mid.csv`` from the vessel-reference tables in ``../shared/data``.

Run: ``python -m seawatch.ais._mid_build ../shared/data/vessel-reference``.

The ITU 2023 MID table (uscg-nais-data, MIT) gives the MIDs and their allocation; ISO 3166
alpha-2 codes come from the MobiML whitelist (BSD-3-Clause) and the trajectory-data table
(MIT), with the corrections in ``_ISO_FIX`` where those tables lack or misassign a code.
MID 306 has three ITU rows (Bonaire-Sint Eustatius-Saba, Curaçao, Sint Maarten); all three are
kept, ``primary`` marks the one :func:`seawatch.ais.codes.flag_of_mmsi` returns (Curaçao, as the
other tables do), since the MMSI cannot tell them apart.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

_ISO_FIX: dict[str, str] = {
    "216": "AM",
    "451": "KG",
    "453": "MO",
    "471": "AE",
    "501": "TF",  # Adelie Land (TAAF)
    "546": "PF",
    "550": "TL",
    "607": "TF",
    "608": "SH",  # Ascension Island is part of SH, not IO
    "618": "TF",  # Crozet
    "635": "TF",  # Kerguelen
    "638": "SS",
    "659": "NA",
    "740": "FK",
}
_306 = {"Bonaire": "BQ", "Curaçao": "CW", "Sint Maarten": "SX"}


def _short_name(allocated: str) -> str:
    name = allocated.split(" - ", 1)[1] if " - " in allocated else allocated
    if name.endswith(")") and "(" in name:
        inner = name[name.rindex("(") + 1 : -1]
        if (
            " of" in inner
            or inner.endswith("of")
            or inner.startswith("In accordance")
            or inner
            in (
                "Malvinas",
                "Indian Ocean",
            )
        ):
            name = name[: name.rindex("(")].strip()
    fixes = {
        "Republic of Türkiye": "Türkiye",
        "United Kingdom of Great Britain and Northern Ireland": "United Kingdom",
        "Netherlands": "Netherlands",
        "Guiana": "French Guiana",
        "Adelie Land": "French Southern Territories",
        "Crozet Archipelago": "French Southern Territories",
        "Kerguelen Islands": "French Southern Territories",
        "Saint Paul and Amsterdam Islands": "French Southern Territories",
        "Alaska": "United States of America",
    }
    return fixes.get(name, name)


def build(ref_dir: Path, out: Path) -> int:
    itu = list(
        csv.DictReader(
            (ref_dir / "uscg-nais-data/ITU/MaritimeIdentificationDigits.csv").open(encoding="utf-8")
        )
    )
    mob = {
        r["MID"]: r["Country Code"]
        for r in csv.DictReader(
            (ref_dir / "mobiml/src/mobiml/datasets/ais_mid_whitelist.csv").open(encoding="utf-8")
        )
    }
    traj = {
        r["mid"]: r["country_code"]
        for r in csv.DictReader(
            (ref_dir / "trajectory-data/ais_usa/ais/maritime_vessel_identification.csv").open(
                encoding="utf-8"
            )
        )
    }
    rows = []
    for r in itu:
        mid, alloc = r["MID"], r["Allocated_to"]
        primary = 1
        if mid == "306":
            iso = next(v for k, v in _306.items() if k in alloc)
            primary = int(iso == "CW")
        elif mid in _ISO_FIX:
            iso = _ISO_FIX[mid]
        else:
            iso = mob.get(mid) or traj.get(mid) or ""
        if len(iso) != 2 or iso in ("ZZ", "XX", "UK"):
            raise ValueError(f"no ISO code for MID {mid} ({alloc})")
        rows.append((mid, iso, _short_name(alloc), alloc, primary))
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["mid", "iso2", "country", "allocated_to", "primary"])
        w.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    target = Path(__file__).resolve().parent.parent / "data" / "mid.csv"
    print(build(Path(sys.argv[1]), target), "rows ->", target)
