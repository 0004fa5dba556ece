"""The seawatch exception tree.

Every error seawatch raises on purpose derives from :class:`SeawatchError`::

    SeawatchError
    ├── DecodeError        a single NMEA sentence or message could not be decoded
    ├── SourceError        an input could not be opened or its format recognised
    ├── StoreError         the store is missing, locked, or inconsistent
    │   └── QueryTimeoutError  a query ran past its time limit and was stopped
    ├── GeoError           bundled or user geography is missing or invalid
    ├── ParameterError     a detector or command was given invalid parameters
    │   └── FilterError    a filter value (region, zone, type, flag, group, country ...)
    │                      is not one of the valid values (the message lists them)
    └── NotFoundError      a vessel, event or zone that was asked for does not exist

Bulk paths (decoding a file, ingesting a directory) never raise for bad input
lines: they count them as rejects with a reason (see :class:`seawatch.schema.RejectReason`).
"""

from __future__ import annotations


class SeawatchError(Exception):
    """Root of every exception seawatch raises on purpose."""


class DecodeError(SeawatchError):
    """A sentence or message could not be decoded.

    Carries the context needed to find the line again.
    """

    def __init__(
        self, message: str, *, source: str = "", line_no: int = -1, raw: bytes | str = b""
    ) -> None:
        super().__init__(message)
        self.source = source
        self.line_no = line_no
        self.raw = raw


class SourceError(SeawatchError):
    """An input could not be opened, read, or recognised."""


class StoreError(SeawatchError):
    """The store is missing, locked, or inconsistent."""


class QueryTimeoutError(StoreError):
    """A query ran longer than its time limit and was interrupted."""


class GeoError(SeawatchError):
    """Bundled or user geography is missing or invalid."""


class ParameterError(SeawatchError, ValueError):
    """A detector or command was given invalid parameters."""


class MissingDependencyError(SeawatchError, ImportError):
    """An optional part is used without its extra installed (``pip install
    "seawatch[spark]"``): one line from the command line, an ``ImportError`` in Python."""


class FilterError(ParameterError):
    """A filter names a value that does not exist (an unknown region, zone, event type,
    flag, group or country). The message lists the valid values; ``option`` is the filter
    (``region``, ``flag`` ...), ``value`` the bad value and ``valid`` the valid ones.
    The CLI exits 2 (a usage error), the API answers 422."""

    def __init__(
        self, message: str, *, option: str = "", value: str = "", valid: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.option = option
        self.value = value
        self.valid = valid


class NotFoundError(SeawatchError, LookupError):
    """A vessel, event or zone that was asked for does not exist."""
