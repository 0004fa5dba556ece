"""Alerts: rules over event changes, cooldown, muting, sinks.

Rules come from a YAML file (docs/LIVE.md)::

    cooldown: 2h                      # default for every rule
    rules:
      - name: watchlisted tanker goes dark in the Caribbean
        types: [gap]
        regions: [caribbean]
        groups: [tanker]
        watchlist: true               # a vessel with a watchlist_hit event
        phases: [opened]

Every field but ``name`` is optional; a rule matches a change when every field it sets
matches (values within a field: any of them). ``phases``: ``opened`` (the event's first
revision), ``updated``, ``closed`` (its revision that closes it), ``retracted``.
Cooldown (hysteresis): a rule alerts once per ``cooldown`` for one vessel set and event
type (a vessel drifting in and out of a zone alerts once), measured in event time, so a
replay at any speed alerts the same. Muting (``seawatch alerts mute MMSI --for 2h``) is
kept in ``<store>/live/mutes.json`` and measured in wall-clock time.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from seawatch._exceptions import ParameterError
from seawatch.store import write_json_atomic

PHASES = ("opened", "updated", "closed", "retracted")
MUTES = "live/mutes.json"
DELIVERIES = "live/deliveries.jsonl"
ALERT_SCHEMA = "seawatch.alert/1"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RULE_KEYS = {
    "name",
    "types",
    "regions",
    "zones",
    "flags",
    "groups",
    "watchlist",
    "vessels",
    "min_confidence",
    "phases",
    "cooldown",
}


def parse_duration(value: str | float | int, what: str = "duration") -> float:
    """``90s``, ``15m``, ``2h``, ``1d`` or a number of seconds -> seconds.

    Raises:
        ParameterError: not a duration.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ParameterError(f"{what} must be >= 0")
        return float(value)
    m = _DURATION.match(str(value))
    if m is None:
        raise ParameterError(f"{what} {value!r}: expected a number and s, m, h or d (e.g. 2h)")
    return float(m.group(1)) * _UNIT_S[m.group(2)]


def _strs(doc: dict[str, Any], key: str, where: str) -> frozenset[str] | None:
    value = doc.get(key)
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ParameterError(f"{where}: {key} must be a string or a list of strings")
    return frozenset(items)


def _listed(doc: dict[str, Any], key: str, where: str) -> list[str] | None:
    got = _strs(doc, key, where)
    return None if got is None else sorted(got)


def _canon(values: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule (see the module docstring)."""

    name: str
    types: frozenset[str] | None = None
    regions: frozenset[str] | None = None
    zones: frozenset[str] | None = None
    flags: frozenset[str] | None = None
    groups: frozenset[str] | None = None
    watchlist: bool = False
    vessels: frozenset[int] | None = None
    min_confidence: float | None = None
    phases: frozenset[str] = frozenset({"opened"})
    cooldown_s: float = 0.0

    def matches(self, alert: dict[str, Any], vessel_info: VesselInfo) -> bool:
        ev = alert["event"]
        if self.types is not None and ev["type"] not in self.types:
            return False
        if alert["phase"] not in self.phases:
            return False
        if self.regions is not None and ev.get("region") not in self.regions:
            return False
        if self.zones is not None and ev.get("zone") not in self.zones:
            return False
        vessels = [int(v) for v in ev.get("vessels") or []]
        if self.vessels is not None and not self.vessels.intersection(vessels):
            return False
        if self.min_confidence is not None:
            conf = ev.get("confidence")
            if conf is None or conf < self.min_confidence:
                return False
        if self.flags is not None and not any(vessel_info.flag(v) in self.flags for v in vessels):
            return False
        if self.groups is not None and not any(
            vessel_info.groups(v) & self.groups for v in vessels
        ):
            return False
        return not (self.watchlist and not any(vessel_info.listed(v) for v in vessels))


def load_rules(path: Path, *, vocab: Any | None = None) -> list[Rule]:
    """Rules from a YAML file (``yaml.safe_load``: no tags, no code). Their types,
    regions, zones, flags and groups are checked and made canonical by the query layer
    (:meth:`seawatch.report.EventFilter.build`, against ``vocab``: default the bundled
    vocabulary, :func:`seawatch.report.store_vocabulary` to add a store's own regions
    and zones), as every filter is: a rule with a misspelt value would never fire.

    Raises:
        ParameterError: the file is not valid YAML, a rule is malformed, or a value is
            unknown (the message names the rule, lists the valid values and suggests the
            closest).
    """
    import yaml

    from seawatch._exceptions import FilterError
    from seawatch.report import EventFilter

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParameterError(f"cannot read the rules {path}: {exc}") from exc
    if isinstance(doc, list):
        doc = {"rules": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        raise ParameterError(f"{path}: expected a mapping with a list under 'rules'")
    default_cooldown = parse_duration(doc.get("cooldown", 0), "cooldown")
    rules: list[Rule] = []
    for i, item in enumerate(doc["rules"]):
        where = f"{path}: rule {i + 1}"
        if not isinstance(item, dict):
            raise ParameterError(f"{where}: expected a mapping")
        unknown = set(item) - _RULE_KEYS
        if unknown:
            raise ParameterError(
                f"{where}: unknown field(s) {sorted(unknown)} (known: {sorted(_RULE_KEYS)})"
            )
        phases = _strs(item, "phases", where) or frozenset({"opened"})
        bad = phases - set(PHASES)
        if bad:
            raise ParameterError(f"{where}: unknown phase(s) {sorted(bad)} (one of {PHASES})")
        vessels = item.get("vessels")
        if vessels is not None and (
            not isinstance(vessels, list)
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in vessels)
        ):
            raise ParameterError(f"{where}: vessels must be a list of MMSI numbers")
        conf = item.get("min_confidence")
        if conf is not None and not isinstance(conf, int | float):
            raise ParameterError(f"{where}: min_confidence must be a number")
        try:
            checked = EventFilter.build(
                types=_listed(item, "types", where),
                regions=_listed(item, "regions", where),
                zones=_listed(item, "zones", where),
                flags=_listed(item, "flags", where),
                groups=_listed(item, "groups", where),
                min_confidence=conf,
                vocab=vocab,
            )
        except (FilterError, ParameterError) as exc:
            raise ParameterError(f"{where}: {exc}") from exc
        rules.append(
            Rule(
                name=str(item.get("name") or f"rule {i + 1}"),
                types=_canon(checked.types),
                regions=_canon(checked.regions),
                zones=_canon(checked.zones),
                flags=_canon(checked.flags),
                groups=_canon(checked.groups),
                watchlist=bool(item.get("watchlist", False)),
                vessels=None if vessels is None else frozenset(vessels),
                min_confidence=None if conf is None else float(conf),
                phases=phases,
                cooldown_s=parse_duration(item.get("cooldown", default_cooldown), "cooldown"),
            )
        )
    return rules


class VesselInfo:
    """Flag, roles and watchlist status of vessels, read from the store when asked."""

    def __init__(self, vessels: Callable[[], Any], listed: Callable[[], Iterable[int]]) -> None:
        self._load_vessels = vessels
        self._load_listed = listed
        self._by_mmsi: dict[int, dict[str, Any]] | None = None
        self._listed: frozenset[int] | None = None

    def refresh(self) -> None:
        self._by_mmsi = None
        self._listed = None

    def _info(self, mmsi: int) -> dict[str, Any]:
        if self._by_mmsi is None:
            table = self._load_vessels()
            self._by_mmsi = {int(r["mmsi"]): r for r in table.to_pylist()} if table else {}
        return self._by_mmsi.get(mmsi, {})

    def flag(self, mmsi: int) -> str | None:
        value = self._info(mmsi).get("flag")
        return str(value) if value is not None else None

    def groups(self, mmsi: int) -> frozenset[str]:
        info = self._info(mmsi)
        return frozenset(str(info[k]) for k in ("role", "ship_group") if info.get(k))

    def listed(self, mmsi: int) -> bool:
        if self._listed is None:
            self._listed = frozenset(self._load_listed())
        return mmsi in self._listed


def load_mutes(store_root: Path) -> dict[int, datetime]:
    """``mmsi -> muted until`` (UTC), expired ones left out."""
    path = store_root / MUTES
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    now = datetime.now(UTC)
    out: dict[int, datetime] = {}
    if isinstance(doc, dict):
        for k, v in doc.items():
            try:
                until = datetime.fromisoformat(str(v))
                mmsi = int(k)
            except ValueError:
                continue
            if until.tzinfo is None:
                until = until.replace(tzinfo=UTC)
            if until > now:
                out[mmsi] = until
    return out


def mute(store_root: Path, mmsi: int, seconds: float) -> datetime:
    """Mute alerts naming ``mmsi`` for ``seconds`` from now; returns the end (UTC)."""
    if not 0 < mmsi < 1_000_000_000:
        raise ParameterError(f"{mmsi}: not an MMSI")
    until = datetime.now(UTC) + timedelta(seconds=seconds)
    mutes = load_mutes(store_root)
    mutes[mmsi] = until
    write_json_atomic(store_root / MUTES, {str(k): v.isoformat() for k, v in sorted(mutes.items())})
    return until


def _iso(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


def phase_of(change: dict[str, Any], previous_status: str | None) -> list[str]:
    """The phases a change stands for (a first revision that is already closed is both
    ``opened`` and ``closed``)."""
    kind = change["change"]
    if kind == "retracted":
        return ["retracted"]
    phases = []
    if kind == "created":
        phases.append("opened")
    elif change["status"] == "closed" and previous_status == "open":
        pass
    else:
        phases.append("updated")
    if change["status"] == "closed" and previous_status != "closed":
        phases.append("closed")
    return phases


def alert_record(rule: str, phase: str, change: dict[str, Any]) -> dict[str, Any]:
    """The alert: the rule, the phase, the event at this revision, and links to the
    event's history and the evidence (the track of its vessels around it)."""
    eid = change["event_id"]
    start, end = change.get("start"), change.get("end")
    vessels = [int(v) for v in change.get("vessels") or []]
    pad = timedelta(hours=6)
    links: dict[str, Any] = {"event": f"/api/events/{eid}", "history": f"/api/events/{eid}/history"}
    if isinstance(start, datetime) and isinstance(end, datetime):
        since, until = _iso(start - pad), _iso(end + pad)
        links["evidence"] = [f"/api/vessels/{v}/track?since={since}&until={until}" for v in vessels]
    event = {k: _iso(v) for k, v in change.items() if k not in ("fingerprint", "seq", "at")}
    return {
        "schema": ALERT_SCHEMA,
        "alert_id": f"{eid}:{change['revision']}:{rule}:{phase}",
        "rule": rule,
        "phase": phase,
        "event": event,
        "links": links,
        "changed_at": _iso(change.get("at")),
    }


class Alerter:
    """Turns change rows into alerts for the rules, with cooldown and muting."""

    def __init__(
        self,
        rules: list[Rule],
        store_root: Path,
        vessel_info: VesselInfo,
        sinks: list[AlertSink],
    ) -> None:
        self.rules = rules
        self.root = store_root
        self.info = vessel_info
        self.sinks = sinks
        self._last: dict[tuple[str, str, tuple[int, ...]], int] = {}
        self.sent = 0
        self.suppressed = 0
        self.muted = 0

    def process(
        self, changes: list[dict[str, Any]], previous: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Alerts for ``changes`` (``previous``: each event's status before them)."""
        if not self.rules or not changes:
            return []
        self.info.refresh()
        mutes = load_mutes(self.root)
        out: list[dict[str, Any]] = []
        for change in changes:
            for phase in phase_of(change, previous.get(change["event_id"])):
                for rule in self.rules:
                    alert = alert_record(rule.name, phase, change)
                    if not rule.matches(alert, self.info):
                        continue
                    vessels = tuple(sorted(int(v) for v in change.get("vessels") or []))
                    if any(v in mutes for v in vessels):
                        self.muted += 1
                        continue
                    key = (rule.name, f"{change['type']}:{phase}", vessels)
                    start = change.get("start")
                    t_us = int(start.timestamp() * 1e6) if isinstance(start, datetime) else 0
                    last = self._last.get(key)
                    if (
                        last is not None
                        and rule.cooldown_s > 0
                        and abs(t_us - last) < rule.cooldown_s * 1e6
                    ):
                        self.suppressed += 1
                        continue
                    self._last[key] = t_us
                    out.append(alert)
        for alert in out:
            for sink in self.sinks:
                sink.send(alert)
        self.sent += len(out)
        return out

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class AlertSink:
    """Where alerts go."""

    def send(self, alert: dict[str, Any]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        return None


class JsonlSink(AlertSink):
    """JSON Lines on a stream (stdout) or appended to a file."""

    def __init__(self, target: str) -> None:
        self._own = target not in ("-", "stdout")
        self._stream: TextIO = (
            open(target, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
            if self._own
            else sys.stdout
        )

    def send(self, alert: dict[str, Any]) -> None:
        self._stream.write(json.dumps(alert, sort_keys=True) + "\n")
        self._stream.flush()

    def close(self) -> None:
        if self._own:
            self._stream.close()


@dataclass
class WebhookSink(AlertSink):
    """POSTs each alert (JSON) to ``url``, in order, each delivered once: a failed POST
    (connection refused, timeout, 5xx) is retried with exponential backoff, later alerts
    wait behind it. Every attempt is appended to the delivery log
    (``<store>/live/deliveries.jsonl``). Header ``X-Seawatch-Alert-Id`` names the alert."""

    url: str
    log_path: Path | None = None
    backoff_s: tuple[float, float] = (0.5, 30.0)
    timeout_s: float = 10.0
    _queue: deque[dict[str, Any]] = field(default_factory=deque)
    _cv: threading.Condition = field(default_factory=threading.Condition)
    _stop: bool = False
    _thread: threading.Thread | None = None
    delivered: int = 0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ParameterError(f"webhook {self.url!r}: expected an http:// or https:// URL")
        self._thread = threading.Thread(target=self._run, name="seawatch-webhook", daemon=True)
        self._thread.start()

    def send(self, alert: dict[str, Any]) -> None:
        with self._cv:
            self._queue.append(alert)
            self._cv.notify()

    def pending(self) -> int:
        with self._cv:
            return len(self._queue)

    def _log(self, alert: dict[str, Any], attempt: int, outcome: str) -> None:
        if self.log_path is None:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "a", encoding="utf-8") as f:
            rec = {
                "alert_id": alert["alert_id"],
                "url": self.url,
                "attempt": attempt,
                "outcome": outcome,
                "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            }
            f.write(json.dumps(rec) + "\n")

    def _post(self, alert: dict[str, Any]) -> str | None:
        body = json.dumps(alert, sort_keys=True).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Seawatch-Alert-Id": alert["alert_id"],
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                status = int(resp.status)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, TimeoutError) as exc:
            return f"error: {exc}"
        if status >= 500 or status == 429:
            return f"HTTP {status}"
        return None if status < 400 else f"rejected: HTTP {status}"

    def _run(self) -> None:
        first, top = self.backoff_s
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if not self._queue:
                    return
                alert = self._queue[0]
            attempt, wait = 0, first
            while True:
                attempt += 1
                error = self._post(alert)
                if error is None or error.startswith("rejected"):
                    self._log(alert, attempt, error or "delivered")
                    break
                self._log(alert, attempt, error)
                with self._cv:
                    if self._stop:
                        return
                    self._cv.wait(timeout=wait)
                wait = min(top, wait * 2)
            with self._cv:
                self._queue.popleft()
                self.delivered += 1
                self._cv.notify_all()

    def flush(self, timeout_s: float) -> bool:
        """Wait until every queued alert was delivered (or refused); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while self._queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(timeout=left)
        return True

    def close(self) -> None:
        self.flush(timeout_s=5.0)
        with self._cv:
            self._stop = True
            self._cv.notify_all()
