"""The query surface can only read (issue #14 §1): a corpus of hostile statements, each
refused with one line, the store byte-identical afterwards; time and memory limits, spill
outside the working directory, Ctrl-C as one line, and the API's per-request time limit."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from seawatch import schema
from seawatch._exceptions import ParameterError, QueryTimeoutError, StoreError
from seawatch.api import create_app
from seawatch.api._data import Data
from seawatch.cli import app
from seawatch.store import Store, open_store
from seawatch.store._views import check_read_only, parse_memory_limit

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)


def _fleet_csv(path: Path, *, vessels: int, reports: int) -> Path:
    lines = ["mmsi,ts,lat,lon,sog,cog,heading,name,ship_type"]
    for v in range(vessels):
        for i in range(reports):
            ts = (T0 + timedelta(minutes=10 * i)).strftime("%Y-%m-%dT%H:%M:%S")
            lines.append(f"{200000000 + v},{ts},10.0,{-60 + i * 0.01:.5f},5.0,90.0,90,V{v},70")
    path.write_text("\n".join(lines) + "\n")
    return path


def _events_table() -> pa.Table:
    row = {
        "event_id": "e1",
        "type": "gap",
        "start": T0,
        "end": T0 + timedelta(hours=3),
        "vessels": [200000000],
        "lat": 10.0,
        "lon": -60.0,
        "duration_h": 3.0,
        "region": None,
        "zone": None,
        "confidence": 0.9,
        "details": "{}",
    }
    return pa.Table.from_pylist([row], schema=schema.EVENTS)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    tmp = tmp_path_factory.mktemp("sandbox")
    s = open_store(tmp / "store", create=True)
    s.ingest(_fleet_csv(tmp / "fleet.csv", vessels=3, reports=40))  # two UTC days
    s.replace_events(_events_table(), types=["gap"], run={"preset": "test"})
    return s


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _corpus(store: Store, out: Path) -> list[str]:
    events = store.files("events")[0]
    day = store.files("positions")[0]
    manifest = store.root / "manifest.json"
    writes = [
        f"COPY (SELECT 1 AS x) TO '{events}' (FORMAT parquet, USE_TMP_FILE false)",
        f"COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)",
        f"COPY (SELECT * FROM positions LIMIT 1) TO '{day}' (FORMAT parquet)",
        f"COPY positions TO '{out}/p.csv'",
        f"COPY (SELECT '{{}}' AS x) TO '{manifest}' (FORMAT csv, HEADER false)",
        f"EXPORT DATABASE '{out}/db'",
        "INSERT INTO positions SELECT * FROM positions",
        "UPDATE positions SET lat = 0",
        "DELETE FROM positions",
        "CREATE TABLE t AS SELECT 1",
        "CREATE OR REPLACE VIEW events AS SELECT 1 AS x",
        "CREATE MACRO m(x) AS x",
        "DROP VIEW positions",
        "DROP VIEW IF EXISTS vessels",
        "ALTER VIEW positions RENAME TO p2",
        f"ATTACH '{out}/x.duckdb' AS x",
        "DETACH memory",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
        "RESET allowed_paths",
        "PRAGMA enable_profiling",
        f"PRAGMA profiling_output = '{out}/prof.txt'",
        "CALL pragma_version()",
        "CHECKPOINT",
        "VACUUM",
        "BEGIN TRANSACTION",
        f"IMPORT DATABASE '{out}'",
        "PREPARE q AS SELECT 1",
        "CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
        "USE memory",
        "PIVOT positions ON msg_type",
    ]
    corpus = list(writes)
    corpus += [f"EXPLAIN ANALYZE {w}" for w in writes]  # EXPLAIN ANALYZE runs its statement
    corpus += [f"EXPLAIN {w}" for w in writes[:6]]
    corpus += [
        f"SELECT 1; COPY (SELECT 1) TO '{events}'",
        f"SELECT 1;\n-- comment\nCOPY (SELECT 1) TO '{out}/c.csv'",
        "SELECT 1; DROP VIEW positions",
        f"/* SELECT */ COPY (SELECT 1) TO '{out}/d.csv'",
        f"-- SELECT 1\nCOPY (SELECT 1) TO '{out}/e.csv'",
        f"EXPLAIN /* x */ ANALYZE -- y\n COPY (SELECT 1) TO '{events}'",
        f"EXPLAIN (FORMAT json) COPY (SELECT 1) TO '{out}/f.csv'",
        f"explain analyse copy (select 1) to '{out}/g.csv'",
        f"SELECT * FROM query('COPY (SELECT 1) TO ''{out}/h.csv''')",
        "SELECT * FROM query('DROP VIEW positions')",
        f"SELECT * FROM query('SELECT * FROM read_csv(''{out}/../secret.txt'')')",
        "SELECT * FROM query_table('duckdb_settings')",
        f"WITH x AS (SELECT * FROM read_parquet('{day}')) SELECT count(*) FROM x",
        f"WITH x AS (SELECT 1) SELECT * FROM read_csv('{out}/../secret.txt')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM glob('/etc/*')",
        f"SELECT * FROM glob('{store.root}/**')",
        f"SELECT * FROM read_parquet('{store.root}/positions/*/*.parquet')",
        f"SELECT * FROM parquet_metadata('{events}')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        f"SELECT * FROM '{out}/../secret.txt'",
        "SELECT * FROM read_json_auto('/etc/hostname')",
        f"FROM read_csv('{out}/../secret.txt')",
        "SELECT 1; SELECT 2",
        "",
        "   -- only a comment",
        "SELEC 1",
    ]
    return corpus


def _check_corpus(store: Store, tmp_path: Path, *, cli_every: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "secret.txt").write_text("a,b\n1,2\n")
    corpus = _corpus(store, out)
    assert len(corpus) >= 50
    before = _hashes(store.root)
    runner = CliRunner()
    for k, sql in enumerate(corpus):
        with pytest.raises(StoreError) as info:
            store.query(sql)
        assert "\n" not in str(info.value), sql
        if k % cli_every == 0:  # the command: exit code 1 and one line
            result = runner.invoke(app, ["query", "--store", str(store.root), "--", sql])
            assert result.exit_code == 1, (sql, result.output)
            lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1 and lines[0].startswith("error: "), (sql, result.stderr)
        assert _hashes(store.root) == before, f"the store changed after: {sql}"
    assert not any(out.iterdir()), "a statement wrote a file"
    # the store still answers every reader
    assert store.query("SELECT count(*) AS n FROM positions").to_pylist() == [{"n": 120}]
    assert store.events().num_rows == 1


def test_corpus_is_refused_and_the_store_is_untouched(store: Store, tmp_path: Path) -> None:
    _check_corpus(store, tmp_path, cli_every=5)


def test_issue_14_explain_analyze_copy_over_the_events_file(store: Store) -> None:
    events = store.files("events")[0]
    before = _hashes(store.root)
    runner = CliRunner()
    for sql in (
        f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{events}' (FORMAT parquet, USE_TMP_FILE false)",
        f"EXPLAIN ANALYZE COPY (SELECT * FROM events) TO '{events}' (FORMAT parquet)",
        f"EXPLAIN ANALYZE COPY (SELECT * FROM positions) TO '{store.files('positions')[0]}'",
        "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
        "EXPLAIN ANALYZE DROP VIEW events",
        "EXPLAIN ANALYZE CREATE OR REPLACE VIEW events AS SELECT 1",
    ):
        result = runner.invoke(app, ["query", "--store", str(store.root), sql])
        assert result.exit_code == 1, result.output
        assert "the store is read-only here: EXPLAIN of a" in result.stderr
    assert _hashes(store.root) == before
    result = runner.invoke(app, ["events", "--store", str(store.root), "--format", "jsonl"])
    assert result.exit_code == 0 and '"e1"' in result.stdout


@pytest.mark.slow
def test_corpus_through_the_cli_for_every_statement(store: Store, tmp_path: Path) -> None:
    _check_corpus(store, tmp_path, cli_every=1)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT count(*) FROM positions",
        "select 1;",
        "-- a comment\nSELECT 1",
        "/* x */ WITH a AS (SELECT mmsi FROM vessels) SELECT count(*) FROM a",
        "FROM statics LIMIT 1",
        "VALUES (1), (2)",
        "DESCRIBE positions",
        "SHOW TABLES",
        "SUMMARIZE events",
        "EXPLAIN SELECT * FROM positions",
        "EXPLAIN ANALYZE SELECT count(*) FROM positions",
        "explain (format json) select 1",
        "SELECT * FROM query_table('events')",
        "SELECT * FROM query('SELECT count(*) FROM positions')",
    ],
)
def test_reading_statements_run(store: Store, sql: str) -> None:
    check_read_only(sql)
    assert store.query(sql).num_columns >= 1


def test_python_variables_are_not_tables(store: Store) -> None:
    secret_table = pa.table({"password": ["hunter2"]})  # DuckDB's replacement scans are off
    assert secret_table.num_rows == 1
    with pytest.raises(StoreError, match="secret_table does not exist"):
        store.query("SELECT * FROM secret_table")


def test_connection_has_no_file_access(store: Store, tmp_path: Path) -> None:
    with store.connect() as con:  # the Python API connection: no file, even by direct SQL
        for sql in (
            f"COPY (SELECT 1) TO '{tmp_path}/a.csv'",
            f"COPY (SELECT 1) TO '{store.files('events')[0]}'",
            f"SELECT * FROM read_parquet('{store.files('positions')[0]}')",
        ):
            with pytest.raises(Exception, match="disabled by configuration"):
                con.execute(sql)
        with pytest.raises(Exception, match="configuration"):
            con.execute("SET enable_external_access = true")
    assert not (tmp_path / "a.csv").exists()


def test_timeout_stops_a_query(store: Store) -> None:
    t0 = time.monotonic()
    with pytest.raises(QueryTimeoutError, match=r"longer than 0\.5 s"):
        store.query("SELECT count(*) FROM range(100000000000) a", timeout_s=0.5)
    assert time.monotonic() - t0 < 10
    result = CliRunner().invoke(
        app,
        [
            "query",
            "--store",
            str(store.root),
            "--timeout",
            "0.5",
            "SELECT count(*) FROM range(100000000000) a",
        ],
    )
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "longer than 0.5 s" in result.stderr


def test_memory_limit_values(store: Store) -> None:
    assert parse_memory_limit("512MB") == 512 * 10**6
    assert parse_memory_limit("1GiB") == 2**30
    assert 0 < parse_memory_limit("10%") <= parse_memory_limit("100%")
    for bad in ("lots", "0%", "101%", "1KB", "-5GB"):
        with pytest.raises(ParameterError):
            parse_memory_limit(bad)
    result = CliRunner().invoke(
        app, ["query", "--store", str(store.root), "--memory-limit", "lots", "SELECT 1"]
    )
    assert result.exit_code == 2 and "--memory-limit" in result.output


def test_cli_defaults_match_the_store() -> None:
    from seawatch.cli import _store as cli_store
    from seawatch.store import _views

    assert cli_store.QUERY_TIMEOUT_S == _views.DEFAULT_QUERY_TIMEOUT_S
    assert parse_memory_limit(cli_store.QUERY_MEMORY) == int(
        _views.physical_memory_bytes() * _views.DEFAULT_MEMORY_FRACTION
    )


def test_spill_goes_to_a_removed_temporary_directory(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    cwd, tmpdir = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    tmpdir.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.extend(p.name for p in tmpdir.rglob("duckdb_temp*"))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        table = store.query(
            "SELECT count(*) AS n FROM (SELECT i, random() AS r, repeat('x', 20) AS s "
            "FROM range(4000000) t(i) ORDER BY r)",
            memory_limit_bytes=40 * 10**6,
        )
    finally:
        done.set()
        watcher.join()
    assert table.to_pylist() == [{"n": 4_000_000}]
    assert seen, "the query did not spill (the test needs it to)"
    assert list(tmpdir.iterdir()) == []  # the spill directory is removed
    assert list(cwd.iterdir()) == []  # never ./.tmp


def test_ctrl_c_is_one_line(store: Store, tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "seawatch",
            "query",
            "--store",
            str(store.root),
            "SELECT count(*) FROM range(100000000000) a",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4.0)  # past the imports, into the query
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert [ln for ln in err.splitlines() if ln.strip()] == ["error: interrupted (Ctrl-C)"]
    assert list(tmp_path.iterdir()) == []


def test_api_request_time_limit(store: Store) -> None:
    data = Data(store, timeout_s=0.3)

    def slow_facets() -> dict[str, object]:
        with data._cursor() as cur:
            cur.execute("SELECT count(*) FROM range(100000000000) a").fetchall()
        return {}

    data.facets = slow_facets  # type: ignore[method-assign]
    with TestClient(
        create_app(data=data), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as client:
        t0 = time.monotonic()
        r = client.get("/api/facets")
        assert time.monotonic() - t0 < 10
        assert r.status_code == 503
        body = r.json()["error"]
        assert body["status"] == 503 and "longer than 0.3 s" in body["detail"]
        assert client.get("/api/events").status_code == 200  # the next request is fine
    data.close()
