"""Fixtures for the browser tests: a store, ``seawatch serve`` on a free port, Chromium."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path(os.environ.get("SEAWATCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # software WebGL for MapLibre when there is no GPU
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]


def _load_apistore() -> Any:
    spec = importlib.util.spec_from_file_location(
        "_web_apistore", HERE.parent / "api" / "_apistore.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


apistore = _load_apistore()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root: Path = apistore.build_store(tmp_path_factory.mktemp("web-store") / "store")
    return root


@contextlib.contextmanager
def serve(store: Path) -> Iterator[str]:
    """``seawatch serve`` in a subprocess on a free 127.0.0.1 port; yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "seawatch", "serve", "--store", str(store), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/api/facets", timeout=5) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"seawatch serve did not start: {out}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


@pytest.fixture(scope="session")
def server(web_store: Path) -> Iterator[str]:
    """The API and map over the hand-made fixture store."""
    with serve(web_store) as url:
        yield url


def _seawatch(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "seawatch", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"seawatch {' '.join(args)} failed: {done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API and map over the demo store, built by ``seawatch demo`` as a newcomer would:
    the real NOAA sample and the simulated Caribbean standoff, every detector run."""
    store = tmp_path_factory.mktemp("demo") / "store"
    _seawatch("demo", "--store", str(store))
    with serve(store) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # CI sets SEAWATCH_REQUIRE_BROWSER=1: there a missing browser fails instead of skipping.
    required = os.environ.get("SEAWATCH_REQUIRE_BROWSER") == "1"
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found (apt-get install -y chromium)"
        if required:
            pytest.fail(message)
        pytest.skip(message)
    if required:
        import playwright.sync_api as sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    pg.on("request", lambda req: requests.append(req.url))
    pg.errors = errors
    pg.requests = requests
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def det_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture store with satellite detections matched by the real matcher and two
    checked claims (:mod:`tests.api._detstore`)."""
    from tests.api._detstore import build_detection_store

    root: Path = build_detection_store(tmp_path_factory.mktemp("det-web-store") / "store")
    return root


@pytest.fixture(scope="session")
def det_server(det_store: Path) -> Iterator[str]:
    """The API and map over :func:`det_store`."""
    with serve(det_store) as url:
        yield url
