"""Incident linking (DESIGN.md §11): events that describe one occurrence share an id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from seawatch.detect import INCIDENT_KINDS, build_events, incident_ids, link_incidents
from seawatch.schema import EVENTS

H = 3_600_000_000
T0 = int(datetime(2025, 12, 8, tzinfo=UTC).timestamp() * 1_000_000)


def _events(rows: Sequence[tuple[str, float, float, list[int]]]) -> pa.Table:
    return build_events(
        types=[r[0] for r in rows],
        start_us=[T0 + round(r[1] * H) for r in rows],
        end_us=[T0 + round(r[2] * H) for r in rows],
        vessels=[r[3] for r in rows],
        lat=[10.0] * len(rows),
        lon=[-65.0] * len(rows),
        details=["{}"] * len(rows),
    )


def _by_type(t: pa.Table) -> dict[tuple[str, float], str]:
    starts = pc.cast(t.column("start"), pa.int64()).to_pylist()
    return {
        (ty, (s - T0) / H): i
        for ty, s, i in zip(
            t.column("type").to_pylist(), starts, t.column("incident_id").to_pylist(), strict=True
        )
    }


def test_engagement_kinds_come_from_the_detectors() -> None:
    assert INCIDENT_KINDS == {"encounter": "engagement", "interception": "engagement"}


def test_kernels_emit_each_event_as_its_own_incident() -> None:
    t = _events([("encounter", 0, 3, [1, 2]), ("gap", 0, 13, [3])])
    assert t.schema.equals(EVENTS)
    assert t.column("incident_id").to_pylist() == t.column("event_id").to_pylist()


def test_interception_and_encounter_of_one_pair_overlapping_are_one_incident() -> None:
    t = link_incidents(
        _events(
            [
                ("encounter", 8, 11.33, [369970581, 775100201]),
                ("interception", 8, 11.5, [775100201, 369970581]),  # vessel order ignored
                ("encounter", 20, 23.5, [1, 2]),  # another pair at another time
                ("encounter", 12, 17, [369970581, 775100201]),  # same pair, later: not linked
            ]
        )
    )
    ids = _by_type(t)
    assert ids[("encounter", 8)] == ids[("interception", 8)]
    assert len(set(ids.values())) == 3
    assert ids[("encounter", 12)] != ids[("encounter", 8)]
    # the id is the smallest event id of the group, and names an event of it
    grp = t.filter(pc.equal(t.column("incident_id"), ids[("encounter", 8)]))
    assert grp.num_rows == 2
    assert ids[("encounter", 8)] == min(grp.column("event_id").to_pylist())


def test_links_are_transitive_and_touching_counts() -> None:
    t = link_incidents(
        _events(
            [
                ("encounter", 0, 2, [1, 2]),
                ("interception", 1.5, 5, [1, 2]),
                ("encounter", 5, 7, [1, 2]),  # touches the interception's end
            ]
        )
    )
    assert len(set(t.column("incident_id").to_pylist())) == 1


def test_other_types_different_vessels_are_never_linked() -> None:
    t = link_incidents(
        _events(
            [
                ("encounter", 0, 3, [1, 2]),
                ("interception", 0, 3, [1, 3]),  # other vessel set
                ("loitering", 0, 3, [1]),  # no incident kind
                ("gap", 0, 3, [1]),
            ]
        )
    )
    assert t.column("incident_id").to_pylist() == t.column("event_id").to_pylist()


def test_order_does_not_matter_and_old_tables_without_the_column_link() -> None:
    rows = [("interception", 8, 11.5, [5, 6]), ("encounter", 8, 11, [5, 6])]
    a = link_incidents(_events(rows))
    b = link_incidents(_events(rows[::-1]).drop_columns(["incident_id"]))
    assert b.schema.equals(EVENTS)
    assert sorted(a.column("incident_id").to_pylist()) == sorted(
        b.column("incident_id").to_pylist()
    )


def test_null_incident_id_reads_as_the_event_itself() -> None:
    t = _events([("encounter", 0, 3, [1, 2])])
    t = t.set_column(
        t.schema.get_field_index("incident_id"), "incident_id", pa.nulls(1, pa.string())
    )
    assert incident_ids(t).to_pylist() == t.column("event_id").to_pylist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["encounter", "interception", "loitering"]),
            st.integers(0, 20),
            st.integers(0, 6),
            st.sampled_from([[1, 2], [1, 3], [2]]),
        ),
        max_size=12,
    )
)
def test_incidents_partition_by_vessels_and_overlap(
    rows: list[tuple[str, int, int, list[int]]],
) -> None:
    events = _events([(ty, s, s + d, v) for ty, s, d, v in rows])
    t = link_incidents(events)
    recs = t.to_pylist()
    for a in recs:
        for b in recs:
            linked = (
                a["type"] in INCIDENT_KINDS
                and b["type"] in INCIDENT_KINDS
                and sorted(a["vessels"]) == sorted(b["vessels"])
                and a["start"] <= b["end"]
                and b["start"] <= a["end"]
            )
            if linked:  # directly linked events always share the incident
                assert a["incident_id"] == b["incident_id"]
            if a["incident_id"] == b["incident_id"]:  # and one incident is one vessel set
                assert sorted(a["vessels"]) == sorted(b["vessels"])
    # idempotent
    assert link_incidents(t).column("incident_id").equals(t.column("incident_id"))


def test_old_store_without_the_column_still_reads(tmp_path: Path) -> None:
    from seawatch.store import open_store

    store = open_store(tmp_path / "s", create=True)
    new = _events([("encounter", 0, 3, [1, 2]), ("interception", 0, 3, [1, 2])])
    store.replace_events(new, types=["encounter", "interception"], run={})
    # rewrite the events file as an old version wrote it: no incident_id column
    (f,) = store.files("events")
    pq.write_table(pq.read_table(f).drop_columns(["incident_id"]), f)
    old = store.events()
    assert old.num_rows == 2 and old.column("incident_id").null_count == 2
    got = store.query("SELECT count(*) AS n, count(incident_id) AS k FROM events")
    assert got.to_pylist() == [{"n": 2, "k": 0}]
    # replacing one type relinks the kept one too (the store's finishing step)
    store.replace_events(
        new.filter(pc.equal(new.column("type"), "interception")),
        types=["interception"],
        run={},
        finish=link_incidents,
    )
    ids = store.events().column("incident_id").to_pylist()
    assert len(set(ids)) == 1 and None not in ids
