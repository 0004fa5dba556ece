"""The Spark engine gives the same events as the local engine, ids included (DESIGN.md §16).

Marked ``spark`` (deselected by default; ``.ci/run`` runs ``pytest -m spark tests/engine``):
they need PySpark 4 (``pip install ".[spark]"``) and a JDK 17+. One Spark session per
master at a time: ``local[2]`` first, then a standalone cluster (a master and two workers
of one core each, started from PySpark's own classes on this machine, stopped afterwards).

The scenario suite: every shipped scenario simulated and ingested (NMEA, satellite passes
included) into one store, detected once by the local engine; each Spark run must give
exactly the same table (every column, every value).
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from seawatch.engine import EngineStats, run_detectors
from seawatch.pipeline import ingest_scenario
from seawatch.sim import load_scenario, scenario_names
from seawatch.store import Store, open_store
from tests.engine.conftest import WORLD, build_store

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.spark, pytest.mark.timeout(600)]

EXACT = ["event_id", "type", "start", "end", "vessels", "incident_id", "simulated"]


def assert_same(local: pa.Table, spark: pa.Table) -> None:
    """Every column of every event identical, in the same order."""
    assert spark.schema == local.schema
    assert spark.num_rows == local.num_rows
    for name in local.column_names:
        assert spark.column(name).to_pylist() == local.column(name).to_pylist(), name


@pytest.fixture(scope="module")
def suite_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, pa.Table]:
    """Every scenario of the suite in one store, and the local engine's events of it."""
    base = tmp_path_factory.mktemp("spark-suite")
    store = open_store(base / "store", create=True)
    for name in scenario_names():
        ingest_scenario(load_scenario(name), store, base / name, passes=True)
    local = run_detectors(store, workers=2, write=False)
    return store, local


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, pa.Table]:
    """The engine tests' two-day store (an encounter across midnight) and its local events."""
    store = build_store(tmp_path_factory.mktemp("spark-small") / "store")
    return store, run_detectors(store, workers=1, geo=WORLD, write=False)


def _session(master: str, conf: dict[str, str] | None = None) -> SparkSession:
    from seawatch.engine._spark import spark_session, stop_active_session

    stop_active_session()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        session = spark_session(master, conf=conf)
    session.sparkContext.setLogLevel("ERROR")
    return session


@pytest.fixture(scope="module")
def local2() -> Iterator[SparkSession]:
    session = _session("local[2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """A session on a standalone cluster: a master and two one-core workers on this
    machine (torn down afterwards)."""
    from seawatch.engine._spark import local_cluster

    with local_cluster(
        workers=2, cores=1, memory="1g", work_dir=tmp_path_factory.mktemp("sc")
    ) as url:
        session = _session(url, {"spark.executor.memory": "768m", "spark.cores.max": "2"})
        assert session.sparkContext.master == url
        yield session
        session.stop()


# ---------------------------------------------------------------------------- local[2]


def test_suite_same_events_local2(
    suite_store: tuple[Store, pa.Table], local2: SparkSession
) -> None:
    from seawatch.engine._spark import run_detectors_spark

    store, local = suite_store
    stats = EngineStats()
    got = run_detectors_spark(store, spark=local2, write=False, stats=stats)
    assert local.num_rows > 100  # the suite's events: every type the detectors emit
    assert len(set(local.column("type").to_pylist())) >= 10
    assert stats.n_buckets >= 4 and stats.n_close_pairs > 0
    assert_same(local, got)


def test_local_jvm_quick_jit_only(local2: SparkSession) -> None:
    """A local master's JVM starts with the quick JIT tier only (LOCAL_JAVA_OPTIONS), unless
    the caller sets the driver's Java options."""
    from seawatch.engine._spark import LOCAL_JAVA_OPTIONS

    conf = local2.sparkContext.getConf()
    assert LOCAL_JAVA_OPTIONS in (conf.get("spark.driver.extraJavaOptions") or "")
    jvm = local2.sparkContext._jvm
    assert jvm is not None
    flags = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
    assert LOCAL_JAVA_OPTIONS in flags


def test_bucket_count_does_not_matter(small: tuple[Store, pa.Table], local2: SparkSession) -> None:
    from seawatch.engine._spark import run_detectors_spark

    store, local = small
    assert "encounter" in local.column("type").to_pylist()  # across midnight
    for n in (1, 7, 20):  # 20 on two cores: eight tasks of two or three buckets
        stats = EngineStats()
        got = run_detectors_spark(
            store, spark=local2, geo=WORLD, buckets=n, write=False, stats=stats
        )
        assert_same(local, got)
        assert n < 20 or stats.n_buckets > 8


def test_slots_go_through_scratch_files_that_are_removed(
    small: tuple[Store, pa.Table], local2: SparkSession, tmp_path: Path
) -> None:
    """The buckets write their slots to the run's scratch directory, which the pair and
    window stages read; afterwards nothing is left, there or in the store's directory."""
    from seawatch.engine._spark import run_detectors_spark

    store, local = small
    seen: dict[str, list[str]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        seen[stage] = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.arrow"))

    got = run_detectors_spark(
        store, spark=local2, geo=WORLD, write=False, scratch_dir=tmp_path, progress=progress
    )
    assert_same(local, got)
    slot_files = [f for f in seen["vessels"] if "/slots/day=" in f]
    assert len({f.split("/")[2] for f in slot_files}) == 2  # the store's two UTC days
    assert not any(".tmp-" in f for f in seen["vessels"])
    assert list(tmp_path.iterdir()) == []
    got = run_detectors_spark(store, spark=local2, geo=WORLD, write=False)
    assert_same(local, got)
    assert not (Path(store.root) / ".scratch").exists()


def test_pair_merging_in_spark_sql(small: tuple[Store, pa.Table], local2: SparkSession) -> None:
    """The streamed pair step's merging SQL in Spark SQL too: the same events, to the last
    bit (its means are exact integer sums, whatever order Spark adds them in)."""
    from seawatch.engine._spark import run_detectors_spark

    store, local = small
    got = run_detectors_spark(store, spark=local2, geo=WORLD, pair_runner="spark", write=False)
    assert_same(local, got)


def test_cli_detect_engine_spark(
    small: tuple[Store, pa.Table], local2: SparkSession, tmp_path: Path
) -> None:
    """``seawatch detect --engine spark --master local[2]`` commits the same events."""
    from seawatch.cli import app

    src, _ = small
    dst = tmp_path / "store"
    shutil.copytree(src.root, dst)
    local_store = tmp_path / "local"
    shutil.copytree(src.root, local_store)
    runner = CliRunner()
    for path, extra in ((dst, ["--engine", "spark", "--master", "local[2]"]), (local_store, [])):
        res = runner.invoke(app, ["detect", "--store", str(path), "--workers", "1", *extra])
        assert res.exit_code == 0, res.output
    assert_same(open_store(local_store).events(), open_store(dst).events())
    bad = runner.invoke(app, ["detect", "--store", str(dst), "--master", "local[2]"])
    assert bad.exit_code == 2


def test_cli_ingest_engine_spark(local2: SparkSession, tmp_path: Path) -> None:
    """``seawatch ingest --engine spark`` (files decoded on executors, one task each)
    stores the same rows and manifest as a local ingest; a re-run adds nothing."""
    from seawatch.cli import app
    from seawatch.sim import simulate

    files: list[str] = []
    for name in ("encounter-midnight", "gap-offshore"):
        sim = simulate(load_scenario(name), tmp_path / name, write_csv=True)
        files += [str(sim.paths["nmea"]), str(sim.paths["csv"])]
    runner = CliRunner()
    stores = {e: tmp_path / f"store-{e}" for e in ("local", "spark")}
    for engine, path in stores.items():
        args = ["ingest", *files, "--store", str(path), "--engine", engine]
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
    local, spark = (open_store(stores[e]) for e in ("local", "spark"))
    assert local.positions().num_rows > 1000
    assert spark.positions().equals(local.positions())
    assert spark.statics().equals(local.statics())

    def sources(store: Store) -> list[dict[str, object]]:
        docs = store.manifest()["sources"].values()
        return sorted(
            ({k: v for k, v in d.items() if k != "ingested_at"} for d in docs),
            key=lambda d: str(d["path"]),
        )

    assert sources(spark) == sources(local) and len(sources(local)) == 4
    again = runner.invoke(
        app, ["ingest", *files, "--store", str(stores["spark"]), "--engine", "spark"]
    )
    assert again.exit_code == 0, again.output
    assert open_store(stores["spark"]).positions().num_rows == local.positions().num_rows


def test_spark_reader_decodes_on_executors(local2: SparkSession, tmp_path: Path) -> None:
    """The reader's batches are the executors' (each file decoded there is used once), and
    an input given with other options is read on the driver instead."""
    from seawatch.engine import spark_reader
    from seawatch.sim import simulate
    from seawatch.store import IngestOptions

    sim = simulate(load_scenario("encounter-noisy"), tmp_path / "in", write_csv=True)
    files = [str(sim.paths["nmea"]), str(sim.paths["csv"])]
    reader = spark_reader(files, IngestOptions())
    assert sorted(reader.decoded) == sorted(files)  # type: ignore[attr-defined]
    store = open_store(tmp_path / "s", create=True)
    summary = store.ingest(files, reader=reader)
    assert reader.decoded == {}  # type: ignore[attr-defined]
    assert summary.positions > 0
    other = spark_reader(files, IngestOptions(dedup_window_s=5.0, accept_bad_checksum=True))
    store2 = open_store(tmp_path / "s2", create=True)
    store2.ingest(files, reader=other, accept_bad_checksum=False)
    assert sorted(other.decoded) == sorted(files)  # type: ignore[attr-defined]


# ----------------------------------------------------------- standalone, two workers


def test_suite_same_events_standalone(
    suite_store: tuple[Store, pa.Table], cluster: SparkSession
) -> None:
    from seawatch.engine._spark import run_detectors_spark

    store, local = suite_store
    got = run_detectors_spark(store, spark=cluster, write=False)
    assert_same(local, got)


def test_killed_executor_retried_store_complete(
    small: tuple[Store, pa.Table], cluster: SparkSession, tmp_path: Path
) -> None:
    """An executor killed mid-job (its JVM, by the first bucket task): Spark reruns the
    lost tasks on a new executor; the store holds every event once."""
    from seawatch.engine._spark import run_detectors_spark

    src, local = small
    shutil.copytree(src.root, tmp_path / "store")
    store = open_store(tmp_path / "store")
    marker = tmp_path / "kill-once"
    marker.write_text("kill the first executor that runs a bucket\n")
    run_detectors_spark(store, spark=cluster, geo=WORLD, buckets=4, _kill_executor_once=marker)
    assert not marker.exists()  # an executor was killed
    stored = open_store(tmp_path / "store").events()
    ids = stored.column("event_id").to_pylist()
    assert len(ids) == len(set(ids))  # nothing duplicated
    assert sorted(ids) == sorted(local.column("event_id").to_pylist())  # nothing lost
