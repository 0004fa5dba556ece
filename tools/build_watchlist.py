"""Build the bundled OFAC SDN vessel watchlist from the staged OFAC extract.

Input: ``../shared/data/ofac-sdn/derived/sdn_vessels.csv`` (US Treasury OFAC SDN list as of
2024-05-03, public domain; see that folder's PROVENANCE.md). Output (deterministic, byte for
byte reproducible):

- ``src/seawatch/data/watchlists/ofac_sdn.csv``: one row per vessel with the columns a
  watchlist needs, ``entry_id, imo, mmsi, name, flag, program, vessel_type, aliases``;
  ``flag`` is ISO 3166 alpha-2 (empty when OFAC gives none), ``aliases`` the former names
  (``f.k.a.``) separated by ``;``.
- ``src/seawatch/data/watchlists/ofac_sdn.json``: the list's metadata (name, date, source,
  licence, row count, SHA-256 of the CSV).

Run: ``python tools/build_watchlist.py [--src PATH] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO.parent / "shared" / "data" / "ofac-sdn" / "derived" / "sdn_vessels.csv"
DEFAULT_OUT = REPO / "src" / "seawatch" / "data" / "watchlists"
LIST_DATE = "2024-05-03"

# OFAC's vessel flag wording -> ISO 3166-1 alpha-2 (every value present in the 2024-05-03 list).
FLAGS = {
    "Antigua and Barbuda": "AG",
    "Belize": "BZ",
    "British Virgin Islands": "VG",
    "Cambodia": "KH",
    "Cameroon": "CM",
    "Cayman Islands": "KY",
    "China": "CN",
    "Comoros": "KM",
    "Cook Islands": "CK",
    "Cuba": "CU",
    "Democratic People's Republic of Korea": "KP",
    "Djibouti": "DJ",
    "Gabon": "GA",
    "Guyana": "GY",
    "Honduras": "HN",
    "Hong Kong": "HK",
    "Iran": "IR",
    "Kiribati": "KI",
    "Liberia": "LR",
    "Malta": "MT",
    "Marshall Islands": "MH",
    "Mongolia": "MN",
    "Palau": "PW",
    "Panama": "PA",
    "Russia": "RU",
    "Saint Kitts and Nevis": "KN",
    "St. Kitts and Nevis": "KN",
    "St. Kitts & Nevis": "KN",
    "St. Vincent and the Grenadines": "VC",
    "Samoa": "WS",
    "Sao Tome and Principe": "ST",
    "Sierra Leone": "SL",
    "Singapore": "SG",
    "Syria": "SY",
    "Tanzania": "TZ",
    "Togo": "TG",
    "Turkey": "TR",
    "Tuvalu": "TV",
    "Venezuela": "VE",
    "Vietnam": "VN",
    "None Identified": "",
    "": "",
}

COLUMNS = ["entry_id", "imo", "mmsi", "name", "flag", "program", "vessel_type", "aliases"]


def convert(src: Path) -> list[dict[str, str]]:
    """Rows of the bundled list, sorted by entry id."""
    out: list[dict[str, str]] = []
    with src.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            flag_name = row["vess_flag"].strip()
            if flag_name not in FLAGS:
                raise SystemExit(f"unknown OFAC flag {flag_name!r}: add it to FLAGS")
            out.append(
                {
                    "entry_id": f"ofac-sdn-{row['ent_num'].strip()}",
                    "imo": row["imo"].strip(),
                    "mmsi": row["mmsi"].strip(),
                    "name": row["sdn_name"].strip(),
                    "flag": FLAGS[flag_name],
                    "program": row["program"].strip(),
                    "vessel_type": row["vess_type"].strip(),
                    "aliases": ";".join(
                        a.strip() for a in row["former_names"].split(";") if a.strip()
                    ),
                }
            )
    out.sort(key=lambda r: int(r["entry_id"].rsplit("-", 1)[1]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=DEFAULT_SRC)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    rows = convert(args.src)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ofac_sdn.csv").write_bytes(data)
    meta = {
        "name": "ofac_sdn",
        "title": "OFAC Specially Designated Nationals list: vessels",
        "date": LIST_DATE,
        "source": "US Treasury OFAC SDN list (sdn.csv)",
        "provenance": "https://www.treasury.gov/ofac/downloads/sdn.csv via the git scrape "
        "jackdwyer/specially-designated-nationals-list a5ec3c5ee4aae1b36ba24897a051787ea5429d30",
        "licence": "US Government work, public domain",
        "rows": len(rows),
        "sha256": hashlib.sha256(data).hexdigest(),
        "note": "Stale: designations after 2024-05-03 are missing. Re-check the live list "
        "before any real-world decision.",
    }
    (args.out / "ofac_sdn.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} vessels to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
