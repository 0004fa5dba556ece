"""open_binary (compression by magic bytes, stdin) and format detection."""

from __future__ import annotations

import bz2
import gzip
import io
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zstandard

from seawatch import schema
from seawatch._exceptions import SourceError
from seawatch.sources import detect_format, expand_paths, open_binary, sniff_compression

DATA = Path(__file__).parent / "data"
PAYLOAD = b"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n" * 500


def _plain(data: bytes) -> bytes:
    return data


def _zstd(data: bytes) -> bytes:
    out: bytes = zstandard.ZstdCompressor().compress(data)
    return out


COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "plain": _plain,
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "zstd": _zstd,
}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("suffix", [".log", ".gz", ".zst", ""])
def test_open_binary_by_magic_not_suffix(tmp_path: Path, kind: str, suffix: str) -> None:
    path = tmp_path / f"feed{suffix}"
    path.write_bytes(COMPRESSORS[kind](PAYLOAD))
    with open_binary(path) as f:
        assert f.read() == PAYLOAD
    with open_binary(str(path)) as f:
        assert f.read(10) == PAYLOAD[:10]


def test_zstd_multiple_frames(tmp_path: Path) -> None:
    c = zstandard.ZstdCompressor()
    path = tmp_path / "two.zst"
    path.write_bytes(c.compress(PAYLOAD[:100]) + c.compress(PAYLOAD[100:]))
    with open_binary(path) as f:
        assert f.read() == PAYLOAD


def test_sniff_compression() -> None:
    assert sniff_compression(b"\x1f\x8b\x08\x00") == "gzip"
    assert sniff_compression(b"BZh9") == "bz2"
    assert sniff_compression(b"BZhx") == "none"
    assert sniff_compression(b"\x28\xb5\x2f\xfd") == "zstd"
    assert sniff_compression(b"!AIV") == "none"


class _FakeStdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)


@pytest.mark.parametrize("kind", ["plain", "gzip"])
def test_open_binary_stdin(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    fake = _FakeStdin(COMPRESSORS[kind](PAYLOAD))
    monkeypatch.setattr(sys, "stdin", fake)
    with open_binary("-") as f:
        assert f.read() == PAYLOAD
    assert not fake.buffer.closed  # stdin itself is left open


def test_open_binary_missing(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open"):
        open_binary(tmp_path / "nope.log")


NOAA_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass\n"
NOAA_2025_HEADER = "mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,vessel_type,status,length,width,draft,cargo,transceiver\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (NOAA_HEADER + "1,2022-01-03T00:00:00,1,2,,,,,,,,,,,,,A\n", "noaa_csv"),
        (NOAA_2025_HEADER + "1,2025-01-03 00:00:00,1,2,,,,,,,,,,,,,A\n", "noaa_csv"),
        ((DATA / "dma_sample.csv").read_text(), "dma_csv"),
        ("ship_id,time,y,x\n1,2022-01-01T00:00:00,1,2\n", "csv"),
        ("mmsi,timestamp,lat,lon\n1,2022-01-01T00:00:00,1,2\n", "csv"),
        ("# comment\n!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n", "nmea"),
        ("\\s:r1,c:1600000000*5B\\!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\n", "nmea"),
    ],
)
def test_detect_format(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "input.dat"
    path.write_text(content)
    assert detect_format(path) == expected
    gz = tmp_path / "input.dat.gz"
    gz.write_bytes(gzip.compress(content.encode()))
    assert detect_format(gz) == expected


def test_detect_parquet_and_unknown(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pq.write_table(schema.POSITIONS.empty_table(), path)
    assert detect_format(path) == "parquet"
    junk = tmp_path / "junk.txt"
    junk.write_text("hello world\nthis is not AIS\n")
    with pytest.raises(SourceError, match="cannot recognise"):
        detect_format(junk)


def test_detect_real_files(shared_data: Path) -> None:
    noaa = shared_data / "noaa-ais-20220103-vesselsummaryais/data/AISdata.csv"
    aishub = shared_data / "gpsd/contrib/ais-samples/ais-nmea-sample.log"
    assert detect_format(noaa) == "noaa_csv"
    assert detect_format(aishub) == "nmea"


def test_expand_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.log").write_text("1")
    (tmp_path / "a" / ".hidden").write_text("1")
    (tmp_path / "a" / "b").mkdir()
    (tmp_path / "a" / "b" / "y.log").write_text("1")
    (tmp_path / "z.csv").write_text("1")
    got = expand_paths([tmp_path / "a", str(tmp_path / "*.csv"), "-"])
    assert got == [
        str(tmp_path / "a" / "x.log"),
        str(tmp_path / "a" / "b" / "y.log"),
        str(tmp_path / "z.csv"),
        "-",
    ]
    with pytest.raises(SourceError, match="no such file"):
        expand_paths([tmp_path / "missing.log"])
    with pytest.raises(SourceError, match="no file matches"):
        expand_paths([str(tmp_path / "*.nothing")])
