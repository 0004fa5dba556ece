"""The store manifest: the one file that says which data files make up the store.

Each source records ``simulated`` (true when the file opened with the simulated mark of
:mod:`seawatch._simulated`). Readers only read files the manifest lists, so files written
by an ingest that was killed before it replaced the manifest are invisible; the next writer
deletes them.

Files a commit replaces are not deleted at once: they stay where they are, listed under
``retired`` with the time of the commit, so a reader that started on the previous manifest
(another process: ``serve`` while ``ingest`` or ``detect`` run) can still read them. A later
writer deletes retired files older than :data:`RETIRED_GRACE_S`, after its own commit.

Layout of ``manifest.json``::

    {"format": "seawatch-store", "version": 1,
     "sources": {"<sha256>[+<options digest>]": {"path": ..., "sha256": ..., "size": ...,
                              "format": ..., "ingested_at": ...,
                              "messages": ..., "positions": ..., "statics": ..., "others": ...,
                              "rejects": ..., "simulated": true|false}},
     "tables": {"positions": {"2022-01-03": ["positions/day=2022-01-03/part-<id>.parquet"]},
                "statics": {...}, "others": {...}, "rejects": {...},
                "detections": {...}, "scenes": {...}},
     "events": {"files": ["events/part-<id>.parquet"], "runs": {"<type>": {...}}},
     "retired": {"positions/day=2022-01-03/part-<old id>.parquet": "<ISO time retired>"}}
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from seawatch._exceptions import StoreError
from seawatch.store._io import TMP_MARK, write_json_atomic

MANIFEST = "manifest.json"
LOCK = ".lock"
STAGING_PREFIX = ".staging-"
FORMAT = "seawatch-store"
VERSION = 1
DAY_TABLES: tuple[str, ...] = ("positions", "statics", "others", "rejects", "detections", "scenes")
RETIRED_GRACE_S = 900.0
"""Replaced files stay on disk this long after the commit that replaced them (15 min):
longer than any bounded reader (``seawatch query`` stops at 60 s by default, an API
request at 30 s) needs them. ``$SEAWATCH_RETIRED_GRACE_S`` overrides it (for readers that
run longer, e.g. ``query --timeout 0``)."""


def retired_grace_s() -> float:
    """:data:`RETIRED_GRACE_S`, or ``$SEAWATCH_RETIRED_GRACE_S`` when set.

    Raises:
        StoreError: the variable is not a number >= 0.
    """
    text = os.environ.get("SEAWATCH_RETIRED_GRACE_S")
    if text is None or not text.strip():
        return RETIRED_GRACE_S
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise StoreError(f"SEAWATCH_RETIRED_GRACE_S must be a number of seconds >= 0: {text!r}")
    return value


def empty_manifest() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "sources": {},
        "tables": {t: {} for t in DAY_TABLES},
        "events": {"files": [], "runs": {}},
        "retired": {},
    }


def load_manifest(root: Path) -> dict[str, Any]:
    """The manifest of the store at ``root``.

    Raises:
        StoreError: there is no store at ``root`` or its manifest is unreadable.
    """
    path = root / MANIFEST
    try:
        with open(path, encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
    except FileNotFoundError as exc:
        raise StoreError(
            f"no seawatch store at {root} (run `seawatch ingest` first, or pass --store)"
        ) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    if data.get("format") != FORMAT:
        raise StoreError(f"{path} is not a seawatch store manifest")
    if data.get("version") != VERSION:
        raise StoreError(f"{path} has store version {data.get('version')}, expected {VERSION}")
    base = empty_manifest()
    for key, value in base.items():
        data.setdefault(key, value)
    for table in DAY_TABLES:
        data["tables"].setdefault(table, {})
    return data


def save_manifest(root: Path, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically (this is the commit point of every write)."""
    write_json_atomic(root / MANIFEST, manifest)


def listed_files(manifest: dict[str, Any]) -> set[str]:
    """Every data file (relative path) the manifest refers to."""
    out: set[str] = set()
    for days in manifest["tables"].values():
        for files in days.values():
            out.update(files)
    out.update(manifest["events"]["files"])
    return out


def simulated_sources(manifest: dict[str, Any]) -> frozenset[str]:
    """Paths (as positions' ``source`` names them) of the inputs marked simulated (the
    file opened with the mark of :mod:`seawatch._simulated`); entries written before the
    field existed count as real."""
    return frozenset(
        str(entry.get("path"))
        for entry in manifest["sources"].values()
        if entry.get("simulated") is True
    )


def kept_files(manifest: dict[str, Any]) -> set[str]:
    """The listed files and the retired ones still in their grace period."""
    return listed_files(manifest) | set(manifest.get("retired", {}))


def snapshot(manifest: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(manifest)


def retire(
    manifest: dict[str, Any],
    replaced: Iterable[str],
    *,
    grace_s: float | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Record ``replaced`` (relative paths) as retired in ``manifest`` (not yet saved), and
    drop from it the retired files older than ``grace_s`` (default :func:`retired_grace_s`):
    the caller deletes those (see :func:`remove_files`) once ``manifest`` is saved."""
    t = now if now is not None else datetime.now(UTC)
    if grace_s is None:
        grace_s = retired_grace_s()
    retired: dict[str, str] = manifest.setdefault("retired", {})
    listed = listed_files(manifest)
    stamp = t.isoformat(timespec="seconds")
    for rel in replaced:
        if rel not in listed:
            retired[rel] = stamp
    expired: list[str] = []
    limit = t - timedelta(seconds=grace_s)
    for rel, when in sorted(retired.items()):
        try:
            at = datetime.fromisoformat(when)
        except (TypeError, ValueError):
            at = limit  # unreadable: treat as expired
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        if at <= limit or rel in listed:
            expired.append(rel)
    for rel in expired:
        del retired[rel]
    return [rel for rel in expired if rel not in listed]


def remove_files(root: Path, rels: Iterable[str]) -> None:
    """Delete data files (relative paths) that no manifest lists any more."""
    for rel in rels:
        (root / rel).unlink(missing_ok=True)


_HELD: dict[tuple[str, int], int] = {}
_HELD_GUARD = threading.Lock()


@contextlib.contextmanager
def write_lock(root: Path, *, wait_s: float | None = 0.0) -> Iterator[None]:
    """Hold the store's exclusive writer lock (released by the OS if the process dies).

    ``wait_s``: how long to wait for another writer to finish (0: fail at once; None: wait
    as long as it takes). Re-entrant within one thread (``detect`` holds it for its whole
    run and commits inside it).

    Raises:
        StoreError: another process is writing to the store (and did not finish in time).
    """
    root.mkdir(parents=True, exist_ok=True)
    key = (str(root.resolve()), threading.get_ident())
    with _HELD_GUARD:
        held = _HELD.get(key, 0)
        if held:
            _HELD[key] = held + 1
    if held:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, root, wait_s)
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                del _HELD[key]
    finally:
        os.close(fd)


def _acquire(fd: int, root: Path, wait_s: float | None) -> None:
    deadline = None if wait_s is None else time.monotonic() + max(0.0, wait_s)
    delay = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError as exc:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                waited = f" (waited {wait_s:g} s)" if wait_s else ""
                raise StoreError(
                    f"the store {root} is being written by another process{waited}; "
                    "retry later or pass --wait [SECONDS]"
                ) from exc
            time.sleep(delay if left is None else min(delay, left))
            delay = min(delay * 2, 0.5)


def clean_strays(root: Path, manifest: dict[str, Any]) -> int:
    """Delete what a killed writer left behind: staging folders, temporary files, and data
    files the manifest neither lists nor keeps as retired. Call only while holding
    :func:`write_lock`. Returns the number of entries removed."""
    listed = kept_files(manifest)
    removed = 0
    for entry in root.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        elif TMP_MARK in entry.name and entry.is_file():
            entry.unlink(missing_ok=True)
            removed += 1
    for table in (*DAY_TABLES, "events"):
        base = root / table
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            if rel not in listed:
                path.unlink(missing_ok=True)
                removed += 1
        for sub in sorted(base.iterdir()):
            if sub.is_dir() and not any(sub.iterdir()):
                sub.rmdir()
    return removed
