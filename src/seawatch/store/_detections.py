"""Ingest of non-AIS vessel detections: ``detections`` and ``scenes`` day tables.

The same commit discipline as positions (:mod:`seawatch.store._ingest`), under the
writer lock: each input is hashed and skipped when the manifest already has it; its rows
are read by :func:`seawatch.sources.read_detections`; for each touched (table, day) a new
file is written (temporary name, fsync, rename) holding the day's stored rows and the new
ones; the manifest replace is the commit, and the replaced files are retired.

De-duplication: a detection is stored once per ``detection_id`` (the stored row wins).
A scene is stored once per ``scene_id``: the same scene again with the same time and
footprint adds nothing (a footprint given later fills a missing one); with another
time or footprint it is a ``duplicate_scene`` reject and the stored scene is kept.
Days: detections by the UTC day of ``ts``, scenes by the UTC day of ``ts_start``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seawatch import schema
from seawatch.sources import expand_paths, read_detections
from seawatch.store._io import file_sha256, read_parquet_files, write_parquet_atomic
from seawatch.store._manifest import clean_strays, remove_files, retire, save_manifest, snapshot


@dataclass(frozen=True, slots=True)
class DetectionFileResult:
    path: str
    sha256: str
    status: str
    """``ingested`` or ``skipped`` (already in the store, or repeated in this call)."""
    format: str | None = None
    detections: int = 0
    scenes: int = 0
    rejects: int = 0


@dataclass(frozen=True, slots=True)
class DetectionSummary:
    """Counts of one detections ingest: rows the store gained, rejects by reason."""

    files: tuple[DetectionFileResult, ...] = ()
    detections: int = 0
    scenes: int = 0
    duplicates_dropped: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    days: tuple[date, ...] = ()

    @property
    def rejects(self) -> int:
        return sum(self.rejects_by_reason.values())


def _sha256(path: Path, extra: str) -> tuple[str, str]:
    """The file's sha256 and its manifest key (detections, and the reading variant)."""
    sha = file_sha256(path)
    return sha, f"{sha}+detections" + (f"+{extra}" if extra else "")


def _variant(fmt: str | None, footprint: Path | None) -> str:
    v: dict[str, Any] = {}
    if fmt:
        v["format"] = fmt
    if footprint is not None:
        v["footprint"] = _sha256(footprint, "")[0]
    if not v:
        return ""
    return hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()[:12]


def _day(ts: datetime) -> str:
    return ts.astimezone(UTC).date().isoformat()


def ingest_detections(
    root: Path,
    manifest: dict[str, Any],
    paths: Sequence[str | Path],
    *,
    fmt: str | None = None,
    scene_footprint: str | Path | None = None,
) -> DetectionSummary:
    """Ingest detections files into the store at ``root`` (caller holds the writer lock)."""
    current = snapshot(manifest)
    clean_strays(root, current)
    footprint = Path(scene_footprint) if scene_footprint is not None else None
    variant = _variant(fmt, footprint)
    known = set(current["sources"])
    results: list[DetectionFileResult] = []
    new_sources: dict[str, dict[str, Any]] = {}
    det_parts: list[pa.Table] = []
    scene_parts: list[pa.Table] = []
    reject_parts: list[pa.Table] = []
    by_reason: Counter[str] = Counter()
    for raw in expand_paths(paths):
        path = Path(raw)
        sha, key = _sha256(path, variant)
        if key in known:
            results.append(DetectionFileResult(path=str(raw), sha256=sha, status="skipped"))
            continue
        known.add(key)
        read = read_detections(path, fmt=fmt, source_name=str(raw), scene_footprint=footprint)
        det_parts.append(read.detections)
        scene_parts.append(read.scenes)
        reject_parts.append(read.rejects)
        by_reason.update(str(r) for r in read.rejects.column("reason").to_pylist())
        results.append(
            DetectionFileResult(
                path=str(raw),
                sha256=sha,
                status="ingested",
                format=read.format,
                detections=read.detections.num_rows,
                scenes=read.scenes.num_rows,
                rejects=read.rejects.num_rows,
            )
        )
        new_sources[key] = {
            "path": str(raw),
            "sha256": sha,
            "size": path.stat().st_size,
            "format": read.format,
            "kind": "detections",
            "ingested_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "detections": read.detections.num_rows,
            "scenes": read.scenes.num_rows,
            "rejects": read.rejects.num_rows,
            "simulated": read.simulated,
            # the scenes of a simulated file: events derived from them are simulated too
            "simulated_scenes": sorted(
                {str(x) for x in read.detections.column("scene_id").to_pylist() if x is not None}
            )
            if read.simulated
            else [],
        }
    if not new_sources:
        return DetectionSummary(files=tuple(results))
    new = snapshot(current)
    replaced: list[str] = []
    scenes_in = pa.concat_tables([schema.SCENES.empty_table(), *scene_parts])
    scenes_added, scene_rejects = _merge_scenes(root, new, scenes_in, replaced)
    if scene_rejects:
        reject_parts.append(_scene_reject_table(scene_rejects))
        by_reason["duplicate_scene"] += len(scene_rejects)
    dets = pa.concat_tables([schema.DETECTIONS.empty_table(), *det_parts])
    added, dropped, days = _merge_detections(root, new, dets, replaced)
    rejects = pa.concat_tables([schema.REJECTS.empty_table(), *reject_parts])
    if rejects.num_rows:
        today = datetime.now(UTC).date().isoformat()
        rel = f"rejects/day={today}/part-{uuid.uuid4().hex[:16]}.parquet"
        write_parquet_atomic(root / rel, schema.REJECTS, [rejects])
        new["tables"]["rejects"].setdefault(today, []).append(rel)
    new["sources"].update(new_sources)
    expired = retire(new, replaced)
    save_manifest(root, new)
    remove_files(root, expired)
    return DetectionSummary(
        files=tuple(results),
        detections=added,
        scenes=scenes_added,
        duplicates_dropped=dropped,
        rejects_by_reason=dict(sorted(by_reason.items())),
        days=tuple(sorted(date.fromisoformat(d) for d in days)),
    )


def _merge_detections(
    root: Path, new: dict[str, Any], dets: pa.Table, replaced: list[str]
) -> tuple[int, int, set[str]]:
    added = dropped = 0
    days: set[str] = set()
    if dets.num_rows == 0:
        return 0, 0, days
    day_of = [_day(t) for t in dets.column("ts").to_pylist()]
    for day in sorted(set(day_of)):
        incoming = dets.filter(pa.array([d == day for d in day_of]))
        old_rel = list(new["tables"]["detections"].get(day, []))
        old = read_parquet_files([root / r for r in old_rel], schema.DETECTIONS)
        known = pa.array(old.column("detection_id").to_pylist() or [], pa.string())
        fresh = incoming.filter(pc.invert(pc.is_in(incoming.column("detection_id"), known)))
        dropped += incoming.num_rows - fresh.num_rows
        if fresh.num_rows == 0:
            continue
        merged = pa.concat_tables([old, fresh]).sort_by(
            [("ts", "ascending"), ("detection_id", "ascending")]
        )
        rel = f"detections/day={day}/part-{uuid.uuid4().hex[:16]}.parquet"
        write_parquet_atomic(root / rel, schema.DETECTIONS, [merged])
        new["tables"]["detections"][day] = [rel]
        replaced.extend(old_rel)
        added += fresh.num_rows
        days.add(day)
    return added, dropped, days


def _merge_scenes(
    root: Path, new: dict[str, Any], scenes: pa.Table, replaced: list[str]
) -> tuple[int, list[dict[str, Any]]]:
    """Merge ``scenes`` into the scene day files; return rows added and the rejected rows."""
    stored_files = [root / f for fs in new["tables"]["scenes"].values() for f in fs]
    stored = {r["scene_id"]: r for r in read_parquet_files(stored_files, schema.SCENES).to_pylist()}
    rejects: list[dict[str, Any]] = []
    changed: dict[str, list[dict[str, Any]]] = {}
    added = 0
    for row in scenes.to_pylist():
        old = stored.get(row["scene_id"])
        if old is not None:
            same_time = (old["ts_start"], old["ts_end"]) == (row["ts_start"], row["ts_end"])
            if same_time and (row["footprint"] is None or row["footprint"] == old["footprint"]):
                continue
            if same_time and old["footprint"] is None:
                old["footprint"] = row["footprint"]
                changed.setdefault(_day(old["ts_start"]), [])
                continue
            rejects.append(row)
            continue
        stored[row["scene_id"]] = row
        changed.setdefault(_day(row["ts_start"]), [])
        added += 1
    for day in changed:
        rows = sorted(
            (r for r in stored.values() if _day(r["ts_start"]) == day),
            key=lambda r: (r["ts_start"], r["scene_id"]),
        )
        old_rel = list(new["tables"]["scenes"].get(day, []))
        rel = f"scenes/day={day}/part-{uuid.uuid4().hex[:16]}.parquet"
        write_parquet_atomic(root / rel, schema.SCENES, [pa.Table.from_pylist(rows, schema.SCENES)])
        new["tables"]["scenes"][day] = [rel]
        replaced.extend(old_rel)
    return added, rejects


def _scene_reject_table(rows: list[dict[str, Any]]) -> pa.Table:
    raw = [
        json.dumps(
            {
                "scene_id": r["scene_id"],
                "ts_start": str(r["ts_start"]),
                "ts_end": str(r["ts_end"]),
                "reason": "scene already stored with another time or footprint",
            }
        )
        for r in rows
    ]
    n = len(rows)
    return pa.table(
        {
            "source": pa.array(["scenes"] * n, pa.string()),
            "line_no": pa.nulls(n, pa.int64()),
            "reason": pa.array(["duplicate_scene"] * n, pa.string()),
            "raw": pa.array(raw, pa.string()),
        },
        schema=schema.REJECTS,
    )
