"""schemathesis against the gateway's own OpenAPI description (/openapi.json of the running
app): generated requests to every operation, valid and invalid, never get a 5xx.

The gateway runs with the demo partners and a short deadline; the number of examples per
operation is bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from federator.api.app import create_app
from federator.config import load_settings
from federator.demo.sru_app import demo_catalog
from tests.support.servers import serve_app

EXAMPLES = 60


@pytest.fixture(scope="module")
def gateway_url():
    mp = pytest.MonkeyPatch()
    mp.setenv("FEDERATOR_ADMIN_TOKEN", "fuzz-admin-token")  # so the admin endpoints check tokens, not refuse
    base = load_settings()
    for partner in base.partners:
        demo_catalog(partner).load()
    settings = base.model_copy(update={"search": base.search.model_copy(update={"deadline": 2.0})})
    try:
        with serve_app(factory=lambda url: create_app(settings, gateway_url=url)) as url:
            yield url
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def api_schema(gateway_url):
    return schemathesis.openapi.from_url(f"{gateway_url}/openapi.json")


def test_no_server_errors(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert {"/search", "/records/{record_id}", "/partners", "/health", "/ready", "/admin/reload"} <= paths
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_5xx(case):
            response = case.call(timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        no_5xx()
