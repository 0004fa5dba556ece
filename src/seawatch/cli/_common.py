"""Options and helpers shared by several commands."""

from __future__ import annotations

import os
from pathlib import Path

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


def register(app: typer.Typer) -> None:
    """Nothing to register: this module only holds shared helpers."""
