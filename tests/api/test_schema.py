"""Property-based run of the OpenAPI schema (schemathesis, in-process through ASGI): for any
generated request, no server error and every response conforms to the documented schema
(including the one error shape for 4xx). Bounded: a few dozen examples per operation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from seawatch.api import create_app

MAX_EXAMPLES = 20
# geography answers are larger and slower to check; fewer examples there
GEO_MAX_EXAMPLES = 5
# A schema-valid request may still be refused with 422 when its values contradict each other
# (until < since) or lie out of range (a bbox latitude of 400): that is correct, so the
# "positive data must be accepted" check is left out; every other check runs.
GEO_PROBES = {
    "/api/zones": "/api/zones?name=caribbean",
    "/api/land": "/api/land?detail=low",
    "/api/presence": "/api/presence?country=VE",
}
# /api/land has one three-valued parameter and answers megabytes of GeoJSON that take
# seconds to check against the schema each time; test_api.py checks it directly.
SKIP = {"/api/land"}
EXCLUDED = [schemathesis.checks.positive_data_acceptance]


def test_api_conforms_to_its_schema(store_dir: Path) -> None:
    app = create_app(store_dir)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 10
    with TestClient(app) as client:
        # until the bundled geography lands, its endpoints answer 503 (tested in test_errors)
        no_geo = {
            path for path, probe in GEO_PROBES.items() if client.get(probe).status_code == 503
        }

    for operation in operations:
        if operation.path in no_geo or operation.path in SKIP:
            continue
        n = GEO_MAX_EXAMPLES if operation.path in GEO_PROBES else MAX_EXAMPLES

        @given(case=operation.as_strategy())
        @settings(
            max_examples=n,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(excluded_checks=EXCLUDED)

        run()
