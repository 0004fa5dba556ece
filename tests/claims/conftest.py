"""Fixtures: the hand-made claims store (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.claims._claimstore import build


@pytest.fixture(scope="session")
def claim_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("claims") / "store")
