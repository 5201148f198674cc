"""The corpus documents of the HTTP API: list, add (multipart upload), remove. Same conversion, limits and checks
as `pacte corpus add|list|remove` (assistant/user_corpus.py); `PACTE_API_KEY`, when set, protects them like every
/api/* route (api/app.py, Guard).

Adding a document converts it and re-indexes the corpus, which takes the time of embedding its passages (about
thirty seconds for forty pages on two cores): these routes run outside the per-request timeout of the questions.
The service then reloads its corpus and assistant (Services.reload), and answers the next questions with it.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.formparsers import MultiPartException

from assistant.facade import MAX_DOCUMENT_BYTES
from assistant.facade import KINDS
from assistant.facade import InvalidInput
from assistant.facade import ACCEPTED, check_size

from .models import ErrorResponse
from .services import UnsupportedMediaType

log = logging.getLogger("pacte.api")

# The multipart envelope and the text fields around the file.
DOCUMENT_BODY_LIMIT = MAX_DOCUMENT_BYTES + 64 * 1024


def body_limit(method: str, path: str) -> tuple[int, str] | None:
    """The body limit of a document upload and its message (None for the other routes), for the app's Guard."""
    if method == "POST" and path.rstrip("/") == "/api/documents":
        return DOCUMENT_BODY_LIMIT, (
            f"Le document envoyé dépasse la taille maximale autorisée ({MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo)."
        )
    return None
FIELDS = ("doc_id", "title", "issuer", "date", "kind", "territory", "aliases")

router = APIRouter(tags=["corpus"])


class DocumentSource(BaseModel):
    model_config = ConfigDict(extra="allow")

    file: str = Field(..., description="Fichier original, relatif au dossier du corpus.")
    name: str = Field(..., description="Nom du fichier envoyé.")
    format: str = Field(..., description="Format reconnu : pdf, docx, html, markdown ou text.")
    sha256: str = Field(..., description="Empreinte sha256 du fichier original.")
    bytes: int = Field(..., description="Taille du fichier original, en octets.")
    pages: int | None = Field(None, description="Nombre de pages (PDF).")


class DocumentEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    doc_id: str = Field(..., description="Identifiant du document, utilisé par les citations.")
    title: str = Field(..., description="Titre.")
    issuer: str = Field("", description="Émetteur.")
    date: str = Field("", description="Date (AAAA-MM-JJ), vide si inconnue.")
    kind: str = Field(..., description="Type : instruction, contract (ou contrat), notes, faq, other.")
    territory: str = Field("", description="Territoire dont parle le document, vide pour un texte national.")
    aliases: list[str] = Field(default_factory=list, description="Noms par lesquels une question désigne le document.")
    file: str = Field(..., description="Texte UTF-8 auquel renvoient les citations (relatif au dossier du corpus).")
    sha256: str = Field(..., description="Empreinte sha256 de ce texte.")
    shipped: bool = Field(False, description="Vrai pour un document livré avec Pacte Assistant (non retirable).")
    lines: int | None = Field(None, description="Nombre de lignes du texte.")
    source: DocumentSource | None = Field(None, description="Le fichier original d'un document ajouté.")
    added_at: str | None = Field(None, description="Date d'ajout (UTC).")


class DocumentsList(BaseModel):
    """Les documents du corpus : livrés, puis ajoutés."""

    documents: list[DocumentEntry]


class DocumentChange(BaseModel):
    """Le résultat d'un ajout ou d'un retrait : le document et l'index mis à jour."""

    action: str = Field(..., description="« added » ou « removed ».")
    doc_id: str = Field(..., description="Identifiant du document.")
    document: DocumentEntry
    chunks: int = Field(..., description="Nombre de passages du document.")
    embedded: int = Field(..., description="Passages vectorisés par ce changement (les autres venaient du cache).")
    index_chunks: int = Field(..., description="Nombre de passages de l'index après le changement.")
    seconds: float = Field(..., description="Durée du changement, en secondes.")


def _errors(*statuses: int) -> dict[int, dict[str, Any]]:
    descriptions = {
        401: "Clé d'API manquante ou invalide.",
        403: "Document livré avec Pacte Assistant : il ne peut pas être retiré.",
        404: "Document inconnu.",
        409: "Document déjà présent, identifiant déjà pris, ou autre changement du corpus en cours.",
        413: "Fichier trop volumineux.",
        415: "Format de fichier non pris en charge.",
        422: "Fichier illisible, protégé, vide ou sans texte ; champ invalide.",
    }
    return {s: {"model": ErrorResponse, "description": descriptions[s]} for s in statuses}


async def _blocking(fn, *args):
    # No request timeout here: re-indexing lasts as long as embedding the new passages takes.
    return await anyio.to_thread.run_sync(fn, *args)


@router.get(
    "/api/documents",
    response_model=DocumentsList,
    responses=_errors(401),
    summary="Documents du corpus",
    description="Les documents du corpus, livrés puis ajoutés, comme `pacte corpus list --json`.",
)
async def list_documents(request: Request):
    from assistant.facade import list_documents as listing

    return {"documents": await _blocking(listing, request.app.state.settings)}


@router.post(
    "/api/documents",
    response_model=DocumentChange,
    status_code=201,
    responses=_errors(401, 409, 413, 415, 422),
    summary="Ajouter un document",
    description=(
        "Ajoute un document au corpus et met l'index à jour, comme `pacte corpus add` : fichier PDF (couche texte), "
        f"DOCX, HTML, Markdown ou texte, {MAX_DOCUMENT_BYTES // (1024 * 1024)} Mo au plus, dans le champ « file » "
        "d'un formulaire multipart ; champs facultatifs doc_id, title, issuer, date (AAAA-MM-JJ), kind, territory, "
        "aliases (séparés par des virgules). Le fichier est converti une fois en texte UTF-8 : les citations et "
        "numéros de ligne renvoient à ce texte (GET /api/documents/{doc_id}). La réponse arrive une fois l'index à jour."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary", "description": f"Le document : {ACCEPTED}."},
                            "doc_id": {"type": "string", "description": "Identifiant (défaut : tiré du nom du fichier)."},
                            "title": {"type": "string", "description": "Titre (défaut : celui du fichier)."},
                            "issuer": {"type": "string", "description": "Émetteur."},
                            "date": {"type": "string", "description": "Date du document, AAAA-MM-JJ."},
                            "kind": {"type": "string", "enum": list(KINDS), "description": "Type de document."},
                            "territory": {"type": "string", "description": "Territoire dont parle le document."},
                            "aliases": {"type": "string", "description": "Noms du document, séparés par des virgules."},
                        },
                    }
                }
            },
        }
    },
)
async def add_document(request: Request):
    from assistant.facade import DocumentInfo
    from assistant.facade import add_document as add

    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "multipart/form-data":
        raise UnsupportedMediaType(
            "Envoyez le document comme fichier d'un formulaire multipart/form-data, dans le champ « file »."
        )
    values: dict[str, str] = {}
    try:
        async with request.form(max_files=1, max_fields=len(FIELDS) + 2, max_part_size=64 * 1024) as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InvalidInput("Aucun fichier reçu : envoyez le document dans le champ « file » du formulaire.")
            filename = upload.filename or "document"
            if upload.size is not None:
                check_size(upload.size, filename)
            data = await upload.read(MAX_DOCUMENT_BYTES + 1)
            for name in FIELDS:
                value = form.get(name)
                if value is not None and not isinstance(value, str):
                    raise InvalidInput(f"Le champ « {name} » doit être un texte, pas un fichier.")
                values[name] = value or ""
    except MultiPartException as exc:
        log.info("multipart illisible : %s", exc)
        raise InvalidInput("Le formulaire envoyé est illisible (multipart/form-data invalide).") from None
    check_size(len(data), filename)
    if values["kind"] and values["kind"] not in KINDS:
        raise InvalidInput(f"Le champ « kind » doit valoir l'une des valeurs suivantes : {', '.join(KINDS)}.")
    info = DocumentInfo(
        doc_id=values["doc_id"].strip() or None,
        title=values["title"] or None,
        issuer=values["issuer"] or None,
        date=values["date"] or None,
        kind=values["kind"] or "other",
        territory=values["territory"] or None,
        aliases=tuple(a.strip() for a in values["aliases"].split(",") if a.strip()),
    )
    services = request.app.state.services

    def work():
        report = add(request.app.state.settings, data, filename, info)
        services.reload()
        return report.to_dict()

    return await _blocking(work)


@router.delete(
    "/api/documents/{doc_id}",
    response_model=DocumentChange,
    responses=_errors(401, 403, 404, 409),
    summary="Retirer un document ajouté",
    description="Retire un document ajouté du corpus et met l'index à jour, comme `pacte corpus remove`. "
    "Les documents livrés avec Pacte Assistant ne peuvent pas être retirés (403).",
)
async def remove_document(request: Request, doc_id: str):
    from assistant.facade import remove_document as remove

    services = request.app.state.services

    def work():
        report = remove(request.app.state.settings, doc_id)
        services.reload()
        return report.to_dict()

    return await _blocking(work)
