"""The HTTP API, through FastAPI's TestClient (httpx): every endpoint, every error path.

Errors are always JSON {"detail": "<French message>"}, never a traceback. The tests that need answers use
the session's real index (`built_index`); the others run against the real corpus without an index.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import BODY_LIMIT, create_app
from api.services import Services
from assistant.config import MAX_QUESTION_CHARS, MAX_UPLOAD_BYTES, PROJECT_ROOT
from assistant.corpus import load_corpus

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
except ImportError:
    from api_fixtures import *  # noqa: F401,F403

EXAMPLE_YAML = PROJECT_ROOT / "examples" / "pas-de-calais-2024.yaml"
EXAMPLE_XLSX = PROJECT_ROOT / "examples" / "pas-de-calais-2024.xlsx"
EXAMPLE_CSV = PROJECT_ROOT / "examples" / "pas-de-calais-2024.csv"
ZFE_QUESTION = "Une métropole peut-elle financer l'aide à l'achat d'un véhicule propre en ZFE avec le pacte ?"
OUT_OF_SCOPE = "Quelle est la recette de la tarte tatin ?"
VERDICTS = {"eligible", "eligible_with_conditions", "excluded", "not_in_referential"}

# English or technical words that must never reach a client.
LEAKS = ("Traceback", 'File "', "Error:", "Exception", "field required", "Input should", "Not Found")


def assert_french_error(resp, status: int, *words: str) -> str:
    """The response is `status` with exactly {"detail": str}, French, naming `words`, leaking nothing."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str), body
    detail = body["detail"]
    for leak in LEAKS:
        assert leak not in detail, detail
    for word in words:
        assert word in detail, detail
    return detail


def collapse(text: str) -> str:
    return " ".join(text.split())


def small_contract(state: int = 60_000, collectivity: int = 40_000) -> dict:
    """A one-action métropole contract whose State share exceeds the collectivity's (parity violation)."""
    return {
        "collectivite": {"nom": "Métropole d'essai", "type": "metropole"},
        "annee": 2024,
        "plafonds_etat": {1: state, 2: 0, 3: 0, 4: 0},
        "actions": [
            {
                "id": "A1",
                "axe": 1,
                "intitule": "Accueil des familles",
                "statut": "nouvelle",
                "financement": {"etat": state, "collectivite": collectivity},
                "indicateurs": [{"libelle": "Familles accueillies", "t0": 0, "cibles": {2024: 10, 2025: 20, 2026: 30, 2027: 40}}],
            }
        ],
    }


# --- the page ------------------------------------------------------------------------------------


def test_the_chat_page_is_french_self_contained_and_protected_by_a_strict_csp(bare_client):
    resp = bare_client.get("/")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in resp.text
    csp = resp.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["x-content-type-options"] == "nosniff"
    # No CDN, no web font, no external script: nothing in the page or its assets points elsewhere.
    for name in ("index.html", "app.css", "app.js"):
        asset = bare_client.get(f"/static/{name}")
        assert asset.status_code == 200, name
        assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", asset.text.replace("//www.w3.org", "")), name
        assert "@import" not in asset.text and "@font-face" not in asset.text


def test_openapi_schema_documents_every_endpoint_in_french(bare_client):
    schema = bare_client.get("/openapi.json").json()
    assert {"/api/ask", "/api/eligibility", "/api/check", "/api/indicators", "/api/documents/{doc_id}", "/api/health"} <= set(
        schema["paths"]
    )
    ask = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert "en français" in ask["question"]["description"] and ask["question"]["maxLength"] == MAX_QUESTION_CHARS
    check_body = schema["paths"]["/api/check"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/yaml", "multipart/form-data"} <= set(check_body)
    # The interactive docs would load Swagger UI from a CDN: they are off, the service stays offline.
    assert_french_error(bare_client.get("/docs"), 404, "Ressource introuvable")


def test_unknown_routes_and_methods_answer_in_french(bare_client):
    assert_french_error(bare_client.get("/api/nope"), 404, "Ressource introuvable", "/api/nope")
    assert_french_error(bare_client.get("/static/absent.js"), 404)
    assert_french_error(bare_client.delete("/api/ask"), 405, "Méthode HTTP non autorisée")


# --- documents -----------------------------------------------------------------------------------


def test_documents_returns_the_exact_numbered_lines_and_their_section(bare_client, corpus):
    body = bare_client.get("/api/documents/instruction-2023-168", params={"start": 1185, "end": 1189}).json()
    doc = corpus["instruction-2023-168"]
    assert body["doc_title"] == doc.title and body["total_lines"] == len(doc.lines)
    assert [line["number"] for line in body["lines"]] == [1185, 1186, 1187, 1188, 1189]
    assert [line["text"] for line in body["lines"]] == list(doc.lines[1184:1189])
    assert "aides à l'achat de véhicules dans le cadre des ZFE" in body["lines"][2]["text"]
    section = body["section"]
    assert section["line_start"] <= 1185 <= section["line_end"]
    # The section is the one of the parsed tree: its title is written on its heading line.
    assert section["title"] in doc.lines[section["line_start"] - 1].replace("*", "")
    assert section["path"][-1] == section["title"]
    assert section["path"][-1] == section["title"]


def test_documents_clips_the_end_to_the_last_line(bare_client, corpus):
    total = len(corpus["bfc-visio-2024-04-11"].lines)
    body = bare_client.get("/api/documents/bfc-visio-2024-04-11", params={"start": total - 1, "end": total + 50}).json()
    assert (body["start"], body["end"]) == (total - 1, total) and len(body["lines"]) == 2


@pytest.mark.parametrize(
    "url, status, words",
    [
        ("/api/documents/circulaire-inconnue", 404, ("Document inconnu", "circulaire-inconnue", "instruction-2023-168")),
        ("/api/documents/instruction-2023-168?start=0", 422, ("« start »", "supérieur ou égal à 1")),
        ("/api/documents/instruction-2023-168?start=abc", 422, ("« start »", "nombre entier")),
        ("/api/documents/instruction-2023-168?start=99999", 422, ("99999", "n'existe pas")),
        ("/api/documents/instruction-2023-168?start=20&end=10", 422, ("précède",)),
        ("/api/documents/instruction-2023-168?start=1&end=2000", 422, ("500 lignes",)),
    ],
)
def test_documents_errors(bare_client, url, status, words):
    assert_french_error(bare_client.get(url), status, *words)


# --- check ----------------------------------------------------------------------------------------


def test_check_a_json_body_reports_the_parity_violation_with_its_paragraph(bare_client):
    resp = bare_client.post("/api/check", json=small_contract())
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["ok"] is False
    parity = [r for r in body["results"] if r["rule"] == "parity" and r["action"] == "A1"]
    assert [r["verdict"] for r in parity] == ["violation"]
    assert parity[0]["citation"]["doc_id"] == "instruction-2023-168" and parity[0]["message"]


def test_check_the_same_contract_as_json_yaml_text_or_uploaded_file_gives_the_same_results(bare_client):
    contract = small_contract(state=50_000, collectivity=50_000)
    as_json = bare_client.post("/api/check", json=contract).json()
    as_yaml = bare_client.post(
        "/api/check", content=yaml.safe_dump(contract, allow_unicode=True).encode(), headers={"Content-Type": "application/yaml"}
    ).json()
    as_file = bare_client.post("/api/check", files={"file": ("contrat.json", json.dumps(contract).encode(), "application/json")}).json()
    assert as_json == as_yaml == as_file
    assert not [r for r in as_json["results"] if r["rule"] == "parity" and r["verdict"] == "violation"]


def test_check_the_pas_de_calais_example_passes_from_yaml_xlsx_and_csv(bare_client):
    from_yaml = bare_client.post("/api/check", files={"file": (EXAMPLE_YAML.name, EXAMPLE_YAML.read_bytes())})
    assert from_yaml.status_code == 200, from_yaml.text
    body = from_yaml.json()
    assert body["ok"] is True, [r for r in body["results"] if r["verdict"] == "violation"]
    assert body["results"] and not [r for r in body["results"] if r["verdict"] == "violation"]
    # The Annexe-10 spreadsheet with its volets and indicators tables gives the same report as XLSX or CSV.
    for table in (EXAMPLE_XLSX, EXAMPLE_CSV):
        other = bare_client.post("/api/check", files={"file": (table.name, table.read_bytes())})
        assert other.status_code == 200, other.text
        assert other.json() == body, table.name


def test_check_says_what_it_read_and_which_document_each_rule_cites(bare_client, corpus):
    body = bare_client.post("/api/check", files={"file": (EXAMPLE_YAML.name, EXAMPLE_YAML.read_bytes())}).json()
    contract = yaml.safe_load(EXAMPLE_YAML.read_text(encoding="utf-8"))
    assert body["contract"] == {
        "nom": contract["collectivite"]["nom"], "type": "departement", "annee": 2024,
        "actions": [{"id": a["id"], "axe": a["axe"], "intitule": a["intitule"]} for a in contract["actions"]],
    }
    for r in body["results"]:
        assert r["citation"]["doc_title"] == corpus[r["citation"]["doc_id"]].title


@pytest.mark.parametrize(
    "files, words",
    [
        ({"file": ("contrat.yaml", b"collectivite: [\n  nom: x\n")}, ("YAML invalide", "ligne")),
        ({"file": ("contrat.json", b'{"collectivite": ')}, ("JSON invalide",)),
        ({"file": ("contrat.yaml", b"   \n")}, ("vide",)),
        ({"file": ("contrat.xlsx", b"PK\x03\x04 pas un classeur")}, ()),
        ({"other": ("contrat.yaml", b"annee: 2024")}, ("« file »",)),
    ],
)
def test_check_malformed_uploads_are_422_with_a_french_message(bare_client, files, words):
    assert_french_error(bare_client.post("/api/check", files=files), 422, *words)


def test_check_an_invalid_contract_names_the_field(bare_client):
    contract = small_contract()
    contract["actions"][0]["axe"] = 7
    detail = assert_french_error(bare_client.post("/api/check", json=contract), 422)
    assert "axe" in detail


def test_check_refuses_unknown_formats_and_content_types(bare_client):
    assert_french_error(bare_client.post("/api/check", files={"file": ("contrat.pdf", b"%PDF-1.4")}), 415, "contrat.pdf", "YAML")
    assert_french_error(
        bare_client.post("/api/check", content=b"annee: 2024", headers={"Content-Type": "application/octet-stream"}), 415, "multipart"
    )
    assert_french_error(bare_client.post("/api/check", content=b"", headers={"Content-Type": "application/json"}), 422, "vide")


def test_uploads_over_2_mb_are_refused_with_413(bare_client):
    # A file just over the limit inside a small enough request, checked by the endpoint ...
    just_over = b"#" * (MAX_UPLOAD_BYTES + 1)
    assert_french_error(bare_client.post("/api/check", files={"file": ("gros.yaml", just_over)}), 413, "2 Mo")
    # ... a request whose declared length is over the limit, refused before reading it ...
    assert_french_error(
        bare_client.post("/api/check", content=b"x" * (BODY_LIMIT + 1), headers={"Content-Type": "application/json"}), 413, "2 Mo"
    )

    # ... and a chunked body without a length, cut as soon as it passes the limit.
    def chunks():
        for _ in range(BODY_LIMIT // 65536 + 2):
            yield b"y" * 65536

    assert_french_error(bare_client.post("/api/check", content=chunks(), headers={"Content-Type": "application/yaml"}), 413, "2 Mo")


# --- indicators -----------------------------------------------------------------------------------


def test_indicators_of_one_axis(bare_client, corpus):
    body = bare_client.get("/api/indicators", params={"axe": 4}).json()
    assert body["axe"] == 4 and body["indicators"]
    assert {item["axis"] for item in body["indicators"]} == {4}
    lines = corpus["instruction-2023-168"].lines
    first = body["indicators"][0]
    cited = collapse(" ".join(lines[first["line_start"] - 1 : first["line_end"]]))
    assert collapse(first["indicator"]).strip("*") in cited.replace("*", "")
    every_axis = bare_client.get("/api/indicators").json()
    assert every_axis["axe"] is None and {i["axis"] for i in every_axis["indicators"]} == {1, 2, 3, 4}


@pytest.mark.parametrize("axe, words", [("9", ("« axe »", "inférieur ou égal à 4")), ("deux", ("« axe »", "nombre entier"))])
def test_indicators_bad_axis(bare_client, axe, words):
    assert_french_error(bare_client.get("/api/indicators", params={"axe": axe}), 422, *words)


# --- validation of ask / eligibility (no index needed: refused before any work) -------------------


@pytest.mark.parametrize(
    "payload, words",
    [
        ({}, ("« question »", "obligatoire")),
        ({"question": ""}, ("« question »", "vide")),
        ({"question": "   \n "}, ("« question »", "vide")),
        ({"question": 42}, ("« question »", "chaîne de caractères")),
        ({"question": "x" * (MAX_QUESTION_CHARS + 1)}, ("2\u202f000 caractères", "2\u202f001 reçus")),
        ({"question": "Et pour une métropole ?", "history": [{"answer": "Oui."}]}, ("« history[0].question »", "obligatoire")),
        ({"question": "Et pour une métropole ?", "history": "oui"}, ("« history »", "liste")),
        ({"question": "Éligible ?", "verdict": "eligible"}, ("« verdict »", "pas attendu")),
    ],
)
def test_ask_validation_errors_are_french_and_name_the_field(bare_client, payload, words):
    assert_french_error(bare_client.post("/api/ask", json=payload), 422, *words)


def test_a_question_of_exactly_2000_characters_passes_validation(bare_client):
    # Without an index it then fails with 503, not 422: the limit is inclusive.
    resp = bare_client.post("/api/ask", json={"question": "é" * MAX_QUESTION_CHARS})
    assert resp.status_code == 503


def test_malformed_json_bodies(bare_client):
    assert_french_error(
        bare_client.post("/api/ask", content=b'{"question": ', headers={"Content-Type": "application/json"}),
        422,
        "JSON valide",
    )
    assert_french_error(bare_client.post("/api/ask", json=["une", "liste"]), 422, "objet JSON")


# Found by tests/test_api_fuzz.py (schemathesis): kept as regressions.


@pytest.mark.parametrize(
    "path, body, content_type",
    [
        ("/api/ask", b'{"question": "\xff\xfe"}', "application/json"),  # not UTF-8: Starlette's English 400 before
        ("/api/eligibility", b"Z\xff", "application/json"),
        ("/api/check", b"--x\r\n", "multipart/form-data"),  # no boundary: "Missing boundary in multipart."
    ],
)
def test_bodies_the_framework_cannot_read_are_a_french_422(bare_client, path, body, content_type):
    detail = assert_french_error(bare_client.post(path, content=body, headers={"Content-Type": content_type}), 422)
    assert "illisible" in detail and "parsing" not in detail and "boundary" not in detail


@pytest.mark.parametrize("blank", ["   ", "\x00", "\x1c\x1d", "\ufeff", "\u2028\u3000"])
def test_a_question_of_invisible_characters_is_empty_for_the_schema_and_the_validation_alike(bare_client, blank):
    """The schema's pattern says what the validation refuses: a client trusting /openapi.json is never surprised."""
    import re as regex

    schema = bare_client.get("/openapi.json").json()["components"]["schemas"]
    for model, field in (("AskRequest", "question"), ("EligibilityRequest", "description")):
        pattern = schema[model]["properties"][field]["pattern"]
        assert not regex.search(pattern, blank) and regex.search(pattern, f"{blank}SLIME+{blank}")
    assert_french_error(bare_client.post("/api/ask", json={"question": blank}), 422, "« question »", "vide")
    assert_french_error(bare_client.post("/api/eligibility", json={"description": blank}), 422, "« description »", "vide")


def test_the_schema_names_the_corpus_documents(bare_client, corpus):
    schema = bare_client.get("/openapi.json").json()
    doc_id = next(p for p in schema["paths"]["/api/documents/{doc_id}"]["get"]["parameters"] if p["name"] == "doc_id")
    assert doc_id["schema"]["examples"] == list(corpus)


@pytest.mark.parametrize(
    "payload, words",
    [
        ({"collectivite": "metropole"}, ("« description »", "obligatoire")),
        ({"description": "Aide alimentaire", "collectivite": "commune"}, ("« collectivite »", "'metropole' ou 'departement'")),
    ],
)
def test_eligibility_validation_errors(bare_client, payload, words):
    assert_french_error(bare_client.post("/api/eligibility", json=payload), 422, *words)


def test_without_an_index_questions_get_503_and_health_says_why(bare_client):
    detail = assert_french_error(bare_client.post("/api/ask", json={"question": ZFE_QUESTION}), 503, "pacte index")
    health = bare_client.get("/api/health").json()
    assert health["status"] == "degraded" and health["assistant_loaded"] is False
    assert health["index"]["ok"] is False and health["index"]["message"] == detail
    # The contract check and the corpus do not need the index.
    assert bare_client.post("/api/check", json=small_contract()).status_code == 200


# --- API key, CORS ---------------------------------------------------------------------------------


def test_api_key_is_required_on_api_routes_when_configured(bare_settings):
    settings = dataclasses.replace(bare_settings, api_key="cle-secrete-de-test")
    with TestClient(create_app(settings)) as client:
        for resp in (client.get("/api/health"), client.post("/api/check", json=small_contract())):
            assert_french_error(resp, 401, "Clé d'API", "X-API-Key")
            assert resp.headers["www-authenticate"].startswith("Bearer")
        assert_french_error(client.get("/api/health", headers={"X-API-Key": "mauvaise"}), 401)
        assert client.get("/api/health", headers={"X-API-Key": "cle-secrete-de-test"}).status_code == 200
        assert client.get("/api/health", headers={"Authorization": "Bearer cle-secrete-de-test"}).status_code == 200
        # The page itself stays reachable: it asks for the key.
        assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200
        assert client.get("/api/health", headers={"X-API-Key": "cle-secrete-de-test"}).json()[
            "api_key_required"
        ] is True


def test_cors_is_off_by_default(bare_client):
    origin = {"Origin": "https://ailleurs.example"}
    preflight = bare_client.options(
        "/api/ask", headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    )
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in bare_client.get("/api/health", headers=origin).headers


# --- unexpected failures and timeouts ----------------------------------------------------------------


class _Broken(Services):
    def indicators(self, axe=None):
        raise RuntimeError("secret interne: /etc/passwd ligne 3")


class _Slow(Services):
    """ask() blocks until released: a request that exceeds the timeout."""

    release = threading.Event()

    def ask(self, question, history=None):
        self.release.wait(30)
        return {}


def test_an_unexpected_failure_is_a_french_500_without_internals(bare_settings):
    app = create_app(bare_settings, services=_Broken(bare_settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        detail = assert_french_error(client.get("/api/indicators"), 500, "Erreur interne")
        assert "secret" not in detail and "passwd" not in detail and "RuntimeError" not in detail


def test_a_request_over_the_timeout_is_a_french_504_and_the_queue_is_bounded(bare_settings):
    settings = dataclasses.replace(bare_settings, request_timeout_s=0.2)
    services = _Slow(settings, concurrency=1)
    try:
        with TestClient(create_app(settings, services=services)) as client:
            assert_french_error(client.post("/api/ask", json={"question": ZFE_QUESTION}), 504, "délai", "0,2 s")
            # The first call still holds the only slot: the next one gives up waiting, also with a 504.
            assert_french_error(client.post("/api/ask", json={"question": ZFE_QUESTION}), 504, "délai")
    finally:
        _Slow.release.set()


# --- with the real index -------------------------------------------------------------------------------


def _verbatim(citation: dict, documents) -> bool:
    doc = documents[citation["doc_id"]]
    span = "\n".join(doc.lines[citation["line_start"] - 1 : citation["line_end"]])
    return collapse(citation["quote"]) in collapse(span)


@pytest.fixture(scope="module")
def documents():
    return load_corpus(PROJECT_ROOT / "corpus")


def test_ask_answers_the_zfe_question_excluded_with_verbatim_citations(api_client, documents):
    resp = api_client.post("/api/ask", json={"question": ZFE_QUESTION})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["question"] == ZFE_QUESTION and body["abstained"] is False
    assert body["verdict"] == "excluded"
    assert body["citations"] and len(body["hits"]) >= 10
    for c in body["citations"]:
        assert _verbatim(c, documents), c
        assert f"[{c['id']}]" in body["answer"]
    assert any(c["line_start"] <= 1187 <= c["line_end"] for c in body["citations"])
    # The panel's call: the cited lines, with context, contain the quote.
    c = body["citations"][0]
    excerpt = api_client.get(f"/api/documents/{c['doc_id']}", params={"start": max(1, c["line_start"] - 4), "end": c["line_end"] + 4}).json()
    assert collapse(c["quote"]) in collapse("\n".join(line["text"] for line in excerpt["lines"]))


def test_ask_with_history_resolves_a_follow_up(api_client):
    first = api_client.post("/api/ask", json={"question": ZFE_QUESTION}).json()
    resp = api_client.post(
        "/api/ask", json={"question": "Et pour un département ?", "history": [{"question": ZFE_QUESTION, "answer": first["answer"]}]}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["abstained"] is False and body["citations"]


def test_a_follow_up_and_the_turn_it_follows_may_each_be_as_long_as_a_question(api_client):
    """Within the schema's limits, each; together they exceed one question's: still answered, not a 422."""
    turn = {"question": ("Une métropole peut-elle financer un SLIME+ avec le pacte ? " * 40)[:MAX_QUESTION_CHARS], "answer": ""}
    question = ("Et pour un département qui cofinance avec le FSE+ ? " * 50)[:MAX_QUESTION_CHARS]
    resp = api_client.post("/api/ask", json={"question": question, "history": [turn]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["question"] == " ".join(question.split())


def test_ask_abstains_on_a_question_the_corpus_does_not_cover(api_client):
    body = api_client.post("/api/ask", json={"question": OUT_OF_SCOPE}).json()
    assert body["abstained"] is True and body["answer"]


def test_eligibility_of_an_action(api_client):
    resp = api_client.post(
        "/api/eligibility",
        json={"description": "Aide à l'achat d'un véhicule propre pour les ménages modestes en zone à faibles émissions", "collectivite": "metropole"},
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["verdict"] == "excluded"
    assert body["sections"] and body["sections"][0]["axis"] == 4


def test_health_with_the_index(api_client, documents):
    body = api_client.get("/api/health").json()
    assert body["status"] == "ok" and body["assistant_loaded"] is True and body["index"]["ok"] is True
    assert body["corpus"] == {doc_id: doc.sha256 for doc_id, doc in documents.items()}
    assert body["version"] and body["embedder"]
    # Which build this worker answers from, and what the index check verified (files and collections).
    assert body["worker"]["build"] == body["index"]["build"] and body["worker"]["pid"] > 0
    assert set(body["index"]["collections"]) >= {"chunks"} and body["index"]["files"]


# --- `pacte serve` ---------------------------------------------------------------------------------------


def test_pacte_serve_starts_uvicorn_on_the_configured_loopback_port(bare_settings):
    """The real entry point, as `make serve` runs it; without an index it still serves, and says why."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PACTE_INDEX_DIR": str(bare_settings.index_dir), "PACTE_PORT": str(port)}
    env.pop("PACTE_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--log-level", "warning"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        health = None
        for _ in range(300):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).json()
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.1)
        assert health is not None and health["status"] == "degraded"
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/" in err
    assert "pacte index" in err and "Traceback" not in err


def test_serve_help_is_french():
    from click.testing import CliRunner

    from api.cli import serve_cmd

    out = CliRunner().invoke(serve_cmd, ["--help"]).output
    assert "Sert l'API et la page de conversation" in out and "PACTE_PORT" in out
