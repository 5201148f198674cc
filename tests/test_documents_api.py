"""GET/POST /api/documents and DELETE /api/documents/{id} on a private corpus and index: an uploaded document is
answered from at once; every refusal is a 4xx with a French {"detail"} and changes nothing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

try:
    from .document_makers import encrypted_pdf, pdc_convention_lines, pdc_pdf
    from .test_user_corpus import COMITE, copy_workspace, fresh_corpus, state
except ImportError:
    from document_makers import encrypted_pdf, pdc_convention_lines, pdc_pdf
    from test_user_corpus import COMITE, copy_workspace, fresh_corpus, state


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    from assistant.index import build_index

    base = fresh_corpus(tmp_path_factory.mktemp("api-base"))
    build_index(base, progress=False)
    return copy_workspace(base, tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def client(settings):
    from api.app import create_app

    with TestClient(create_app(settings)) as c:
        yield c


def upload(client, name: str, data: bytes, **fields):
    return client.post("/api/documents", files={"file": (name, data, "application/octet-stream")}, data=fields)


def test_upload_then_ask_then_read_then_remove(client, settings):
    question = "Quand le comité de pilotage du Val d'Arlan s'est-il réuni ?"
    assert client.post("/api/ask", json={"question": question}).json()["abstained"]

    resp = upload(client, "comite.md", COMITE.encode(), territory="Val d'Arlan", kind="notes", date="2024-05-03")
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert report["action"] == "added" and report["doc_id"] == "comite" and report["chunks"] >= 1
    assert report["document"]["source"]["format"] == "markdown"

    listed = client.get("/api/documents").json()["documents"]
    assert [d["doc_id"] for d in listed][-1] == "comite" and listed[-1]["lines"] == 4

    answer = client.post("/api/ask", json={"question": question}).json()
    assert not answer["abstained"]
    cited = [c for c in answer["citations"] if c["doc_id"] == "comite"]
    assert cited and "3 mai 2024" in cited[0]["quote"]
    lines = client.get(f"/api/documents/comite?start={cited[0]['line_start']}&end={cited[0]['line_end']}").json()
    assert cited[0]["quote"] in " ".join(" ".join(line["text"] for line in lines["lines"]).split())

    resp = client.delete("/api/documents/comite")
    assert resp.status_code == 200 and resp.json()["action"] == "removed"
    assert [d["doc_id"] for d in client.get("/api/documents").json()["documents"]][-1] != "comite"
    assert client.get("/api/documents/comite").status_code == 404
    assert client.post("/api/ask", json={"question": question}).json()["abstained"]


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("a.txt", "a")
    return out.getvalue()


@pytest.mark.parametrize("name,data,status,message", [
    ("vide.pdf", b"", 422, "vide"),
    ("tronque.pdf", (lambda pdf: pdf[: len(pdf) // 2])(pdc_pdf(pdc_convention_lines(224, 250))), 422, "tronqué"),
    ("protege.pdf", encrypted_pdf(), 422, "mot de passe"),
    ("archive.docx", _zip(), 422, "document Word"),
    ("ancien.doc", b"\xd0\xcf\x11\xe0", 415, "Format non pris en charge"),
])
def test_malformed_uploads_are_4xx_in_french_and_change_nothing(client, settings, name, data, status, message):
    before = state(settings)
    resp = upload(client, name, data)
    assert resp.status_code == status
    assert message in resp.json()["detail"]
    assert state(settings) == before


def test_an_upload_above_20_mb_is_413_before_any_parsing(client, settings):
    before = state(settings)
    resp = upload(client, "enorme.pdf", b"%PDF-1.7\n" + b"0" * (21 * 1024 * 1024))
    assert resp.status_code == 413 and "20 Mo" in resp.json()["detail"]
    assert state(settings) == before


def test_duplicates_and_shipped_or_unknown_documents(client, settings):
    resp = upload(client, "pdc.txt", (settings.corpus_dir / "pas-de-calais-CP-2024-04-15-contrat-local-solidarites.txt").read_bytes())
    assert resp.status_code == 409 and "déjà dans le corpus" in resp.json()["detail"]
    assert client.delete("/api/documents/instruction-2023-168").status_code == 403
    resp = client.delete("/api/documents/inconnu")
    assert resp.status_code == 404 and "inconnu" in resp.json()["detail"]


def test_form_fields_are_checked(client):
    resp = upload(client, "comite.md", COMITE.encode(), kind="roman")
    assert resp.status_code == 422 and "kind" in resp.json()["detail"]
    resp = upload(client, "comite.md", COMITE.encode(), date="demain")
    assert resp.status_code == 422 and "AAAA-MM-JJ" in resp.json()["detail"]
    resp = client.post("/api/documents", data={"title": "sans fichier"}, files={"autre": ("a.txt", b"a")})
    assert resp.status_code == 422 and "champ « file »" in resp.json()["detail"]
    resp = client.post("/api/documents", json={"file": "x"})
    assert resp.status_code == 415 and "multipart/form-data" in resp.json()["detail"]


def test_the_api_key_protects_the_documents(settings):
    from api.app import create_app

    with TestClient(create_app(replace(settings, api_key="secret"))) as c:
        assert c.get("/api/documents").status_code == 401
        assert upload(c, "comite.md", COMITE.encode()).status_code == 401
        assert c.delete("/api/documents/comite").status_code == 401
        assert c.get("/api/documents", headers={"X-API-Key": "secret"}).status_code == 200


def test_the_documents_routes_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/documents"])
    assert "delete" in paths["/api/documents/{doc_id}"] and "get" in paths["/api/documents/{doc_id}"]
