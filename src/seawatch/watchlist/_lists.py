"""Watchlists: the bundled OFAC SDN vessel list and user lists kept in the store.

A :class:`Watchlist` is a name, the date the list is valid for, where it came from, and its
entries (schema :data:`ENTRIES`). User lists live in the store directory as
``watchlists/NAME.csv`` (canonical columns) beside ``watchlists/NAME.json`` (date, source,
size, SHA-256); both are written atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pyarrow as pa

from seawatch._exceptions import NotFoundError, ParameterError, SourceError

__all__ = [
    "BUNDLED_NAME",
    "ENTRIES",
    "Watchlist",
    "add_list",
    "all_lists",
    "bundled_lists",
    "load_csv",
    "store_lists",
    "valid_imo",
]

BUNDLED_NAME = "ofac_sdn"
WATCHLIST_DIR = "watchlists"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_FLAG_RE = re.compile(r"^[A-Z]{2}$")

ENTRIES = pa.schema(
    [
        pa.field("entry_id", pa.string(), nullable=False),
        pa.field("imo", pa.uint32()),
        pa.field("mmsi", pa.uint32()),
        pa.field("name", pa.string()),
        pa.field("flag", pa.string()),
        pa.field("program", pa.string()),
        pa.field("vessel_type", pa.string()),
        pa.field("aliases", pa.list_(pa.string())),
    ]
)
"""Entries of a watchlist: ``imo``/``mmsi`` null when unknown, ``flag`` ISO 3166 alpha-2."""

_COLUMNS = ("entry_id", "imo", "mmsi", "name", "flag", "program", "vessel_type", "aliases")


@dataclass(frozen=True, slots=True)
class Watchlist:
    """One watchlist: ``name``, ``date`` (ISO date the list is valid for), ``source``
    (where it came from), ``bundled`` (shipped with seawatch) and ``entries`` (:data:`ENTRIES`)."""

    name: str
    date: str
    source: str
    entries: pa.Table
    bundled: bool = False

    def __len__(self) -> int:
        return int(self.entries.num_rows)

    @property
    def label(self) -> str:
        """``name (as of DATE)``: how the list is named wherever it is shown."""
        return f"{self.name} (as of {self.date})"


def valid_imo(imo: int | None) -> bool:
    """True for a 7-digit IMO number whose check digit is right (IMO Resolution A.1078)."""
    if imo is None or not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(imo)]
    return sum(d * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True)) % 10 == digits[6]


def _int_or_none(text: str, *, what: str, line: int, lo: int, hi: int) -> int | None:
    t = text.strip()
    if t.upper().startswith("IMO"):
        t = t[3:].strip()
    if not t:
        return None
    if not t.isdigit() or not lo <= int(t) <= hi:
        raise SourceError(f"line {line}: {what} {text!r} is not a number in {lo}..{hi}")
    return int(t)


_SHOWN_ROW_CHARS = 80


def _shown(row: list[str]) -> str:
    text = ",".join(row)
    return repr(text if len(text) <= _SHOWN_ROW_CHARS else text[:_SHOWN_ROW_CHARS] + "...")


def _parse_rows(text: str, *, name: str, canonical: bool) -> pa.Table:
    """Entries (:data:`ENTRIES`) of a watchlist CSV; SourceError, naming the line and showing
    the row, at the first bad row."""
    reader = csv.reader(io.StringIO(text))
    try:
        fields = [f.strip().lower() for f in next(reader, [])]
    except csv.Error as exc:
        raise SourceError(f"line 1: not a CSV header ({exc})") from exc
    if not {"imo", "mmsi", "name"} & set(fields):
        raise SourceError("a watchlist CSV needs at least one of the columns imo, mmsi, name")
    cols: dict[str, list[object]] = {c: [] for c in _COLUMNS}
    n = 1
    while True:
        try:
            raw = next(reader, None)
        except csv.Error as exc:
            raise SourceError(f"line {reader.line_num}: not CSV ({exc})") from exc
        if raw is None:
            break
        n = reader.line_num
        if len(raw) > len(fields):
            raise SourceError(
                f"line {n}: {len(raw)} fields, the header has {len(fields)} (row: {_shown(raw)})"
            )
        row = dict(zip(fields, raw, strict=False))
        try:
            imo = _int_or_none(row.get("imo") or "", what="imo", line=n, lo=1, hi=9_999_999)
            mmsi = _int_or_none(row.get("mmsi") or "", what="mmsi", line=n, lo=1, hi=999_999_999)
            flag = (row.get("flag") or "").strip().upper() or None
            if flag is not None and not _FLAG_RE.match(flag):
                raise SourceError(f"line {n}: flag {flag!r} is not an ISO 3166 alpha-2 code")
        except SourceError as exc:
            raise SourceError(f"{exc} (row: {_shown(raw)})") from exc
        vname = (row.get("name") or "").strip() or None
        if imo is None and mmsi is None and vname is None:
            continue  # a blank row
        entry_id = (row.get("entry_id") or "").strip() if canonical else ""
        cols["entry_id"].append(entry_id or f"{name}-{len(cols['entry_id']) + 1}")
        cols["imo"].append(imo)
        cols["mmsi"].append(mmsi)
        cols["name"].append(vname)
        cols["flag"].append(flag)
        cols["program"].append((row.get("program") or "").strip() or None)
        cols["vessel_type"].append((row.get("vessel_type") or "").strip() or None)
        aliases = (row.get("aliases") or "").split(";")
        cols["aliases"].append([a.strip() for a in aliases if a.strip()])
    return pa.table({c: pa.array(cols[c], ENTRIES.field(c).type) for c in _COLUMNS}, ENTRIES)


def load_csv(path: Path, *, name: str, date_: str | None = None, source: str = "") -> Watchlist:
    """A watchlist from a CSV with columns ``imo``, ``mmsi``, ``name`` (any subset, at least
    one) and optionally ``flag`` (ISO alpha-2), ``program``, ``vessel_type``, ``aliases``
    (``;``-separated former names). ``IMO1234567`` is accepted for an IMO number."""
    _check_name(name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SourceError(f"cannot read watchlist {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    try:
        entries = _parse_rows(text, name=name, canonical=False)
    except SourceError as exc:
        raise SourceError(f"{path}: {exc}") from exc
    return Watchlist(
        name=name,
        date=date_ or datetime.now(UTC).date().isoformat(),
        source=source or path.name,
        entries=entries,
    )


def _check_name(name: str) -> None:
    if not _NAME_RE.match(name):
        raise ParameterError(
            f"watchlist name {name!r}: use letters, digits, '_' and '-' (at most 64)"
        )


def bundled_lists() -> list[Watchlist]:
    """The lists shipped with seawatch: the OFAC SDN vessels as of 2024-05-03."""
    return [_bundled(BUNDLED_NAME)]


_BUNDLED_CACHE: dict[str, Watchlist] = {}


def _bundled(name: str) -> Watchlist:
    if name not in _BUNDLED_CACHE:
        folder = resources.files("seawatch") / "data" / "watchlists"
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        text = (folder / f"{name}.csv").read_text(encoding="utf-8")
        _BUNDLED_CACHE[name] = Watchlist(
            name=name,
            date=str(meta["date"]),
            source=str(meta["source"]),
            entries=_parse_rows(text, name=name, canonical=True),
            bundled=True,
        )
    return _BUNDLED_CACHE[name]


_StoreKey = tuple[int, ...]
_STORE_CACHE: dict[Path, tuple[_StoreKey, Watchlist | str]] = {}
_STORE_CACHE_LOCK = threading.Lock()
_log = logging.getLogger("seawatch.watchlist")


def _version_key(csv_path: Path, meta_path: Path) -> _StoreKey:
    """Changes whenever either file is replaced or written (inode, size, mtime, ctime)."""
    st = csv_path.stat()
    key: _StoreKey = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    try:
        mt = meta_path.stat()
    except FileNotFoundError:
        return (*key, -1)
    return (*key, mt.st_ino, mt.st_size, mt.st_mtime_ns, mt.st_ctime_ns)


def _read_store_list(csv_path: Path, meta_path: Path) -> Watchlist:
    name = csv_path.stem
    try:
        meta: object = {}
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        text = csv_path.read_text(encoding="utf-8")
        mtime = datetime.fromtimestamp(csv_path.stat().st_mtime, tz=UTC).date().isoformat()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start})") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"{meta_path.name} is not valid JSON") from exc
    if not isinstance(meta, dict):
        raise SourceError(f"{meta_path.name} is not a JSON object")
    return Watchlist(
        name=name,
        date=str(meta.get("date") or mtime),
        source=str(meta.get("source") or csv_path.name),
        entries=_parse_rows(text, name=name, canonical=True),
    )


def _store_list(csv_path: Path) -> Watchlist | str:
    """The list in ``csv_path``, parsed once per version of its files; a string (the
    problem, logged once per version) when it cannot be read."""
    meta_path = csv_path.with_suffix(".json")
    try:
        key = _version_key(csv_path, meta_path)
    except OSError as exc:  # removed meanwhile
        return f"watchlist {csv_path.stem!r} skipped: {exc.strerror or exc}"
    with _STORE_CACHE_LOCK:
        hit = _STORE_CACHE.get(csv_path)
        if hit is not None and hit[0] == key:
            return hit[1]
        try:
            got: Watchlist | str = _read_store_list(csv_path, meta_path)
        except SourceError as exc:
            got = f"watchlist {csv_path.stem!r} ({csv_path}) skipped: {exc}"
            _log.warning("%s", got)
        _STORE_CACHE[csv_path] = (key, got)
        return got


def store_lists(store_dir: Path, *, problems: list[str] | None = None) -> list[Watchlist]:
    """User lists kept in ``store_dir/watchlists`` (sorted by name); none when absent.

    Each list is parsed once per version of its files (cached by path, inode, size and
    times). A list that cannot be read (edited by hand into a malformed CSV ...) is left out
    and logged once per version (logger ``seawatch.watchlist``); ``problems``, when given,
    receives one line per list left out."""
    folder = store_dir / WATCHLIST_DIR
    if not folder.is_dir():
        return []
    out = []
    for csv_path in sorted(folder.glob("*.csv")):
        if not _NAME_RE.match(csv_path.stem) or not csv_path.is_file():
            continue
        got = _store_list(csv_path.resolve())
        if isinstance(got, str):
            if problems is not None:
                problems.append(got)
            continue
        out.append(got)
    return out


def all_lists(
    store_dir: Path | None = None,
    *,
    names: list[str] | None = None,
    problems: list[str] | None = None,
) -> list[Watchlist]:
    """The bundled lists and, given a store directory, the user lists in it (unreadable ones
    left out: see :func:`store_lists`); ``names`` keeps only those (a missing name raises
    :class:`NotFoundError`)."""
    user = store_lists(store_dir, problems=problems) if store_dir is not None else []
    lists = bundled_lists() + user
    if names is None:
        return lists
    by_name = {w.name: w for w in lists}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise NotFoundError(f"no watchlist named {', '.join(missing)}")
    return [by_name[n] for n in names]


def _canonical_csv(entries: pa.Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_COLUMNS)
    for row in entries.to_pylist():
        w.writerow(
            [
                "" if row[c] is None else (";".join(row[c]) if c == "aliases" else row[c])
                for c in _COLUMNS
            ]
        )
    return buf.getvalue().encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def add_list(
    store_dir: Path, src: Path, *, name: str, date_: str | None = None, replace: bool = True
) -> Watchlist:
    """Validate ``src`` (see :func:`load_csv`) and keep it in the store as
    ``watchlists/NAME.csv`` + ``NAME.json``. Replaces a list of the same name unless
    ``replace`` is False; the bundled list's name is reserved."""
    if name == BUNDLED_NAME:
        raise ParameterError(f"{BUNDLED_NAME!r} is the bundled OFAC list; choose another name")
    if date_ is not None:
        try:
            date.fromisoformat(date_)
        except ValueError as exc:
            raise ParameterError(f"--date {date_!r} is not an ISO date (YYYY-MM-DD)") from exc
    wl = load_csv(src, name=name, date_=date_, source=src.name)
    if len(wl) == 0:
        raise SourceError(f"{src}: no entries (need imo, mmsi or name values)")
    folder = store_dir / WATCHLIST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"{name}.csv"
    if csv_path.exists() and not replace:
        raise ParameterError(f"watchlist {name!r} exists")
    data = _canonical_csv(wl.entries)
    meta = {
        "name": name,
        "date": wl.date,
        "source": wl.source,
        "added": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "rows": len(wl),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    _atomic_write(csv_path, data)
    _atomic_write(folder / f"{name}.json", (json.dumps(meta, indent=2) + "\n").encode())
    return wl
