"""Fixtures: the hand-made store of ``_apistore`` and a TestClient over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from seawatch.api import create_app
from tests.api._apistore import build_store


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("api-store"))


@pytest.fixture(scope="session")
def client(store_dir: Path) -> Iterator[TestClient]:
    app = create_app(store_dir)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c
