"""The mark of simulated input (DESIGN.md §11: simulated data is marked and kept apart).

``seawatch simulate`` (and the demo) write :func:`marker_line` as the **first line** of
every NMEA and CSV file they produce. The store recognises it when it ingests a file
(:func:`is_simulated`) and records ``simulated: true`` on the source in its manifest;
positions carry their source, events the ``simulated`` flag of their vessels' sources.

Only this exact first line marks a file: there is no option to mark a file simulated by
hand (so a real file cannot be marked by accident), and a simulated file is recognised
whatever the user remembers. The NMEA reader sees the line as a ``#`` comment (one
``empty`` reject, line 1); the CSV reader skips it before the header.
"""

from __future__ import annotations

__all__ = ["MARK", "is_simulated", "marker_line", "skip_marker"]

MARK = b"# seawatch-simulated"
"""The bytes the first line of a simulated file starts with."""


def marker_line(*, scenario: str, seed: int) -> str:
    """The first line of a simulated file (no line end)."""
    name = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in scenario)
    return (
        f"{MARK.decode()} scenario={name} seed={int(seed)}: "
        "synthetic AIS written by seawatch simulate, not real traffic"
    )


def is_simulated(head: bytes) -> bool:
    """Whether a (decompressed) file starting with ``head`` is marked simulated: its first
    line starts with :data:`MARK` followed by a space or the line end (a UTF-8 byte-order
    mark before it is ignored)."""
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not body.startswith(MARK):
        return False
    rest = body[len(MARK) : len(MARK) + 1]
    return rest in (b"", b" ", b"\r", b"\n")


def skip_marker(head: bytes) -> bytes:
    """``head`` without its first line when that line is the simulated mark."""
    if not is_simulated(head):
        return head
    _, _, rest = head.partition(b"\n")
    return rest
