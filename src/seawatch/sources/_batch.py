"""The unit a source yields: the four seawatch tables for one bounded chunk of input."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa

from seawatch import schema


class Batch(Protocol):
    """What every reader yields; :class:`seawatch.ais.Decoded` has exactly this shape."""

    @property
    def positions(self) -> pa.Table: ...
    @property
    def statics(self) -> pa.Table: ...
    @property
    def others(self) -> pa.Table: ...
    @property
    def rejects(self) -> pa.Table: ...
    @property
    def lines(self) -> int: ...
    @property
    def messages(self) -> int: ...
    @property
    def by_type(self) -> dict[int, int]: ...


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """A :class:`Batch` built by the CSV and Parquet readers (same fields as ``Decoded``)."""

    positions: pa.Table = field(default_factory=lambda: schema.POSITIONS.empty_table())
    statics: pa.Table = field(default_factory=lambda: schema.STATICS.empty_table())
    others: pa.Table = field(default_factory=lambda: schema.OTHERS.empty_table())
    rejects: pa.Table = field(default_factory=lambda: schema.REJECTS.empty_table())
    lines: int = 0
    """Input lines (CSV) or rows (Parquet) consumed."""
    messages: int = 0
    """Rows accepted (each CSV or Parquet row counts as one message)."""
    by_type: dict[int, int] = field(default_factory=dict)


def file_reject(source: str, reason: schema.RejectReason, what: str) -> pa.Table:
    """One reject row for a whole input (``line_no`` null), ``raw`` naming file and cause."""
    return pa.table(
        {
            "source": pa.array([source], pa.string()),
            "line_no": pa.nulls(1, pa.int64()),
            "reason": pa.array([reason.value], pa.string()),
            "raw": pa.array([f"{source}: {what}"], pa.string()),
        },
        schema=schema.REJECTS,
    )
