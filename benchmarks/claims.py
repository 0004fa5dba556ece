"""Whole-corpus claim extraction time: the NGA ASAM corpus (8,642 incident reports).

    python benchmarks/claims.py [PATH]    # default ../shared/data/nga-asam/asam-2022-06-21.csv

Prints records, text size, claims, and the best of three extraction times (seconds, one
core); the extraction is offline and deterministic, so the claims count is the same on
every run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from seawatch.claims import extract_claims
from seawatch.claims._asam import _ref_date, read_asam

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/data/nga-asam/asam-2022-06-21.csv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    records = read_asam(path)
    texts = [(r.text.strip(), _ref_date(r.reference)) for r in records if r.text.strip()]
    size = sum(len(t.encode()) for t, _ in texts)
    extract_claims(texts[0][0], published=texts[0][1])  # warm: gazetteers, dateparser
    best = float("inf")
    claims = 0
    for _ in range(3):
        t0 = time.perf_counter()
        claims = sum(len(extract_claims(t, published=d).claims) for t, d in texts)
        best = min(best, time.perf_counter() - t0)
    print(
        f"ASAM: {len(records):,} records, {size / 1e6:.1f} MB of text, {claims:,} claims; "
        f"extraction {best:.2f} s ({size / 1e6 / best:.2f} MB/s, {len(texts) / best:,.0f} "
        "texts/s)"
    )


if __name__ == "__main__":
    main()
