"""``seawatch decode``: stateless NMEA -> JSON Lines or Parquet."""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from seawatch._exceptions import ParameterError

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from seawatch.ais import Decoded

ORDER = 15
_CHUNK_BYTES = 8 << 20

_EPILOG = """\
Examples:

seawatch decode feed.nmea > feed.jsonl

seawatch decode feed.nmea.gz --time 2024-05-01T00:00Z -o out.jsonl

zcat feed.gz | seawatch decode - --accept-bad-checksum

seawatch decode feed.nmea --format parquet -o outdir/

JSON Lines: one object per message with a "kind" field: "position", "static" or "other"
(the columns of seawatch.schema POSITIONS, STATICS, OTHERS; times ISO 8601 UTC with Z).
Parquet: -o names a directory that receives positions.parquet, statics.parquet,
others.parquet and rejects.parquet. A summary (lines, messages by type, rejects by reason)
goes to stderr. Input may be plain, gzip, bzip2 or zstd; "-" reads stdin.
"""


class Format(StrEnum):
    jsonl = "jsonl"
    parquet = "parquet"


def _parse_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ParameterError(f"--time: not an ISO 8601 time: {text!r}") from exc
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(UTC).isoformat().replace("+00:00", "Z")
    raise TypeError(type(v).__name__)


def _write_jsonl(out: IO[str], d: Decoded) -> None:
    for kind, table in (("position", d.positions), ("static", d.statics), ("other", d.others)):
        for row in table.to_pylist():
            out.write(json.dumps({"kind": kind, **row}, default=_json_default) + "\n")


class _ParquetSink:
    def __init__(self, directory: Path) -> None:
        import pyarrow.parquet as pq

        from seawatch import schema

        directory.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, pq.ParquetWriter] = {
            name: pq.ParquetWriter(directory / f"{name}.parquet", sch)
            for name, sch in (
                ("positions", schema.POSITIONS),
                ("statics", schema.STATICS),
                ("others", schema.OTHERS),
                ("rejects", schema.REJECTS),
            )
        }

    def write(self, d: Decoded) -> None:
        for name, writer in self._writers.items():
            table: pa.Table = getattr(d, name)
            if table.num_rows:
                writer.write_table(table)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()


class _Counts:
    """Running totals for the summary (the tables themselves are not kept)."""

    def __init__(self) -> None:
        self.n: Counter[str] = Counter()
        self.by_type: Counter[int] = Counter()
        self.reasons: Counter[str] = Counter()

    def add(self, d: Decoded) -> None:
        self.n.update(
            lines=d.lines,
            messages=d.messages,
            positions=d.positions.num_rows,
            statics=d.statics.num_rows,
            others=d.others.num_rows,
            rejects=d.rejects.num_rows,
            untimed=sum(t.column("ts").null_count for t in (d.positions, d.statics, d.others)),
        )
        self.by_type.update(d.by_type)
        self.reasons.update(d.rejects_by_reason())


def _summary(c: _Counts, timed_option: bool) -> None:
    err = sys.stderr
    n = c.n
    err.write(
        f"{n['lines']} lines, {n['messages']} messages ({n['positions']} positions, "
        f"{n['statics']} statics, {n['others']} others), {n['rejects']} rejects\n"
    )
    if c.by_type:
        err.write("by type: " + ", ".join(f"{k}: {v}" for k, v in sorted(c.by_type.items())) + "\n")
    untimed = n["untimed"]
    reasons = c.reasons
    if reasons:
        err.write("rejects: " + ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())) + "\n")
    if untimed and not timed_option:
        typer.secho(
            f"warning: {untimed} messages carry no time (no tag block, $PGHP or receiver time); "
            "their ts is null - pass --time ISO to give them one",
            err=True,
            fg="yellow",
        )


def register(app: typer.Typer) -> None:
    @app.command("decode", epilog=_EPILOG)
    def decode(
        file: Annotated[str, typer.Argument(help="NMEA file (plain/gz/bz2/zst) or - for stdin.")],
        fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.jsonl,
        output: Annotated[
            Path | None,
            typer.Option("-o", "--output", help="Output file (jsonl) or directory (parquet)."),
        ] = None,
        accept_bad_checksum: Annotated[
            bool,
            typer.Option(
                "--accept-bad-checksum",
                help="Accept sentences whose checksum is missing or wrong (default: reject).",
            ),
        ] = False,
        time: Annotated[
            str | None,
            typer.Option(
                "--time", help="Time (ISO 8601, UTC if no offset) for messages that carry none."
            ),
        ] = None,
    ) -> None:
        """Decode AIS NMEA sentences into JSON Lines or Parquet (no store involved)."""
        from seawatch.ais import NmeaDecoder
        from seawatch.sources import decode_stream, expand_paths, open_checked

        if fmt is Format.parquet and output is None:
            raise ParameterError("--format parquet needs -o DIRECTORY")
        default_time = _parse_time(time)
        source = "stdin" if file == "-" else Path(file).name
        decoder = NmeaDecoder(
            source=source, accept_bad_checksum=accept_bad_checksum, default_time=default_time
        )
        sink: _ParquetSink | None = None
        out: IO[str] | None = None
        close_out = False
        if fmt is Format.parquet:
            assert output is not None
            sink = _ParquetSink(output)
        elif output is None:
            out = sys.stdout
        else:
            out = output.open("w", encoding="utf-8")
            close_out = True
        counts = _Counts()
        skipped: list[str] = []
        if not expand_paths([file], skipped=skipped):
            raise ParameterError(f"{file} is not a regular file (a FIFO, device or dangling link)")
        try:
            stream, _, damage = open_checked(file)
            with stream:
                for d in decode_stream(stream, decoder, source=source, chunk_bytes=_CHUNK_BYTES):
                    counts.add(d)
                    if sink is not None:
                        sink.write(d)
                    elif out is not None:
                        _write_jsonl(out, d)
            if damage() is not None:
                typer.secho(f"warning: {file}: {damage()}", err=True, fg="yellow")
        finally:
            if sink is not None:
                sink.close()
            if close_out and out is not None:
                out.close()
        _summary(counts, default_time is not None)
