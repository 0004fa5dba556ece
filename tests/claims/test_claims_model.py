"""The claim model, its JSON/YAML form and schema, and claims kept in the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from seawatch._exceptions import ParameterError
from seawatch.claims import (
    KINDS,
    QUALIFIERS,
    VESSEL_TYPES,
    add_claims,
    claim_from_dict,
    get_claim,
    list_claims,
    parse_claims_document,
    read_claims_file,
)
from seawatch.claims._model import PART_NAMES, PLACE_KINDS, ROLES
from seawatch.store import open_store

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "claims.schema.json"

FULL: dict[str, Any] = {
    "kind": "engagement",
    "sentence": "At least 14 vessel engagements in the Caribbean in September.",
    "count": 14,
    "qualifier": "at_least",
    "vessels": [{"name": "PARAMACONI", "flag": "ve", "type": "tanker", "role": "victim"}],
    "places": [{"kind": "region", "name": "Caribbean", "ref": "caribbean"}],
    "period_start": "2025-09-01",
    "period_end": "2025-10-01T00:00:00Z",
    "source": {
        "title": "T",
        "publisher": "P",
        "url": "https://example.org/a",
        "published": "2025-10-02",
    },
    "spans": [{"part": "count", "start": 0, "end": 11}],
}


def test_round_trip_and_stable_id() -> None:
    c = claim_from_dict(FULL)
    assert c.period_start == datetime(2025, 9, 1, tzinfo=UTC)
    assert c.vessels[0].flag == "VE"
    assert c.spans[0].text == "At least 14"
    again = claim_from_dict(c.to_dict())
    assert again == c and again.claim_id == c.claim_id
    other = claim_from_dict({**FULL, "count": 15})
    assert other.claim_id != c.claim_id


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"kind": "piracy"}, "kind"),
        ({"qualifier": "many"}, "qualifier"),
        ({"count": -1}, "count"),
        ({"count": True}, "count"),
        ({"color": 1}, "unknown field"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"period_end": "2025-08-01"}, "after"),
        ({"vessels": [{"flag": "Venezuela"}]}, "flag"),
        ({"vessels": [{"type": "submarine"}]}, "type"),
        ({"places": [{"kind": "region", "lat": 95.0, "lon": 0.0}]}, "out of range"),
        ({"places": [{"kind": "position", "lat": 10.0}]}, "together"),
        ({"spans": [{"part": "count", "start": 0, "end": 999}]}, "outside"),
        ({"claim_id": "../../etc"}, "claim_id"),
        # misspelt places and flags: before, "carribean" made the check say no AIS was
        # received "in carribean"
        (
            {"places": [{"kind": "region", "ref": "carribean"}]},
            r"places\[0\]\.ref: unknown region 'carribean'; did you mean 'caribbean'",
        ),
        ({"places": [{"kind": "waters", "ref": "VX"}]}, r"places\[0\]\.ref: unknown country"),
        ({"vessels": [{"flag": "XX"}]}, r"vessels\[0\]\.flag: unknown flag 'XX'"),
    ],
)
def test_bad_claims_are_refused_with_the_field(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        claim_from_dict({**FULL, **patch})


def test_place_refs_and_flags_are_made_canonical() -> None:
    c = claim_from_dict(
        {
            **FULL,
            "places": [
                {"kind": "region", "ref": "Caribbean"},
                {"kind": "waters", "ref": "ve", "radius_nm": 12},
            ],
        }
    )
    assert [p.ref for p in c.places] == ["caribbean", "VE"]


def test_schema_matches_the_model() -> None:
    schema = json.loads(SCHEMA.read_text())
    props = schema["properties"]
    assert set(props) == set(claim_from_dict(FULL).to_dict())
    assert tuple(props["kind"]["enum"]) == KINDS
    assert tuple(q for q in props["qualifier"]["enum"] if q) == QUALIFIERS
    vessel = props["vessels"]["items"]["properties"]
    assert tuple(t for t in vessel["type"]["enum"] if t) == VESSEL_TYPES
    assert tuple(vessel["role"]["enum"]) == ROLES
    assert tuple(props["places"]["items"]["properties"]["kind"]["enum"]) == PLACE_KINDS
    assert tuple(props["spans"]["items"]["properties"]["part"]["enum"]) == PART_NAMES


def test_document_with_a_shared_source() -> None:
    doc = {
        "source": {"title": "Wire", "published": "2025-10-02"},
        "claims": [{"kind": "dark", "sentence": "a"}, {"kind": "entry", "sentence": "b"}],
    }
    claims = parse_claims_document(doc, where="f")
    assert [c.source.title for c in claims] == ["Wire", "Wire"]
    with pytest.raises(ParameterError, match="claim 2"):
        parse_claims_document([{"kind": "dark", "sentence": "a"}, {"kind": "x"}], where="f")


def test_add_and_list_json_and_yaml(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s", create=True)
    j = tmp_path / "c.json"
    j.write_text(json.dumps([FULL]))
    y = tmp_path / "c.yaml"
    y.write_text(
        "source: {title: Wire, published: 2025-10-02}\n"
        "claims:\n"
        "  - kind: presence\n"
        "    sentence: Two warships were deployed near Venezuela.\n"
        "    count: 2\n"
        "    places: [{kind: waters, name: Venezuela, ref: VE, radius_nm: 200}]\n"
    )
    ids = add_claims(store, read_claims_file(j) + read_claims_file(y))
    ids_again = add_claims(store, read_claims_file(j))
    assert ids_again == ids[:1]
    kept = list_claims(store)
    assert sorted(c.claim_id for c in kept) == sorted(ids)
    assert get_claim(store, ids[1]).source.published == "2025-10-02"
    files = sorted(p.name for p in (store.root / "claims").iterdir())
    assert not any(".tmp-" in f for f in files)
    with pytest.raises(ParameterError, match="no claim"):
        get_claim(store, "c-nope")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("e.json", "", "empty"),
        ("b.json", "{not json", "JSON"),
        ("b.yaml", "a: [1,", "YAML"),
        ("n.json", "[1]", "object"),
    ],
)
def test_bad_claim_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    p = tmp_path / name
    p.write_text(content)
    with pytest.raises(ParameterError, match=message):
        read_claims_file(p)
