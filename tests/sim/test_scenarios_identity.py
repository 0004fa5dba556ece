"""The scenarios of the identity detectors (spoofing, identity_change, watchlist_hit): each
truth event and negative is what DESIGN.md §7 says, checked from the scenario's own
declarations, its generated tracks, an independent rough geography (``geo_check``) and the
bundled list read as plain CSV, not through the detectors."""

from __future__ import annotations

import csv
import itertools
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from seawatch.sim import Scenario, TruthEvent, Vessel, load_scenario, scenario_names, vessel_tracks
from seawatch.sim._track import destination, haversine_m

from . import geo_check
from ._truth import truth_events as _events

NAMES = scenario_names()
DATA = Path(__file__).resolve().parents[2] / "src" / "seawatch" / "data"


def _h(sc: Scenario, t: datetime) -> float:
    return (t - sc.start).total_seconds() / 3600.0


# ---------------------------------------------------------------------------- spoofing

MAX_SPEED_KN = 50.0


def _transmitters(sc: Scenario, mmsi: int) -> list[int]:
    return [i for i, v in enumerate(sc.vessels) if mmsi in v.mmsis]


@pytest.mark.parametrize(("name", "i"), _events("spoofing"))
def test_spoofing_truth_is_on_land_or_two_transmitters(
    name: str, i: int, shared_data: Path
) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    (mmsi,) = ev.vessels
    users = _transmitters(sc, mmsi)
    kind = ev.details.get("kind")
    if kind == "on_land":
        (v,) = (sc.vessels[k] for k in users)
        (sp,) = (s for s in v.spoof if abs(s.start_h - _h(sc, ev.start)) < 0.01)
        assert abs(sp.end_h - _h(sc, ev.end)) < 0.01
        # the false point and 2 km around it are on land, > 5 km from any port
        for bearing in (0.0, 90.0, 180.0, 270.0):
            lat, lon = destination(sp.lat, sp.lon, bearing, 2_000.0)
            assert geo_check.dist_to_land_nm(shared_data, float(lat), float(lon)) == 0.0
        assert geo_check.nearest_port_km(shared_data, sp.lat, sp.lon) > 5.0
        # reached and left by jumps no vessel could make: the true track is far away
        st = vessel_tracks(sc)[users[0]].at(np.array([sp.start_h, sp.end_h]) * 3600.0 - 1.0)
        d = haversine_m(st.lat, st.lon, np.full(2, sp.lat), np.full(2, sp.lon))
        assert np.all(d > MAX_SPEED_KN * 1852 / 3600 * 600)  # > 50 kn even 10 min apart
    else:
        assert kind == "parallel_tracks" and len(users) >= 2
        assert any(sc.vessels[k].shares_mmsi for k in users)
        tracks = [vessel_tracks(sc)[k] for k in users]
        t = np.arange(_h(sc, ev.start), _h(sc, ev.end), 0.25) * 3600.0
        a, b = (tr.at(t) for tr in tracks[:2])
        assert not np.isnan(a.lat).any() and not np.isnan(b.lat).any()  # both on the air
        assert haversine_m(a.lat, a.lon, b.lat, b.lon).min() > 50_000.0


@pytest.mark.parametrize(("name", "i"), _events("spoofing", negatives=True))
def test_spoofing_negatives_move_plausibly_and_stay_at_sea(
    name: str, i: int, shared_data: Path
) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    (mmsi,) = sc.truth.negatives[i].vessels
    (k,) = _transmitters(sc, mmsi)  # one transmitter
    v = sc.vessels[k]
    assert not v.spoof
    tr = vessel_tracks(sc)[k]
    t = np.arange(tr.t_start, tr.t_end, 60.0)
    st = tr.at(t)
    assert np.nanmax(st.sog_kn) < MAX_SPEED_KN - 5
    ok = ~np.isnan(st.lat)
    d = haversine_m(st.lat[ok][:-1], st.lon[ok][:-1], st.lat[ok][1:], st.lon[ok][1:])
    assert np.all(d / 60.0 / (1852 / 3600) < MAX_SPEED_KN - 5)  # no jump in the truth
    for a, b in zip(st.lat[ok][::30], st.lon[ok][::30], strict=True):
        assert geo_check.dist_to_land_nm(shared_data, a, b) > 0.3


# ---------------------------------------------------------------------------- identity


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^A-Z0-9]+", " ", text.upper()).split())


def _valid_imo(imo: int) -> bool:
    s = str(imo)
    if len(s) != 7:
        return False
    return sum(int(c) * w for c, w in zip(s[:6], range(7, 1, -1), strict=True)) % 10 == int(s[6])


def _category(t: int) -> int:
    return t // 10 * 10 if t // 10 in (2, 4, 6, 7, 8, 9) else t


def _values(v: Vessel, field: str) -> list[tuple[float, object]]:
    """(from hour, normalised value) of one identity field over the vessel's identities."""
    out: list[tuple[float, object]] = []
    for ident in v.identities():
        raw = getattr(ident, field)
        val: object
        if field in ("name", "callsign"):
            val = _norm(str(raw)) if field == "name" else _norm(str(raw)).replace(" ", "")
        elif field == "imo":
            val = raw if raw and _valid_imo(int(raw)) else None
        else:
            val = _category(int(raw)) if raw else None
        out.append((max(ident.at_s / 3600.0, 0.0), val))
    return out


@pytest.mark.parametrize(("name", "i"), _events("identity_change"))
def test_identity_truth_is_a_held_change_or_a_shared_imo(name: str, i: int) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    field = ev.details["field"]
    if field == "imo_mmsi":
        imo = ev.details["imo"]
        assert _valid_imo(imo)
        users = {ident.mmsi for v in sc.vessels for ident in v.identities() if ident.imo == imo}
        assert users == set(ev.vessels) and len(users) >= 2
        return
    (v,) = (x for x in sc.vessels if ev.vessels[0] in x.mmsis)
    vals = _values(v, field)
    changes = [(h, b) for (_, a), (h, b) in itertools.pairwise(vals) if a != b]
    assert any(_h(sc, ev.start) <= h <= _h(sc, ev.end) for h, _ in changes)
    assert vals[-1][1] == _norm(ev.details["new"]).replace(" ", "" if field == "callsign" else " ")


@pytest.mark.parametrize(("name", "i"), _events("identity_change", negatives=True))
def test_identity_negatives_keep_their_identity(name: str, i: int) -> None:
    """No held change of name, call sign, valid IMO or type category, and no valid IMO under
    two MMSIs; a value held under an hour and undone (a typo) is not a change."""
    sc = load_scenario(name)
    assert sc.truth is not None
    neg = sc.truth.negatives[i]
    vessels = [v for v in sc.vessels if set(v.mmsis) & set(neg.vessels)]
    for v in vessels:
        assert len(v.mmsis) == 1
        for field in ("name", "callsign", "imo", "ship_type"):
            vals = _values(v, field)
            held = [
                (h, x)
                for k, (h, x) in enumerate(vals)
                if k == len(vals) - 1 or vals[k + 1][0] - h >= 1.0
            ]
            assert len({x for _, x in held}) == 1, (v.mmsi, field, vals)
    imos = [i.imo for v in vessels for i in v.identities() if _valid_imo(i.imo)]
    assert len(imos) == len(set(imos)) or len({v.mmsi for v in vessels}) == 1


# ---------------------------------------------------------------------------- watchlist


def _flags() -> dict[int, str]:
    with (DATA / "mid.csv").open(encoding="utf-8") as f:
        return {int(r["mid"]): r["iso2"] for r in csv.DictReader(f) if r["primary"] == "1"}


def _sdn() -> list[dict[str, str]]:
    with (DATA / "watchlists" / "ofac_sdn.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _listed(mmsi: int, imo: int, name: str) -> set[str]:
    """Entry ids of the OFAC SDN list that one broadcast identity matches (by valid IMO, by
    MMSI, or by name or former name with the MID's flag)."""
    flag = _flags().get(mmsi // 1_000_000)
    out = set()
    for e in _sdn():
        names = [e["name"], *filter(None, e["aliases"].split(";"))]
        if (
            (imo and _valid_imo(imo) and e["imo"] == str(imo))
            or e["mmsi"] == str(mmsi)
            or (flag and e["flag"] == flag and _norm(name) in {_norm(x) for x in names})
        ):
            out.add(e["entry_id"])
    return out


def _hits(sc: Scenario, ev: TruthEvent) -> set[str]:
    (m,) = ev.vessels
    return {
        entry
        for v in sc.vessels
        for ident in v.identities()
        if ident.mmsi == m
        for entry in _listed(ident.mmsi, ident.imo, ident.name)
    }


@pytest.mark.parametrize(("name", "i"), _events("watchlist_hit"))
def test_watchlist_truth_matches_the_list(name: str, i: int) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    ev = sc.truth.events[i]
    hits = _hits(sc, ev)
    assert len(hits) == 1, hits
    (entry,) = (e for e in _sdn() if e["entry_id"] in hits)
    assert entry["name"] == ev.details["entry_name"]


@pytest.mark.parametrize(("name", "i"), _events("watchlist_hit", negatives=True))
def test_watchlist_negatives_match_nothing(name: str, i: int) -> None:
    sc = load_scenario(name)
    assert sc.truth is not None
    assert _hits(sc, sc.truth.negatives[i]) == set()
