"""Options and helpers shared by several commands."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import typer

ORDER = 0
DEFAULT_STORE = "./seawatch-data"


def store_path(store: Path | None) -> Path:
    """The store directory: ``--store``, else ``$SEAWATCH_STORE``, else ``./seawatch-data``."""
    if store is not None:
        return store
    return Path(os.environ.get("SEAWATCH_STORE", DEFAULT_STORE))


StoreOption = typer.Option(
    None,
    "--store",
    help="Store directory (default: $SEAWATCH_STORE or ./seawatch-data).",
    show_default=False,
)


WaitOption = typer.Option(
    0.0,
    "--wait",
    min=0.0,
    metavar="[SECONDS]",
    help="If another process is writing to the store, wait up to SECONDS for it instead "
    "of failing at once (--wait alone: as long as it takes).",
)


MasterOption = typer.Option(
    None,
    "--master",
    help="With --engine spark: local[N] or spark://HOST:PORT (default: the master "
    "spark-submit was given, else local[*]).",
    show_default=False,
)


def register(app: typer.Typer) -> None:
    """Nothing to register: this module only holds shared helpers."""


ZonesOption = typer.Option(
    None,
    "--zones",
    help="GeoJSON file of your own zones (Polygon/MultiPolygon features, each with a unique "
    "'name'), added to the bundled ones.",
    show_default=False,
)


def zone_file(path: Path | None) -> Path | None:
    """``--zones``: the file, validated now (the bundled zones plus its polygons are built
    once); a bad file raises GeoError, one line naming the file and the feature."""
    if path is None:
        return None
    from seawatch.geo import zones

    resolved = path.resolve()
    zones(resolved)
    return resolved


OutputOption = typer.Option(
    None,
    "--output",
    "-o",
    help="Write to this file instead of stdout (atomically: a temporary file renamed over "
    "it once complete, so a failed run leaves no partial file).",
    show_default=False,
)


@contextlib.contextmanager
def output(path: Path | None) -> Iterator[TextIO]:
    """Where a command writes its data: stdout, or ``path`` written atomically (a temporary
    file beside it, flushed, fsynced and renamed over it when the block ends without error;
    removed otherwise)."""
    if path is None:
        yield sys.stdout
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
