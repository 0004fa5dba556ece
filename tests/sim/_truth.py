"""Truth events of the shipped scenarios, as pytest parameters (shared by the scenario tests)."""

from __future__ import annotations

from seawatch.sim import load_scenario, scenario_names


def truth_events(type_: str, negatives: bool = False) -> list[tuple[str, int]]:
    """``(scenario, index)`` of every truth event (or negative) of ``type_``."""
    out = []
    for n in scenario_names():
        t = load_scenario(n).truth
        assert t is not None
        evs = t.negatives if negatives else t.events
        out += [(n, i) for i, e in enumerate(evs) if e.type == type_]
    return out
