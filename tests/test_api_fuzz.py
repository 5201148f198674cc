"""Property-based fuzzing of the HTTP API from its own OpenAPI schema (schemathesis), over every endpoint, with the
real index: no 5xx, every 4xx a French {"detail"}, every response as the schema documents it. Bounded and
derandomised, so the run is the same in CI and here."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
except ImportError:
    from api_fixtures import *  # noqa: F401,F403

# English or technical words that must never reach a client (the same list as tests/test_api.py).
LEAKS = ("Traceback", 'File "', "Error:", "Exception", "field required", "Input should", "Not Found", "parsing the body")
FRENCH = set("le la les de du des un une est sont doit pas et ou en au aux dans pour sur champ requête invalide".split())
ENGLISH = set("the is are not be must should field required error invalid missing value body request found".split())



def _schema():
    """The schema as the service publishes it (it does not depend on the index: an app without one serves it)."""
    import tempfile
    from pathlib import Path

    from api.app import create_app
    from assistant.config import PROJECT_ROOT, Settings

    empty = Path(tempfile.mkdtemp(prefix="pacte-fuzz-"))
    app = create_app(Settings(corpus_dir=PROJECT_ROOT / "corpus", index_dir=empty, cache_dir=empty / "cache"))
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


# What a schema cannot say, and the API answers with a documented French 4xx for data the schema lets through:
# - /api/check: whether a file is a contract (its actions, amounts, axes) is the rule engine's business, and an
#   unreadable one is a 422 (a file of another format a 415);
# - /api/documents/{id}: the lines must exist in that document, end >= start, and at most 500 of them at once;
# - /api/audit: whether a file is a contract document is the audit's business (an unknown document id a 404, a file
#   of another format a 415, an unreadable one a 422).
# Adding and removing documents (POST /api/documents, DELETE /api/documents/{id}) change the corpus: they are tested
# on a private corpus in tests/test_documents_api.py, not fuzzed against the shipped one.
CONFIG = schemathesis.Config.from_str(
    """
[[operations]]
include-path = "/api/check"
checks.positive_data_acceptance.expected-statuses = ["2xx", 413, 415, 422]

[[operations]]
include-path-regex = "^/api/documents/"
checks.positive_data_acceptance.expected-statuses = ["2xx", 404, 422]
[[operations]]
include-path = "/api/audit"
checks.positive_data_acceptance.expected-statuses = ["2xx", 404, 413, 415, 422]
"""
)


schema = _schema()


@pytest.fixture(scope="module")
def indexed_app(built_index, api_services):
    """The app the cases are sent to: the real index behind it, so /api/ask and /api/eligibility answer."""
    from api.app import create_app

    return create_app(built_index, services=api_services)


def french_error_detail(ctx, response, case):
    """Every 4xx is exactly {"detail": "<French message>"}, naming no library and leaking no trace."""
    if not 400 <= response.status_code < 500:
        return
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"detail"} and isinstance(body["detail"], str), body
    detail = body["detail"]
    assert detail and not any(leak in detail for leak in LEAKS), detail
    ours = re.sub(r"«[^»]*»|/\S*", " ", detail)  # what the client sent is echoed between « » (paths as they are)
    words = set(re.findall(r"[a-zà-ÿ]+", ours.lower()))
    assert words & FRENCH and not words & ENGLISH, detail


@schema.exclude(method=["POST", "DELETE"], path_regex="^/api/documents").parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_api_holds_its_schema_under_fuzzing(case, indexed_app):
    case.call_and_validate(additional_checks=[french_error_detail], app=indexed_app)
