"""The store manifest: the one file that says which data files make up the store.

Each source records ``simulated`` (true when the file opened with the simulated mark of
:mod:`seawatch._simulated`). Readers only read files the manifest lists, so files written by an ingest that was
killed before it replaced the manifest are invisible; the next writer deletes them.

Layout of ``manifest.json``::

    {"format": "seawatch-store", "version": 1,
     "sources": {"<sha256>[+<options digest>]": {"path": ..., "sha256": ..., "size": ...,
                              "format": ..., "ingested_at": ...,
                              "messages": ..., "positions": ..., "statics": ..., "others": ...,
                              "rejects": ..., "simulated": true|false}},
     "tables": {"positions": {"2022-01-03": ["positions/day=2022-01-03/part-<id>.parquet"]},
                "statics": {...}, "others": {...}, "rejects": {...}},
     "events": {"files": ["events/part-<id>.parquet"], "runs": {"<type>": {...}}}}
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from seawatch._exceptions import StoreError
from seawatch.store._io import TMP_MARK, write_json_atomic

MANIFEST = "manifest.json"
LOCK = ".lock"
STAGING_PREFIX = ".staging-"
FORMAT = "seawatch-store"
VERSION = 1
DAY_TABLES: tuple[str, ...] = ("positions", "statics", "others", "rejects")


def empty_manifest() -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "sources": {},
        "tables": {t: {} for t in DAY_TABLES},
        "events": {"files": [], "runs": {}},
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


def snapshot(manifest: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(manifest)


@contextlib.contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """Hold the store's exclusive writer lock (released by the OS if the process dies).

    Raises:
        StoreError: another process is writing to the store.
    """
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreError(f"the store {root} is being written by another process") from exc
        yield
    finally:
        os.close(fd)


def clean_strays(root: Path, manifest: dict[str, Any]) -> int:
    """Delete what a killed writer left behind: staging folders, temporary files, and data
    files the manifest does not list. Call only while holding :func:`write_lock`.
    Returns the number of entries removed."""
    listed = listed_files(manifest)
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
