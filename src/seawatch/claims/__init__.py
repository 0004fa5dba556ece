"""Claims: what reports and statements say, structured, and checked against the store.

* :mod:`~seawatch.claims._model`: the :class:`Claim` (kind, count and qualifier, vessels,
  places, period, source, the text span of each part) and its JSON/YAML form
  (``docs/claims.schema.json``).
* :func:`extract_claims`: English text -> claims (rule-based, offline, deterministic).
* :func:`add_claims`, :func:`list_claims`: claims kept in the store (``claims/``).
* :func:`check_claims`: each claim -> a verdict (supported, partly_supported,
  contradicted, unobservable) with the evidence and the coverage.

Layering (DESIGN §17): on the report floor; imports report, store, geo, ais.codes and
watchlist, never cli or api.
"""

from __future__ import annotations

from seawatch.claims._asam import asam_markdown, evaluate_asam
from seawatch.claims._brief import brief_with_claims
from seawatch.claims._check import EVENT_TYPES_OF_KIND, VERDICTS, check_claim, check_claims
from seawatch.claims._extract import (
    MAX_TEXT_BYTES,
    Extraction,
    Gazetteer,
    check_text,
    extract_claims,
    gazetteer,
    read_text,
    store_gazetteer,
)
from seawatch.claims._keep import (
    add_claims,
    claims_for,
    get_claim,
    list_checks,
    list_claims,
    parse_claims_document,
    read_claims_file,
    save_checks,
)
from seawatch.claims._model import (
    KINDS,
    QUALIFIERS,
    VESSEL_TYPES,
    Claim,
    Place,
    Source,
    Span,
    Vessel,
    claim_from_dict,
)

__all__ = [
    "EVENT_TYPES_OF_KIND",
    "KINDS",
    "MAX_TEXT_BYTES",
    "QUALIFIERS",
    "VERDICTS",
    "VESSEL_TYPES",
    "Claim",
    "Extraction",
    "Gazetteer",
    "Place",
    "Source",
    "Span",
    "Vessel",
    "add_claims",
    "asam_markdown",
    "brief_with_claims",
    "check_claim",
    "check_claims",
    "check_text",
    "claim_from_dict",
    "claims_for",
    "evaluate_asam",
    "extract_claims",
    "gazetteer",
    "get_claim",
    "list_checks",
    "list_claims",
    "parse_claims_document",
    "read_claims_file",
    "read_text",
    "save_checks",
    "store_gazetteer",
]
