"""Property-based runs of the OpenAPI schema (schemathesis, in-process through ASGI) over
every operation: valid requests (positive) and invalid ones (negative). For any generated
request, no server error, and every response conforms to the documented schema (including
the one error shape for 4xx). The default run is bounded (a few examples per operation);
``-m slow`` runs many more. Each run prints its counts (``pytest -s``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from seawatch.api import create_app

BASE = "http://127.0.0.1"  # the API answers only requests that name it (Host check)
TOKEN = "fuzz-token-0123456789abcdef"
# geography answers are larger and slower to check; fewer examples there
GEO_PROBES = {
    "/api/zones": "/api/zones?name=caribbean",
    "/api/land": "/api/land?detail=low",
    "/api/presence": "/api/presence?country=VE",
}
# /api/land has one three-valued parameter and answers megabytes of GeoJSON that take
# seconds to check against the schema each time; test_api.py checks it directly.
# /api/changes/stream is an endless server-sent-event stream (a client ends it): a fuzzer's
# request would wait for its end; tests/live/test_api_live.py reads it as a client does.
SKIP = {"/api/land", "/api/changes/stream"}
# A schema-valid request may still be refused with 422 when its values contradict each other
# (until < since) or lie out of range (a bbox latitude of 400): that is correct, so the
# "positive data must be accepted" check is left out. Pydantic's lax parsing accepts some
# values the schema's JSON types do not (a number as a date-time: Unix seconds), so the
# "negative data must be rejected" check is left out too; every other check runs.
EXCLUDED = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.negative_data_rejection,
]


def _fuzz(
    app: FastAPI,
    *,
    max_examples: int,
    geo_max_examples: int,
    headers: dict[str, str] | None = None,
) -> Counter[str]:
    """Run every operation in both modes; returns counts: ``cases``, ``status_NNN``,
    ``server_errors`` and ``failures`` (any check that failed: the run then raises)."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", app, headers={"host": "127.0.0.1", **(headers or {})}
    )
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10
    with TestClient(app, base_url=BASE, headers=headers) as client:
        # without the bundled geography its endpoints answer 503 (tested in test_errors)
        no_geo = {
            path for path, probe in GEO_PROBES.items() if client.get(probe).status_code == 503
        }
    counts: Counter[str] = Counter()
    for operation in operations:
        if operation.path in no_geo or operation.path in SKIP:
            continue
        n = geo_max_examples if operation.path in GEO_PROBES else max_examples
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _runner(operation, mode, n, headers, counts)
            try:
                run()
            except Unsatisfiable:
                # no invalid request exists for an operation without parameters (/api/facets)
                assert mode is GenerationMode.NEGATIVE, operation.path
            except BaseException:
                counts["failures"] += 1
                raise
    return counts


def _runner(
    operation: Any,
    mode: GenerationMode,
    n: int,
    headers: dict[str, str] | None,
    counts: Counter[str],
) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        counts["cases"] += 1
        response = case.call(base_url=BASE, headers=headers)
        counts[f"status_{response.status_code}"] += 1
        if response.status_code >= 500:
            counts["server_errors"] += 1
        case.validate_response(response, excluded_checks=EXCLUDED)

    return run


def _report(name: str, counts: Counter[str]) -> None:
    statuses = ", ".join(f"{k[7:]}: {v}" for k, v in sorted(counts.items()) if k[:7] == "status_")
    print(
        f"\n{name}: {counts['cases']} cases, {counts['server_errors']} server errors, "
        f"{counts['failures']} failures ({statuses})"
    )


def test_api_conforms_to_its_schema(store_dir: Path) -> None:
    counts = _fuzz(create_app(store_dir), max_examples=10, geo_max_examples=3)
    _report("schemathesis (quick)", counts)
    assert counts["cases"] >= 100
    assert counts["server_errors"] == 0


def test_api_with_a_token_conforms_to_its_schema(store_dir: Path) -> None:
    app = create_app(store_dir, token=TOKEN)
    counts = _fuzz(
        app,
        max_examples=3,
        geo_max_examples=1,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    _report("schemathesis (token)", counts)
    assert counts["server_errors"] == 0
    assert counts["status_401"] == 0


@pytest.mark.slow
def test_api_fuzz_many_cases(store_dir: Path) -> None:
    counts = _fuzz(create_app(store_dir), max_examples=300, geo_max_examples=40)
    _report("schemathesis (slow)", counts)
    assert counts["cases"] >= 3000
    assert counts["server_errors"] == 0
