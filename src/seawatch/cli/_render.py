"""Rendering untrusted values: one home for terminal cells, UTC times and CSV output.

Every value a table or a CSV file shows may come from a hostile input (an AIS name, a
CSV column, a watchlist entry). Two rules follow:

* **Terminal**: a data value is never parsed as Rich markup or emoji codes. :func:`cell`
  builds a :class:`rich.text.Text` (plain text, no markup) for every data cell, and
  :func:`styled` a line that mixes styled labels with plain data. A vessel named ``[/]``,
  ``[link=http://x]a[/link]`` or ``:ship:`` is shown as written (Rich has no escape for
  emoji codes, so data never goes through a markup string).
* **CSV**: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return as a formula (OWASP "CSV injection"). :class:`CsvOut` prefixes such
  a text cell with a single quote (``'=HYPERLINK(...)``); numbers (``-12.5``, ``+3``) are
  left as they are. ``--csv-raw`` turns this off for pipelines that want the bytes as
  stored.

Times in tables are UTC with a trailing ``Z`` (``2025-12-08 08:00Z``, seconds shown when
they are not zero); CSV and JSON keep full ISO 8601 (``2025-12-08T08:00:00Z``).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TextIO

import typer

from seawatch._csvsafe import FORMULA_PREFIXES, csv_safe

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

ORDER = 0

__all__ = [
    "FORMULA_PREFIXES",
    "CsvOut",
    "cell",
    "cells",
    "csv_safe",
    "iso_utc",
    "plain",
    "store_vessel_labels",
    "styled",
    "utc_text",
    "value_text",
]

CsvRawOption = typer.Option(
    False,
    "--csv-raw",
    help="With --format csv: write cells exactly as stored. By default a text cell that "
    "starts with = + - @ tab or CR gets a leading ' so spreadsheets do not run it as a "
    "formula (numbers such as -12.5 are left alone).",
)


IDENTIFIERS = frozenset({"mmsi", "imo"})
"""Integer columns that are identifiers, written without thousands separators."""


def value_text(value: Any, column: str = "", *, none: str = "") -> str:
    """A record's value as a table cell shows it: counts with thousands separators (not an
    MMSI or IMO number), hours and other floats to one decimal (a confidence to two),
    ``none`` for a missing value."""
    if value is None:
        return none
    if isinstance(value, float):
        return f"{value:.2f}" if column == "confidence" else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool) and column not in IDENTIFIERS:
        return f"{value:,}"
    return str(value)


def utc_text(value: datetime, *, seconds: bool | None = None) -> str:
    """A time for a table: ``2025-12-08 08:00Z`` (UTC; ``:SS`` added when not zero, or
    always with ``seconds=True``)."""
    v = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    show_s = seconds if seconds is not None else bool(v.second or v.microsecond)
    return v.strftime("%Y-%m-%d %H:%M:%S" if show_s else "%Y-%m-%d %H:%M") + "Z"


def iso_utc(value: datetime) -> str:
    """ISO 8601 UTC with a trailing ``Z`` (CSV and JSON output)."""
    v = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return v.isoformat().replace("+00:00", "Z")


def plain(value: Any) -> str:
    """A value as the plain text of a table cell ("" for None; times as UTC)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def cell(value: Any) -> Text:
    """A table cell that shows ``value`` literally (never parsed as markup or emoji)."""
    from rich.text import Text

    if isinstance(value, Text):
        return value
    return Text(plain(value))


def cells(values: Iterable[Any]) -> list[Text]:
    """:func:`cell` of each value (``table.add_row(*cells(row))``)."""
    return [cell(v) for v in values]


def styled(*parts: str | tuple[str, str], style: str = "") -> Text:
    """One line of plain text: ``parts`` are data strings or ``(text, style)`` pairs; none
    is read as markup or emoji codes. ``style`` applies to the whole line."""
    from rich.text import Text

    return Text.assemble(*parts, style=style)


class CsvOut:
    """The one CSV writer of the command line: header, rows, formula neutralising.

    Cells are written as given (``None`` as an empty cell); strings go through
    :func:`csv_safe` unless ``raw`` is true. Numbers are never altered."""

    def __init__(self, out: TextIO, *, raw: bool = False) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._raw = raw

    def row(self, values: Sequence[Any]) -> None:
        self._writer.writerow([self._cell(v) for v in values])

    def _cell(self, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, str) and not self._raw:
            return csv_safe(value)
        return value


TEXT_MIN = 12
"""Narrowest a text column of :func:`print_cells` gets before the table is allowed to be
wider than the terminal."""
TOKEN_MAX = 32
"""A text column whose values are single words this short (ISO times, ids, codes, flags)
is shown whole, like a number."""
SHORT_MAX = 20
"""...and so is one whose values are all this short (``2025-12-09 09:59Z``, a name)."""


def _short(text: str) -> bool:
    return len(text) <= SHORT_MAX or (len(text) <= TOKEN_MAX and " " not in text)


def print_cells(
    console: Console,
    names: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    whole: Sequence[bool],
    title: Text | None = None,
) -> None:
    """``rows`` (text cells) as a table under ``names`` with the one column policy of every
    table the CLI prints: a column marked ``whole`` (numbers, times) or of single short
    words is never folded over lines, cut or squeezed; other text folds, down to
    :data:`TEXT_MIN`. When even that is wider than the terminal, the table is printed that
    wide (long lines) rather than squeezed further: rich gives way on wrappable columns
    first, and a count column once shrank to nothing. Cells are plain
    text (:func:`cell`), never markup."""
    from rich.console import Console
    from rich.measure import Measurement

    view = _cells_table(names, rows, whole, title)
    unbounded = console.options.update_width(1 << 16)  # a measure is clamped to the width
    need = Measurement.get(console, unbounded, view).minimum
    if need > console.width:
        console = Console(
            file=console.file,
            width=need,
            color_system=console.color_system,  # type: ignore[arg-type]
            force_terminal=console.is_terminal,
            no_color=console.no_color,
            highlight=False,
        )
    console.print(view)


_NUMBER = re.compile(r"-?[\d,]+(\.\d+)?")
"""A cell that is a number (digits, thousands separators, a decimal part): right-aligned."""


def _cells_table(
    names: Sequence[str], rows: Sequence[Sequence[str]], whole: Sequence[bool], title: Text | None
) -> Any:
    from rich.table import Table

    view = Table(title=title, title_justify="left")
    for j, name in enumerate(names):
        widest = max([len(name), *(len(r[j]) for r in rows)])
        if whole[j] or all(_short(r[j]) for r in rows):
            right = any(r[j] for r in rows) and all(_NUMBER.fullmatch(r[j]) for r in rows if r[j])
            view.add_column(
                cell(name), no_wrap=True, min_width=widest, justify="right" if right else "left"
            )
        else:
            view.add_column(cell(name), overflow="fold", min_width=min(widest, TEXT_MIN))
    for r in rows:
        view.add_row(*cells(r))
    return view


def store_vessel_labels(store: Any, mmsis: Iterable[int]) -> dict[int, str]:
    """``MMSI NAME (FLAG)`` for ``mmsis`` from the store's static reports (latest name) and
    the MMSI's flag: cheap (it reads only those vessels' statics, not the vessels view)."""
    import pyarrow.compute as pc

    from seawatch.ais.codes import flag_of_mmsi

    ids = sorted({int(m) for m in mmsis})
    if not ids:
        return {}
    statics = store.statics(mmsi=ids).select(["mmsi", "ts", "name"])
    statics = statics.filter(pc.is_valid(statics.column("name")))
    names: dict[int, str] = {}
    for row in statics.sort_by([("mmsi", "ascending"), ("ts", "ascending")]).to_pylist():
        names[int(row["mmsi"])] = row["name"]
    out: dict[int, str] = {}
    for m in ids:
        name = names.get(m)
        label = f"{m} {name}" if name else str(m)
        out[m] = f"{label} ({flag_of_mmsi(m) or '?'})"
    return out


def register(app: typer.Typer) -> None:
    """Nothing to register: this module only holds rendering helpers."""
