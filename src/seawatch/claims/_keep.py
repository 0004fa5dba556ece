"""Claims and their checks in the store: ``<store>/claims/<claim_id>.json`` and
``<store>/claims/checks/<claim_id>.json`` (the latest check of each claim), each written
atomically (temporary file, fsync, rename) under the store's writer lock.

Claim files are read from JSON or YAML: one claim object, a list of them, or
``{"source": {...}, "claims": [...]}`` (the source applies to claims that name none).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from seawatch._exceptions import ParameterError, StoreError
from seawatch.claims._model import Claim, Source, claim_from_dict
from seawatch.store import Store, write_json_atomic

__all__ = [
    "MAX_CLAIM_FILE_BYTES",
    "add_claims",
    "claims_for",
    "get_claim",
    "list_checks",
    "list_claims",
    "parse_claims_document",
    "read_claims_file",
    "save_checks",
]

MAX_CLAIM_FILE_BYTES = 10_000_000
CLAIMS_DIR = "claims"


def parse_claims_document(doc: Any, *, where: str) -> list[Claim]:
    """Claims from a parsed JSON/YAML document (see the module docstring)."""
    source: dict[str, Any] | None = None
    if isinstance(doc, dict) and "claims" in doc:
        extra = sorted(set(doc) - {"claims", "source"})
        if extra:
            raise ParameterError(f"{where}: unknown field(s) {', '.join(map(str, extra))}")
        source = doc.get("source")
        doc = doc["claims"]
    items = doc if isinstance(doc, list) else [doc]
    out = []
    for i, item in enumerate(items):
        w = f"{where}: claim {i + 1}" if isinstance(doc, list) else where
        if source is not None and isinstance(item, dict) and "source" not in item:
            item = {**item, "source": source}
        out.append(claim_from_dict(item, where=w))
    return out


def read_claims_file(path: Path) -> list[Claim]:
    """Claims from a JSON or YAML file. Raises ParameterError (one line) on bad input."""
    try:
        size = path.stat().st_size
        if size > MAX_CLAIM_FILE_BYTES:
            raise ParameterError(
                f"{path}: {size:,} bytes; claim files are limited to {MAX_CLAIM_FILE_BYTES:,}"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParameterError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise ParameterError(f"{path}: empty file, no claims")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ParameterError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    else:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            hint = (
                " (for text, use `seawatch claims extract FILE --add`)"
                if (path.suffix.lower() not in (".json", ""))
                else ""
            )
            raise ParameterError(f"{path}: not valid JSON: {exc}{hint}") from exc
    return parse_claims_document(doc, where=str(path))


def _dir(store: Store) -> Path:
    return store.root / CLAIMS_DIR


def add_claims(
    store: Store, claims: list[Claim], *, source: Source | None = None, wait_s: float | None = 0.0
) -> list[str]:
    """Keep ``claims`` in the store (same content, same id: adding twice changes nothing).
    ``source`` fills in the source of claims that have none. Returns their ids."""
    ids = []
    with store.writing(wait_s=wait_s):
        for claim in claims:
            if source is not None and claim.source == Source():
                claim = replace(claim, source=source, claim_id="")
            write_json_atomic(_dir(store) / f"{claim.claim_id}.json", claim.to_dict())
            ids.append(claim.claim_id)
    return ids


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path}: unreadable claim file: {exc}") from exc


def list_claims(store: Store) -> list[Claim]:
    """All claims in the store, ordered by source date then id."""
    d = _dir(store)
    if not d.is_dir():
        return []
    out = []
    for path in sorted(d.glob("*.json")):
        claim = claim_from_dict(_read_json(path), where=str(path))
        out.append(replace(claim, claim_id=path.stem))
    return sorted(out, key=lambda c: (c.source.published, c.claim_id))


def get_claim(store: Store, claim_id: str) -> Claim:
    """One claim by id; raises ParameterError when the store has none with it."""
    for claim in list_claims(store):
        if claim.claim_id == claim_id:
            return claim
    raise ParameterError(f"no claim {claim_id!r} in {store.root} (see `seawatch claims list`)")


def save_checks(store: Store, checks: list[dict[str, Any]], *, wait_s: float | None = 0.0) -> None:
    """Keep the latest check of each claim (``claim_checks``: one JSON file per claim)."""
    with store.writing(wait_s=wait_s):
        for check in checks:
            write_json_atomic(_dir(store) / "checks" / f"{check['claim_id']}.json", check)


def list_checks(store: Store) -> list[dict[str, Any]]:
    """The latest check of every claim that has one."""
    d = _dir(store) / "checks"
    if not d.is_dir():
        return []
    return [_read_json(p) for p in sorted(d.glob("*.json"))]


def _overlaps(claim: Claim, lo: datetime | None, hi: datetime | None) -> bool:
    if lo is None and hi is None:
        return True
    if claim.period_start is None or claim.period_end is None:
        return False
    return (hi is None or claim.period_start < hi) and (lo is None or claim.period_end > lo)


def _in_regions(claim: Claim, regions: Sequence[str] | None) -> bool:
    if not regions:
        return True
    for p in claim.places:
        if p.kind == "region" and p.ref in regions:
            return True
        if p.lat is not None and p.lon is not None:
            from seawatch.geo import region_of

            if region_of([p.lat], [p.lon])[0] in regions:
                return True
    return False


def claims_for(
    store: Store,
    *,
    regions: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[dict[str, Any]]:
    """The store's claims about ``regions`` (a bundled region named, or a position in one)
    whose period overlaps ``[since, until)``, each ``{"claim", "check"}`` (the latest check
    or None): what ``seawatch report`` shows beside the events of the same period and
    region. With a period, claims without one are left out."""
    checks = {c["claim_id"]: c for c in list_checks(store)}
    return [
        {"claim": c.to_dict(), "check": checks.get(c.claim_id)}
        for c in list_claims(store)
        if _overlaps(c, since, until) and _in_regions(c, regions)
    ]
