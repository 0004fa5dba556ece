"""Extraction on sentences written for the tests, and bad input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch._exceptions import ParameterError
from seawatch.claims import Claim, check_text, extract_claims, gazetteer, read_text

D = date(2025, 9, 14)  # a Sunday


def one(text: str, **kw: object) -> Claim:
    ex = extract_claims(text, published=D, **kw)  # type: ignore[arg-type]
    assert len(ex.claims) == 1, [c.sentence for c in ex.claims]
    return ex.claims[0]


def day(c: Claim) -> tuple[datetime | None, datetime | None]:
    return c.period_start, c.period_end


@pytest.mark.parametrize(
    ("text", "count", "qualifier"),
    [
        ("US forces intercepted fourteen vessels in the Caribbean.", 14, "exactly"),
        ("US forces intercepted at least 14 vessels in the Caribbean.", 14, "at_least"),
        ("US forces intercepted more than twenty vessels in the Caribbean.", 21, "at_least"),
        ("US forces intercepted up to twenty-one vessels in the Caribbean.", 21, "at_most"),
        ("US forces intercepted fewer than 10 vessels in the Caribbean.", 9, "at_most"),
        ("US forces intercepted about a dozen vessels in the Caribbean.", 12, "about"),
        ("US forces intercepted nearly 1,200 vessels in the Caribbean.", 1200, "about"),
        ("There were 3 vessel engagements in the Caribbean.", 3, "exactly"),
    ],
)
def test_counts_and_qualifiers(text: str, count: int, qualifier: str) -> None:
    c = one(text)
    assert (c.count, c.qualifier) == (count, qualifier)
    assert "count" in c.understood


def test_people_are_not_counted() -> None:
    c = one("Three robbers armed with knives boarded the tanker.")
    assert c.kind == "seizure" and c.count is None


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("No vessels entered Venezuelan territorial waters.", True),
        ("The tanker did not enter Venezuelan territorial waters.", True),
        ("The tanker entered Venezuelan territorial waters.", False),
    ],
)
def test_negation(text: str, negated: bool) -> None:
    c = one(text)
    assert c.kind == "entry" and c.negated is negated
    assert (c.count == 0) is negated
    place = c.places[0]
    assert (place.kind, place.ref, place.radius_nm) == ("waters", "VE", 12.0)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("A US destroyer intercepted the tanker.", "interception"),
        ("The tanker was seized after a helicopter boarding.", "seizure"),
        ("Pirates hijacked a bulk carrier.", "seizure"),
        ("Robbers attempted to board the tanker.", "attack"),
        ("Two skiffs approached the ship at speed.", "attack"),
        ("The tanker conducted a ship-to-ship transfer with a second vessel.", "sts_transfer"),
        ("The tanker switched off its AIS near the coast.", "dark"),
        ("Two warships were deployed off Venezuela.", "presence"),
        ("The reefer called at Cartagena.", "port_call"),
        ("Analysts counted 12 vessel encounters.", "engagement"),
    ],
)
def test_kinds(text: str, kind: str) -> None:
    assert one(text).kind == kind


def test_regions_and_positions() -> None:
    c = one("Pirates boarded a tanker in the Gulf of Mexico near position 13-14N 065-35W.")
    kinds = {(p.kind, p.ref) for p in c.places}
    assert ("region", "gulf-of-mexico") in kinds
    pos = next(p for p in c.places if p.kind == "position")
    assert pos.lat == pytest.approx(13 + 14 / 60, abs=1e-4)
    assert pos.lon == pytest.approx(-(65 + 35 / 60), abs=1e-4)
    assert one("Warships were deployed in the eastern Pacific.").places[0].ref == "eastern-pacific"


@pytest.mark.parametrize(
    "coord",
    [
        "13-14N 065-35W",
        "13°14'N 065°35'W",
        "13:14N - 065:35W",
        "1314N 06535W",
        "13-14.0N 065-35.0W",
        "13-14-00N 065-35-00W",
    ],
)
def test_position_formats(coord: str) -> None:
    c = one(f"Robbers boarded a tanker at {coord}.")
    pos = next(p for p in c.places if p.kind == "position")
    assert (round(pos.lat or 0, 3), round(pos.lon or 0, 3)) == (13.233, -65.583)


def test_ports_and_countries_waters() -> None:
    # "Cartagena" is a port in Spain and in Colombia: the country named decides
    c = one("Robbers boarded a tanker at the port of Cartagena, Colombia.")
    port = next(p for p in c.places if p.kind == "port")
    assert port.lat is not None and 10 < port.lat < 11
    c = one("Robbers boarded a tanker at the port of Cartagena.")
    assert not any(p.kind == "port" for p in c.places)  # ambiguous: not guessed
    c = one("Three destroyers were deployed within 50 nautical miles of Venezuela.")
    w = next(p for p in c.places if p.kind == "waters")
    assert (w.ref, w.radius_nm) == ("VE", 50.0)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("The tanker was seized on 10 September.", datetime(2025, 9, 10), datetime(2025, 9, 11)),
        (
            "The tanker was seized on September 10, 2024.",
            datetime(2024, 9, 10),
            datetime(2024, 9, 11),
        ),
        ("The tanker was seized yesterday.", datetime(2025, 9, 13), datetime(2025, 9, 14)),
        ("The tanker was seized two days ago.", datetime(2025, 9, 12), datetime(2025, 9, 13)),
        ("The tanker was seized last week.", datetime(2025, 9, 1), datetime(2025, 9, 8)),
        ("The tanker was seized in August.", datetime(2025, 8, 1), datetime(2025, 9, 1)),
        (
            "The tanker was seized on 20 December.",
            datetime(2024, 12, 20),
            datetime(2024, 12, 21),
        ),  # no year, after the document date: the year before
        (
            "The tanker was seized at 270015Z Dec 2024.",
            datetime(2024, 12, 27),
            datetime(2024, 12, 28),
        ),
    ],
)
def test_dates(text: str, start: datetime, end: datetime) -> None:
    assert day(one(text)) == (start.replace(tzinfo=UTC), end.replace(tzinfo=UTC))


def test_no_document_date_leaves_relative_dates_unresolved() -> None:
    c = extract_claims("The tanker was seized yesterday.").claims[0]
    assert c.period_start is None and "period" not in c.understood


def test_period_is_inherited_without_a_span() -> None:
    ex = extract_claims(
        "On 3 September the tanker stopped. A destroyer intercepted her.", published=D
    )
    (c,) = ex.claims
    assert c.period_start == datetime(2025, 9, 3, tzinfo=UTC)
    assert "period" not in c.understood


def test_vessel_names_flags_and_types() -> None:
    vessels = pa.table(
        {"mmsi": pa.array([775100201], pa.uint32()), "name": ["PARAMACONI"], "flag": ["VE"]}
    )
    gaz = gazetteer(vessels=vessels)
    c = one("A US warship intercepted the Venezuelan tanker PARAMACONI.", gaz=gaz)
    named = next(v for v in c.vessels if v.name)
    assert (named.name, named.mmsi, named.flag, named.type, named.role) == (
        "PARAMACONI",
        775100201,
        "VE",
        "tanker",
        "victim",
    )
    actor = next(v for v in c.vessels if v.type == "military")
    assert (actor.flag, actor.role) == ("US", "actor")
    # a misspelt name is matched to the gazetteer (rapidfuzz)
    c = one("A US warship intercepted the tanker PARAMACONY.", gaz=gaz)
    assert any(v.mmsi == 775100201 for v in c.vessels)
    c = one("Robbers boarded the Panama-flagged bulk carrier OCEAN STAR.")
    v = c.vessels[0]
    assert (v.name, v.flag, v.type) == ("OCEAN STAR", "PA", "cargo")


def test_watchlist_names_are_recognised() -> None:
    from seawatch.watchlist import bundled_lists

    wl = bundled_lists()
    rows = [r for r in wl[0].entries.to_pylist() if r["imo"] is not None]
    name = rows[0]["name"]
    c = one(f"The tanker {name} was seized.", gaz=gazetteer(watchlists=wl))
    assert any(v.imo is not None or v.mmsi is not None for v in c.vessels)


def test_spans_point_into_the_sentence() -> None:
    c = one("US forces intercepted at least 14 vessels in the Caribbean on 10 September.")
    for s in c.spans:
        assert c.sentence[s.start : s.end] == s.text
    assert set(c.understood) == {"count", "kind", "period", "places", "vessels"} - {"vessels"}


def test_sentences_without_incidents_give_no_claims() -> None:
    ex = extract_claims("The weather was fine. Officials met in Caracas.", published=D)
    assert ex.claims == () and ex.skipped == 2


def test_deterministic() -> None:
    text = "At least 3 tankers were seized in the Caribbean last week. No vessels went dark."
    a = extract_claims(text, published=D).to_dict()
    assert a == extract_claims(text, published=D).to_dict()


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "binary"),
        (bytes(range(1, 31)) * 10, "binary"),
        (b"\xff\xfe\xfa not utf-8", "UTF-8"),
        (
            b"Los buques de guerra estadounidenses interceptaron al menos catorce embarcaciones "
            b"en el mar Caribe la semana pasada, dijeron los funcionarios.",
            "English",
        ),
        (
            "美国军舰上周在加勒比海拦截了至少十四艘船只。官员们说这是一次重大行动。这是为了测试。".encode()
            * 3,
            "English",
        ),
    ],
)
def test_bad_input_is_refused_in_one_line(data: bytes, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as err:
        check_text(data, where="x.txt")
    assert "\n" not in str(err.value)


def test_a_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(50_000_000)  # sparse: nothing is written or read
    with pytest.raises(ParameterError, match="limited to"):
        read_text(str(big))


def test_text_with_no_claims_invents_none() -> None:
    ex = extract_claims("Lorem ipsum dolor sit amet. 12345. !!!", published=D)
    assert ex.claims == ()


# --- robustness -----------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "the",
        "a",
        "no",
        "at",
        "least",
        "about",
        "more",
        "than",
        "fewer",
        "14",
        "fourteen",
        "twenty-one",
        "tanker",
        "skiffs",
        "warships",
        "intercepted",
        "seized",
        "boarded",
        "went",
        "dark",
        "entered",
        "Venezuelan",
        "territorial",
        "waters",
        "Caribbean",
        "Sea",
        "on",
        "3",
        "June",
        "2025",
        "yesterday",
        "last",
        "week",
        "near",
        "position",
        "13-14N",
        "065-35W",
        "99-99N",
        "999-99W",
        "port",
        "of",
        "Cartagena",
        "Panama-flagged",
        "M/V",
        ".",
        ",",
        ";",
        ":",
        "(",
        ")",
        "-",
        "31",
        "February",
        "00-00N",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, max_size=40), st.text(max_size=60))
def test_extraction_never_crashes(words: list[str], noise: str) -> None:
    text = " ".join(words) + " " + noise
    ex = extract_claims(text, published=D)
    for c in ex.claims:
        for s in c.spans:
            assert c.sentence[s.start : s.end] == s.text
        for p in c.places:
            if p.lat is not None:
                assert -90 <= p.lat <= 90 and p.lon is not None and -180 <= p.lon <= 180
        if c.period_start is not None and c.period_end is not None:
            assert c.period_start < c.period_end
