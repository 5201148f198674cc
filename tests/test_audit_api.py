"""POST /api/audit: a corpus document by its id, or an uploaded file; French errors; the same report as the CLI."""

from __future__ import annotations

import pytest

from assistant.audit.report import audit
from assistant.config import PROJECT_ROOT

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .test_api import assert_french_error
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from test_api import assert_french_error

DATASET = PROJECT_ROOT / "eval" / "datasets" / "audit"


def test_a_corpus_document_is_audited_by_its_id(bare_client):
    resp = bare_client.post("/api/audit", json={"document": "pas-de-calais-contrat-2024", "axes": False})
    assert resp.status_code == 200, resp.text
    report = resp.json()
    expected = audit("pas-de-calais-contrat-2024", eligibility=False).to_dict()
    assert report["findings"] == expected["findings"]
    def bare(rule):  # what the service adds for the page: the rule's and the cited document's titles
        rule = {k: v for k, v in rule.items() if k != "rule_title"}
        if isinstance(rule.get("citation"), dict):
            rule["citation"] = {k: v for k, v in rule["citation"].items() if k != "doc_title"}
        return rule

    assert [bare(r) for r in report["rules"]] == [bare(r) for r in expected["rules"]]
    assert all(r["rule_title"] for r in report["rules"])
    assert report["in_corpus"] is True and report["excerpts"] == {}


def test_without_an_index_the_axes_are_skipped_with_a_note(bare_client):
    report = bare_client.post("/api/audit", json={"document": "pas-de-calais-contrat-2024"}).json()
    assert any("axes non vérifiés" in n for n in report["notes"])
    assert report["summary"]["actions"] == 11


@pytest.mark.parametrize("name", ["deliberation-haut-verdon-2024.txt", "annexe10-metropole-rivemont-2024.xlsx",
                                  "synthese-regionale-2024.md"])
def test_an_uploaded_document_gets_the_lines_around_each_citation(bare_client, name):
    data = (DATASET / name).read_bytes()
    report = bare_client.post("/api/audit", files={"file": (name, data)}, data={"axes": "false"}).json()
    expected = audit((data, name), eligibility=False).to_dict()
    assert report["findings"] == expected["findings"] and report["findings"]
    assert report["in_corpus"] is False
    excerpt = report["excerpts"][name]
    for finding in report["findings"]:
        for c in finding["citations"]:
            assert all(str(n) in excerpt for n in range(c["line_start"], c["line_end"] + 1))


def test_the_audit_with_the_index_reports_the_axis_of_the_mobility_action(api_client):
    report = api_client.post("/api/audit", json={"document": "pas-de-calais-contrat-2024"}).json()
    axis = [f for f in report["findings"] if f["kind"] == "axis_mismatch"]
    assert [(f["action"], f["stated"], f["computed"]) for f in axis] == [("4.2", 4, 2)]


def test_a_client_cannot_read_a_server_file_through_the_audit(bare_client):
    assert_french_error(bare_client.post("/api/audit", json={"document": str(PROJECT_ROOT / "README.md")}), 422,
                        "pas un document du corpus")


@pytest.mark.parametrize("kwargs,status,words", [
    ({"json": {"documen": "x"}}, 422, ["document"]),
    ({"json": {"document": ""}}, 422, ["document"]),
    ({"content": b"{", "headers": {"Content-Type": "application/json"}}, 422, ["JSON"]),
    ({"content": b"x", "headers": {"Content-Type": "text/plain"}}, 415, ["multipart"]),
    ({"files": {"file": ("contrat.pdf", b"%PDF-1.4")}}, 415, ["contrat.pdf", "pacte corpus add"]),
    ({"files": {"file": ("vide.txt", b"  ")}}, 422, ["vide"]),
    ({"files": {"file": ("note.txt", "Une note sans tableau ni fiche.".encode())}}, 422, ["aucun contrat lisible"]),
    ({"json": {"document": "instruction-2023-168", "axes": False}}, 422, ["aucun contrat lisible"]),
])
def test_bad_requests_are_french_4xx(bare_client, kwargs, status, words):
    assert_french_error(bare_client.post("/api/audit", **kwargs), status, *words)


def test_an_upload_over_2_mo_is_413(bare_client):
    big = b"x" * (2 * 1024 * 1024 + 10)
    assert_french_error(bare_client.post("/api/audit", files={"file": ("gros.txt", big)}), 413, "2 Mo")


def test_the_endpoint_is_documented_in_french(bare_client):
    schema = bare_client.get("/openapi.json").json()
    post = schema["paths"]["/api/audit"]["post"]
    assert post["summary"] == "Auditer un document de contrat"
    assert {"application/json", "multipart/form-data"} <= set(post["requestBody"]["content"])
