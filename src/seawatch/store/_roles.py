"""User role lists kept in the store (``seawatch roles add``), as watchlists are.

A list lives in the store directory as ``roles/NAME.csv`` (the canonical columns of
:data:`seawatch.ais.roles.ROLE_ENTRIES`) beside ``roles/NAME.json`` (source file, date
added, rows, SHA-256); both are written atomically. The store's ``vessels`` view and the
interception detector use the bundled list followed by the user lists (sorted by name):
the first entry that matches a vessel gives its role.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from seawatch._exceptions import ParameterError, SourceError
from seawatch.ais.roles import ROLE_ENTRIES, bundled_role_list, concat_role_lists, parse_role_csv
from seawatch.store._io import _commit, _tmp_name, write_json_atomic

__all__ = ["ROLES_DIR", "RoleList", "add_role_list", "role_lists", "store_role_entries"]

ROLES_DIR = "roles"
BUNDLED_ROLE_LIST = "naval_vessels"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class RoleList:
    """One role list: ``name``, where it came from, ``bundled`` and its ``entries``."""

    name: str
    source: str
    entries: pa.Table
    bundled: bool = False

    def __len__(self) -> int:
        return int(self.entries.num_rows)


def _canonical_csv(entries: pa.Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ROLE_ENTRIES.names)
    for row in entries.to_pylist():
        w.writerow(["" if row[c] is None else row[c] for c in ROLE_ENTRIES.names])
    return buf.getvalue().encode("utf-8")


def role_lists(store_dir: Path) -> list[RoleList]:
    """The bundled list, then the user lists of ``store_dir`` sorted by name."""
    out = [RoleList(BUNDLED_ROLE_LIST, "bundled (docs/ROLES.md)", bundled_role_list(), True)]
    folder = store_dir / ROLES_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            if not _NAME_RE.match(path.stem):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise SourceError(f"cannot read role list {path}: {exc.strerror}") from exc
            out.append(
                RoleList(path.stem, path.name, parse_role_csv(text, default_source=path.stem))
            )
    return out


def store_role_entries(store_dir: Path) -> pa.Table:
    """Every entry of :func:`role_lists`, in order (schema ``ROLE_ENTRIES``)."""
    return concat_role_lists(r.entries for r in role_lists(store_dir))


def add_role_list(store_dir: Path, src: Path, *, name: str | None = None) -> RoleList:
    """Validate ``src`` (see :func:`seawatch.ais.roles.parse_role_csv`) and keep it in the
    store as ``roles/NAME.csv`` + ``NAME.json`` (``NAME``: the file's stem unless given),
    replacing a list of the same name.

    Raises:
        ParameterError: a bad name, or the bundled list's name.
        SourceError: ``src`` cannot be read, has bad rows, or has no entries.
    """
    name = name or src.stem
    if not _NAME_RE.match(name):
        raise ParameterError(
            f"role list name {name!r}: use letters, digits, '_' and '-' (at most 64)"
        )
    if name == BUNDLED_ROLE_LIST:
        raise ParameterError(f"{BUNDLED_ROLE_LIST!r} is the bundled list; choose another name")
    try:
        text = src.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"cannot read role list {src}: {exc.strerror}") from exc
    entries = parse_role_csv(text, default_source=src.name)
    if entries.num_rows == 0:
        raise SourceError(f"{src}: no entries (need a role and an mmsi, imo or name)")
    folder = store_dir / ROLES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    data = _canonical_csv(entries)
    final = folder / f"{name}.csv"
    tmp = _tmp_name(final)
    tmp.write_bytes(data)
    _commit(tmp, final)
    write_json_atomic(
        folder / f"{name}.json",
        {
            "name": name,
            "source": src.name,
            "added": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "rows": entries.num_rows,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return RoleList(name, src.name, entries)
