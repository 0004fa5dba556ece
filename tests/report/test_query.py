"""The one validated event filter (report/_query.py): nothing silently empty."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from seawatch import FilterError, ParameterError
from seawatch.ais.codes import SHIP_GROUPS
from seawatch.report import ROLE_GROUPS, EventFilter, check_country, choose, vocabulary


def test_values_are_validated_and_made_canonical() -> None:
    f = EventFilter.build(
        types="Encounter,interception",
        regions=["CARIBBEAN", "eastern-pacific"],
        zones="ve-EEZ",
        flags="ve, us",
        groups="Military,TANKER",
        vessels="775100201,369970581",
        since="2025-12-08",
        until="2025-12-11T00:00:00Z",
    )
    assert f.types == ("encounter", "interception")
    assert f.regions == ("caribbean", "eastern-pacific")
    assert f.zones == ("VE-eez",)
    assert f.flags == ("VE", "US")
    assert f.groups == ("military", "tanker")
    assert f.vessels == (775100201, 369970581)
    assert f.since == datetime(2025, 12, 8, tzinfo=UTC)
    assert EventFilter.build() == EventFilter()


@pytest.mark.parametrize(
    ("kwargs", "option", "listed"),
    [
        ({"regions": "carribean"}, "region", "caribbean, eastern-pacific, gulf-of-mexico"),
        ({"zones": "VE-eezz"}, "zone", "VE-territorial"),
        ({"types": "encounters"}, "type", "encounter"),
        ({"flags": "XX"}, "flag", "VE"),
        ({"groups": "warship"}, "group", "law_enforcement"),
    ],
)
def test_unknown_values_are_errors_that_list_the_valid_ones(
    kwargs: dict[str, str], option: str, listed: str
) -> None:
    with pytest.raises(FilterError) as info:
        EventFilter.build(**kwargs)  # type: ignore[arg-type]
    assert info.value.option == option
    assert f"unknown {option}" in str(info.value) and listed in str(info.value)
    assert isinstance(info.value, ParameterError)  # one exception tree


def test_a_near_miss_gets_a_suggestion() -> None:
    with pytest.raises(FilterError, match="did you mean 'caribbean'"):
        EventFilter.build(regions="carribean")


def test_groups_accept_the_roles_beside_the_ship_groups() -> None:
    v = vocabulary()
    assert set(SHIP_GROUPS) <= set(v.groups) and set(ROLE_GROUPS) <= set(v.groups)
    assert EventFilter.build(groups="government,law_enforcement").groups == (
        "government",
        "law_enforcement",
    )


def test_case_insensitive_only_where_unambiguous() -> None:
    assert choose("zone", "abc", ["ABC"]) == ("ABC",)
    with pytest.raises(FilterError, match="ambiguous"):
        choose("zone", "abc", ["ABC", "Abc"])


def test_store_values_extend_the_vocabulary() -> None:
    events = pa.table({"region": ["test-sea", None], "zone": ["my-box", None]})
    v = vocabulary(events)
    assert "test-sea" in v.regions and "my-box" in v.zones
    assert EventFilter.build(regions="Test-Sea", vocab=v).regions == ("test-sea",)
    with pytest.raises(FilterError):
        EventFilter.build(regions="test-sea")  # not bundled


def test_country_is_a_coast_with_bundled_zones() -> None:
    assert check_country("ve") == "VE"
    with pytest.raises(FilterError, match=r"unknown country .ZZ.*VE"):
        check_country("ZZ")
    with pytest.raises(FilterError):
        check_country("VE,CO")


def test_times_and_vessels_are_checked() -> None:
    with pytest.raises(ParameterError, match="until must not be before since"):
        EventFilter.build(since="2025-12-10", until="2025-12-09")
    with pytest.raises(ParameterError, match="ISO 8601"):
        EventFilter.build(since="yesterday")
    with pytest.raises(FilterError, match="not an MMSI"):
        EventFilter.build(vessels="abc")


class _EmptyStore:
    """The least a report needs: no events, no vessels."""

    def events(self) -> pa.Table:
        from seawatch.schema import EVENTS

        return EVENTS.empty_table()

    def vessels(self) -> pa.Table:
        return pa.table({"mmsi": pa.array([], pa.uint32())})

    def positions(self, **kw: object) -> pa.Table:
        raise AssertionError("validation comes first")

    def role_entries(self) -> pa.Table:
        raise AssertionError("validation comes first")


def test_python_api_validates_too() -> None:
    from seawatch.report import brief, report

    with pytest.raises(FilterError, match="unknown region 'nowhere'"):
        brief(_EmptyStore(), regions=["nowhere"])
    with pytest.raises(FilterError, match="unknown country 'ZZ'"):
        brief(_EmptyStore(), country="ZZ")
    with pytest.raises(FilterError, match="unknown type 'encounters'"):
        report(_EmptyStore(), types=["encounters"])
    assert report(_EmptyStore(), types=["Encounter"]).num_rows == 0


def test_plurals() -> None:
    from seawatch.cli._brief import headline, plural

    assert plural(1, "encounter") == "1 encounter" and plural(2, "encounter") == "2 encounters"
    assert plural(0, "spoofing event") == "0 spoofing events"
    b = {
        "country": "VE",
        "ranges_nm": [12.0, 24.0, 200.0],
        "counts": {
            "engagements": 1,
            "encounters": 1,
            "interceptions": 1,
            "naval_vessels_near": 1,
            "dark_gaps": 1,
            "spoofing": 1,
            "identity_changes": 1,
            "watchlist_hits": 1,
        },
    }
    text = headline(b)
    assert text == (
        "1 vessel engagement (1 with an encounter, 1 with an interception); 1 naval vessel "
        "within 200 nm of VE; 1 AIS gap; 1 spoofing event; 1 identity change; 1 sanctions hit"
    )


def test_a_filter_loads_only_what_its_options_name() -> None:
    # a filter without a type, region or zone imports neither the detectors (numba) nor the
    # bundled geography; naming a type loads the detectors' types, a zone the zone names
    code = (
        "import sys\n"
        "from seawatch.report import EventFilter\n"
        "EventFilter.build(since='2025-01-01', vessels='123456789', flags='VE')\n"
        "print(int('numba' in sys.modules), int('seawatch.detect' in sys.modules),"
        " int('seawatch.geo._zones' in sys.modules))\n"
        "EventFilter.build(types='Encounter', zones='ve-eez')\n"
        "print(int('seawatch.detect' in sys.modules), int('seawatch.geo._zones' in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "0", "0", "1", "0"]


def test_the_command_line_help_imports_no_numerical_stack() -> None:
    code = "import sys, seawatch.cli\nprint(sorted({'numpy', 'numba', 'pyarrow', 'duckdb'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
