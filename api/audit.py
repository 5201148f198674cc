"""POST /api/audit: the audit of a contract document (a corpus doc id, or an uploaded file).

Included by api/app.py (`app.include_router(audit_router(run))`), where `run` is the app's helper that
runs blocking work in a worker thread within the request timeout and, with `bounded=True`, in one of
the assistant's slots: the audit's axis check calls the eligibility engine.

Request: JSON {"document": "pas-de-calais-contrat-2024", "axes": true}, or multipart/form-data with the
file in « file » (.txt, .md, .xlsx, .csv; 2 Mo at most) and an optional « axes » field (« false » to skip
the référentiel check). Response: the `pacte audit --json` report, plus, for an uploaded document, the
lines around each citation (`excerpts`), since /api/documents only serves the corpus.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.formparsers import MultiPartException

from assistant.facade import MAX_UPLOAD_BYTES
from assistant.facade import InvalidInput, PacteError

from .models import ErrorResponse, RuleResult
from .services import PayloadTooLarge, UnsupportedMediaType, upload_too_large_message

log = logging.getLogger("pacte.api")

DOCUMENT_EXTENSIONS = (".txt", ".md", ".markdown", ".xlsx", ".csv")
EXCERPT_CONTEXT = 3  # lines shown around a cited span of an uploaded document
BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024


class AuditRequest(BaseModel):
    """Le document à auditer, par son identifiant dans le corpus."""

    model_config = ConfigDict(extra="forbid")

    document: str = Field(..., min_length=1, max_length=200,
                          description="Identifiant d'un document du corpus (par exemple « pas-de-calais-contrat-2024 »).")
    axes: bool = Field(True, description="Comparer l'axe de chaque action au référentiel (moteur d'éligibilité).")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FindingCitation(_Open):
    doc_id: str = Field(..., description="Document cité (identifiant du corpus, ou nom du fichier envoyé).")
    line_start: int = Field(..., description="Première ligne citée (à partir de 1).")
    line_end: int = Field(..., description="Dernière ligne citée, incluse.")
    quote: str = Field(..., description="Texte verbatim des lignes citées (espaces normalisés).")


class Finding(_Open):
    kind: str = Field(..., description="Nature du constat : total_mismatch, amount_mismatch, percentage_mismatch, "
                      "volets_mismatch, missing_year, title_mismatch, numbering_mismatch, axis_label_mismatch, "
                      "funder_split, axis_mismatch.")
    severity: Literal["error", "warning", "info"] = Field(..., description="error (chiffres contradictoires), "
                                                          "warning (à vérifier) ou info.")
    message: str = Field(..., description="Explication en français, avec les montants comparés.")
    stated: Any = Field(None, description="La valeur écrite dans le document.")
    computed: Any = Field(None, description="La valeur calculée (ou lue ailleurs) à laquelle elle est comparée.")
    citations: list[FindingCitation] = Field(..., description="Les lignes comparées, chacune avec sa citation verbatim.")
    action: str | None = Field(None, description="Action concernée, le cas échéant.")


class AuditResponse(_Open):
    """L'audit d'un document : règles du cadre financier et constats de cohérence."""

    doc_id: str = Field(..., description="Identifiant du document audité.")
    title: str = Field(..., description="Titre du document (ou nom du fichier).")
    in_corpus: bool = Field(..., description="Vrai si le document est lisible par /api/documents/{doc_id}.")
    rules: list[RuleResult] = Field(..., description="Résultats des règles de « pacte check » sur le contrat extrait.")
    findings: list[Finding] = Field(..., description="Constats de cohérence, les plus graves d'abord.")
    summary: dict[str, Any] = Field(..., description="Nombre d'actions, de constats par gravité et de violations.")
    contracts: list[dict[str, Any]] = Field(..., description="Contrat(s) extrait(s), avec les lignes d'où vient chaque valeur.")
    notes: list[str] = Field(default_factory=list, description="Ce qui n'a pas pu être lu ou vérifié.")
    excerpts: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Document envoyé : les lignes autour de chaque citation (numéro de ligne -> texte).",
    )


def audit_document(services, source, axes: bool) -> dict:
    """The audit report of a doc id or (bytes, filename), with the app's loaded assistant when available."""
    from assistant.facade import audit
    from assistant.facade import read_document

    # A client names corpus documents only: never a path on the server.
    doc = read_document(source, services.settings, paths=False)
    assistant = None
    notes = []
    if axes:
        try:
            assistant = services.assistant()
        except PacteError as exc:
            axes = False
            notes.append(f"axes non vérifiés par le référentiel : {exc.message}")
    from assistant.facade import extract_document

    report = audit(extract_document(doc), services.settings, eligibility=axes, assistant=assistant)
    out = report.to_dict()
    out["notes"] = notes + out["notes"]
    from assistant.facade import RULES

    for result in out["rules"]:  # the page shows each rule's French title, as for /api/check
        if result.get("rule") in RULES:
            result.setdefault("rule_title", RULES[result["rule"]].title)
    if not doc.in_corpus:
        wanted: set[int] = set()
        for finding in out["findings"]:
            for c in finding["citations"]:
                if c["doc_id"] == doc.doc_id:
                    wanted.update(range(max(1, c["line_start"] - EXCERPT_CONTEXT),
                                        min(len(doc.lines), c["line_end"] + EXCERPT_CONTEXT) + 1))
        out["excerpts"] = {doc.doc_id: {str(n): doc.lines[n - 1] for n in sorted(wanted)}}
    return out


def audit_router(run) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/audit",
        response_model=AuditResponse,
        responses={
            413: {"model": ErrorResponse, "description": "Fichier trop volumineux."},
            415: {"model": ErrorResponse, "description": "Format non pris en charge."},
            422: {"model": ErrorResponse, "description": "Document illisible ou sans contrat (message en français)."},
            504: {"model": ErrorResponse, "description": "Délai de traitement dépassé."},
        },
        tags=["contrats"],
        summary="Auditer un document de contrat",
        description="Extrait le contrat d'un document (fiches action, tableaux financiers, totaux), applique les règles "
        "de « pacte check » et signale ce qui ne concorde pas : totaux différents de la somme de leurs parties, même "
        "montant différent à deux endroits, pourcentages, années manquantes, axe du document différent de la section "
        "du référentiel. Chaque constat cite les lignes comparées. Envoyez un identifiant du corpus en JSON "
        "({\"document\": …}) ou un fichier .txt, .md, .xlsx ou .csv (2 Mo au plus) dans le champ « file » d'un "
        "formulaire multipart.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": AuditRequest.model_json_schema()},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {"type": "string", "format": "binary",
                                         "description": "Document .txt, .md, .xlsx ou .csv (2 Mo au plus)."},
                                "axes": {"type": "string", "enum": ["true", "false"],
                                         "description": "« false » pour ne pas comparer les axes au référentiel."},
                            },
                        }
                    },
                },
            }
        },
    )
    async def audit_endpoint(request: Request):
        services = request.app.state.services
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "application/json":
            try:
                payload = AuditRequest.model_validate_json(await request.body() or b"null")
            except ValueError as exc:
                from .app import french_validation_message

                errors = getattr(exc, "errors", lambda: [])()
                raise InvalidInput(french_validation_message(
                    [{**e, "loc": ("body", *e.get("loc", ()))} for e in errors])) from None
            source, axes = payload.document.strip(), payload.axes
        elif content_type == "multipart/form-data":
            try:
                async with request.form(max_files=1, max_fields=5, max_part_size=BODY_LIMIT) as form:
                    upload = form.get("file")
                    if upload is None or isinstance(upload, str):
                        raise InvalidInput("Aucun fichier reçu : envoyez le document dans le champ « file » du formulaire.")
                    content = await upload.read(MAX_UPLOAD_BYTES + 1)
                    filename = Path(upload.filename or "document.txt").name
                    axes_field = form.get("axes")
            except MultiPartException as exc:
                log.info("multipart illisible : %s", exc)
                raise InvalidInput("Le formulaire envoyé est illisible (multipart/form-data invalide).") from None
            if len(content) > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(upload_too_large_message())
            if Path(filename).suffix.lower() not in DOCUMENT_EXTENSIONS:
                raise UnsupportedMediaType(
                    f"Format de fichier non pris en charge : « {filename} ». Formats acceptés : texte (.txt), markdown "
                    "(.md), Excel (.xlsx) ou CSV (.csv) ; un PDF ou un DOCX s'ajoute d'abord au corpus (« pacte corpus add »)."
                )
            if not content.strip():
                raise InvalidInput("Le document envoyé est vide.")
            source = (content, filename)
            axes = not (isinstance(axes_field, str) and axes_field.strip().lower() in ("false", "0", "non"))
        else:
            raise UnsupportedMediaType(
                "Type de contenu non pris en charge : envoyez {\"document\": …} en JSON (application/json) ou un fichier "
                "(multipart/form-data, champ « file »)."
            )
        return await run(audit_document, services, source, axes, bounded=axes)

    return router
