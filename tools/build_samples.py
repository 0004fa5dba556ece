"""Build the small real AIS sample bundled for ``seawatch demo``.

Source: NOAA / BOEM MarineCadastre "Nationwide AIS" 2022-01-03 (first 99,999 rows, via
../shared/data/noaa-ais-20220103-vesselsummaryais). US Government work, public domain.
Kept: rows in the Caribbean box (8-24N, 90-58W), every column unchanged, row order kept.

Run from the repository root: ``python tools/build_samples.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared/data/noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
TARGET = REPO / "src/seawatch/data/samples/noaa_caribbean_20220103.csv.gz"


def main() -> None:
    with SOURCE.open(newline="") as src:
        reader = csv.reader(src)
        header = next(reader)
        lat_i, lon_i = header.index("LAT"), header.index("LON")
        rows = [r for r in reader if 8 <= float(r[lat_i]) <= 24 and -90 <= float(r[lon_i]) <= -58]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0 keeps the file byte-identical between builds.
    TARGET.write_bytes(gzip.compress(buf.getvalue().encode(), mtime=0))
    print(f"{TARGET.relative_to(REPO)}: {len(rows)} rows")


if __name__ == "__main__":
    main()
