"""Broken inputs give the expected reject reasons; every line is accounted for; streaming."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from seawatch.ais import Decoded, NmeaDecoder, decode_bytes, read_nmea, read_nmea_all
from seawatch.schema import OTHERS, POSITIONS, REJECT_REASONS, REJECTS, STATICS

GFW = "gfw-ais-tools/sample"


def _accounted(d: Decoded) -> None:
    assert d.positions.schema == POSITIONS
    assert d.statics.schema == STATICS
    assert d.others.schema == OTHERS
    assert d.rejects.schema == REJECTS
    assert set(d.rejects.column("reason").to_pylist()) <= REJECT_REASONS
    assert d.records == d.message_lines + d.framing_lines + d.rejects.num_rows
    assert d.lines <= d.records
    assert sum(d.by_type.values()) == d.messages


# file -> (messages, by_type, rejects by reason)
EXPECTED: dict[str, tuple[int, dict[int, int], dict[str, int]]] = {
    # 2 truncated payloads whose checksum no longer matches; the 3 others decode
    f"{GFW}/errors.nmea": (3, {1: 2, 3: 1}, {"checksum": 2}),
    # payloads longer than 168 bits: extra bits are ignored, as by pyais and gpsd
    f"{GFW}/type1-bad-bitcount.nmea": (12, {1: 9, 3: 3}, {"empty": 1}),
    # g:1-2--001 is not a valid group
    f"{GFW}/bad-tagblock-group.nmea": (0, {}, {"tag_block": 2}),
    # 3 two-part type 5 (two sentences on one line); the second is 400 bits (< 420): rejected
    # on both fragments; 3 bare payload lines; 1 blank line
    f"{GFW}/bad-type5.nmea": (
        2,
        {5: 2},
        {"payload_length": 2, "not_ais": 3, "empty": 1},
    ),
    # the NMEA checksum does not verify
    f"{GFW}/single-message-type-5.nmea": (0, {}, {"checksum": 1}),
    # tag blocks with checksum *00 (wrong)
    f"{GFW}/spire-test.nmea": (0, {}, {"tag_block": 2}),
    f"{GFW}/ee-multiline.nmea": (8, {1: 3, 3: 3, 5: 2}, {}),
    f"{GFW}/sample.nmea": (3, {18: 1, 24: 2}, {}),
    f"{GFW}/multi-part.nmea": (43, {5: 10, 6: 2, 8: 1, 12: 10, 14: 10, 17: 10}, {}),
    # 100 empty payloads; 20 first fragments of 2-part messages whose second never comes
    "pyais/tests/nmea_data_sample.txt": (
        778,
        {1: 667, 3: 76, 4: 6, 15: 7, 18: 19, 20: 1, 24: 2},
        {"payload_length": 100, "orphan_fragment": 20},
    ),
    # GPS sentences, junk, comments, tag blocks with a one-digit checksum '*A', and a $PGHP
    # line edited without updating its checksum
    "pyais/tests/mixed.txt": (
        10,
        {1: 8, 5: 2},
        {"empty": 12, "not_ais": 6, "tag_block": 3, "checksum": 1},
    ),
    "pyais/examples/sample.ais": (
        9,
        {1: 8, 5: 1},
        {"empty": 6, "not_ais": 1, "tag_block": 4, "checksum": 1},
    ),
    "pyais/examples/gatehouse.nmea": (4, {1: 4}, {"empty": 3, "checksum": 1}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_samples(shared_data: Path, name: str) -> None:
    d = read_nmea_all(shared_data / name)
    messages, by_type, reasons = EXPECTED[name]
    assert d.messages == messages
    assert d.by_type == by_type
    assert d.rejects_by_reason() == reasons
    _accounted(d)


def test_accept_bad_checksum(shared_data: Path) -> None:
    path = shared_data / GFW / "single-message-type-5.nmea"
    d = read_nmea_all(path, accept_bad_checksum=True)
    assert d.by_type == {5: 1}
    row = d.statics.to_pylist()[0]
    assert row["station"] == "terrestrial"
    assert row["ts"] == datetime.fromtimestamp(1711942361, UTC)
    spire = read_nmea_all(shared_data / GFW / "spire-test.nmea", accept_bad_checksum=True)
    # line 1: a regular 2-part type 5 on one line; line 2: part 2 carries g:2-1-1 (num > total)
    assert spire.by_type == {5: 1}
    assert spire.rejects_by_reason() == {"tag_block": 1, "orphan_fragment": 1}


def test_gatehouse_time_applies_to_next_sentence(shared_data: Path) -> None:
    path = shared_data / "pyais/examples/gatehouse.nmea"
    d = read_nmea_all(path)
    ts = d.positions.column("ts").to_pylist()
    assert ts[0] == datetime(2008, 5, 9, 0, 0, 0, 10_000, tzinfo=UTC)
    assert ts[1:] == [None, None, None]
    default = datetime(2020, 1, 1, tzinfo=UTC)
    d2 = read_nmea_all(path, default_time=default)
    assert d2.positions.column("ts").to_pylist()[1:] == [default] * 3


def test_receiver_time_suffixes(shared_data: Path) -> None:
    dma = shared_data / "dma-aislib/ais-lib-communication/src/test/resources"
    d = decode_bytes((dma / "small_cb_example.txt").read_bytes()[:200])
    ts = d.positions.column("ts").to_pylist()
    assert ts[:2] == [
        datetime.fromtimestamp(1357134218, UTC),
        datetime.fromtimestamp(1357134222, UTC),
    ]
    uscg = (
        b"!AIVDM,1,1,,B,15Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*63,s1234,d-119,T12.3,r003669958,1085889680\n"
    )
    assert decode_bytes(uscg).positions.column("ts").to_pylist() == [
        datetime.fromtimestamp(1085889680, UTC)
    ]
    ms = b"\\c:1599239526500,s:x*4E\\!AIVDM,1,1,,B,15Cjtd0Oj;Jp7ilG7=UkKBoB0<06,0*63\n"
    got = decode_bytes(ms, accept_bad_checksum=True).positions.column("ts").to_pylist()
    assert got == [datetime(2020, 9, 4, 17, 12, 6, 500_000, tzinfo=UTC)]


def test_unsupported_type_and_not_ais() -> None:
    # type 28 ('X' = 40 -> 40; 'h' = 104 -> 48? use chars giving 0 and 28)
    type0 = b"!AIVDM,1,1,,A,0000000000000000000000000000,0*"
    type28 = b"!AIVDM,1,1,,A,L000000000000000000000000000,0*"
    lines = []
    for s in (type0, type28):
        body = s[1 : s.index(b"*")]
        cs = 0
        for c in body:
            cs ^= c
        lines.append(s + f"{cs:02X}".encode())
    lines += [b"$GPRMC,1,2,3*00", b"garbage", b"", b"# comment"]
    d = decode_bytes(b"\n".join(lines) + b"\n")
    assert d.rejects_by_reason() == {"unsupported_type": 2, "not_ais": 2, "empty": 2}
    assert d.rejects.column("line_no").to_pylist() == [1, 2, 3, 4, 5, 6]
    _accounted(d)


def test_others_kept_with_payload(shared_data: Path) -> None:
    d = read_nmea_all(shared_data / GFW / "mixed_types.nmea")
    assert set(d.others.column("msg_type").to_pylist()) == {7, 8, 10, 11, 12, 14, 15, 17, 20}
    assert all(p for p in d.others.column("payload").to_pylist())
    assert d.others.num_rows == sum(
        v for k, v in d.by_type.items() if k not in {1, 2, 3, 4, 5, 9, 18, 19, 21, 24, 27}
    )


def _canon(t: pa.Table) -> list[tuple[object, ...]]:
    rows = [tuple(r.values()) for r in t.to_pylist()]
    return sorted(rows, key=repr)


@pytest.mark.parametrize(
    "name",
    [
        "gpsd/test/daemon/ais-nmea-type6-fid55.log",
        "libais/test/data/tagblock.nmea",
        "pyais/tests/nmea_data_sample.txt",
        f"{GFW}/multi-part.nmea",
        "pyais/tests/mixed.txt",
        "dma-aislib/ais-lib-communication/src/test/resources/replay_dump.txt",
    ],
)
def test_streaming_equals_one_feed(shared_data: Path, name: str) -> None:
    data = (shared_data / name).read_bytes()
    whole = decode_bytes(data, source="x")
    rng = random.Random(7)
    lines = data.splitlines(keepends=True)
    for _ in range(3):
        dec = NmeaDecoder(source="x")
        parts: list[Decoded] = []
        i = 0
        while i < len(lines):
            n = rng.choice([1, 2, 3, 7, 50])
            parts.append(dec.feed(b"".join(lines[i : i + n])))
            i += n
        parts.append(dec.finish())
        got = Decoded.concat(parts)
        for tab in ("positions", "statics", "others", "rejects"):
            assert _canon(getattr(got, tab)) == _canon(getattr(whole, tab)), tab
        assert (got.lines, got.messages, got.by_type) == (
            whole.lines,
            whole.messages,
            whole.by_type,
        )
        _accounted(got)


def test_feed_holds_partial_line() -> None:
    line = b"!AIVDM,1,1,,A,15MrVH0000KH<:V:NtBLoqFP2H9:,0*2F\n"
    dec = NmeaDecoder()
    assert dec.feed(line[:20]).lines == 0
    d = dec.feed(line[20:])
    assert d.messages == 1 and d.lines == 1
    d2 = NmeaDecoder()
    d2.feed(line[:-1])
    assert d2.finish().messages == 1


def test_read_nmea_compressed(tmp_path: Path, shared_data: Path) -> None:
    import bz2
    import gzip

    import zstandard

    src = (shared_data / "pyais/tests/ais_test_messages").read_bytes()
    (tmp_path / "a.gz").write_bytes(gzip.compress(src))
    (tmp_path / "b.bz2").write_bytes(bz2.compress(src))
    (tmp_path / "c.zst").write_bytes(zstandard.ZstdCompressor().compress(src))
    (tmp_path / "d.nmea").write_bytes(src)
    tables = [read_nmea(tmp_path / n) for n in ("a.gz", "b.bz2", "c.zst", "d.nmea")]
    assert all(t.num_rows == 6 for t in tables)
    both = read_nmea([tmp_path / "a.gz", tmp_path / "d.nmea"])
    assert both.num_rows == 12
    assert set(both.column("source").to_pylist()) == {"a.gz", "d.nmea"}
