"""The FastAPI application: JSON API under /api/ and the French chat page at /.

Every error a client sees is JSON {"detail": "<French message>"}: FastAPI's own validation errors,
unknown routes, oversized bodies, timeouts and unexpected failures alike. Tracebacks go to the
server log only.
"""

from __future__ import annotations

import functools
import hmac
import logging
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import FastAPI, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.facade import __version__
from assistant.facade import MAX_QUESTION_CHARS, MAX_UPLOAD_BYTES, Settings
from assistant.facade import InvalidInput, PacteError

from .audit import audit_router
from .documents import body_limit
from .documents import router as documents_router
from .models import (
    AskRequest,
    AskResponse,
    CheckResponse,
    DocumentLines,
    EligibilityRequest,
    EligibilityResponse,
    ErrorResponse,
    HealthResponse,
    IndicatorsResponse,
)
from .services import (
    MAX_DOCUMENT_SPAN,
    PayloadTooLarge,
    RequestTimeout,
    Services,
    UnsupportedMediaType,
    upload_too_large_message,
)

log = logging.getLogger("pacte.api")

STATIC_DIR = Path(__file__).resolve().parent / "static"

# A multipart upload carries a few hundred bytes of envelope around the file itself; the file
# content is then checked against MAX_UPLOAD_BYTES exactly.
BODY_LIMIT = MAX_UPLOAD_BYTES + 64 * 1024

# The page loads nothing from elsewhere; the policy makes sure of it.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]

YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"}

FRENCH_STATUS = {
    400: "Requête invalide.",
    401: "Authentification requise.",
    403: "Accès refusé.",
    404: "Ressource introuvable.",
    405: "Méthode HTTP non autorisée pour cette adresse.",
    406: "Format de réponse non disponible.",
    413: upload_too_large_message(),
    415: "Type de contenu non pris en charge.",
    422: "Requête invalide.",
    429: "Trop de requêtes : réessayez dans un instant.",
    500: "Erreur interne du serveur. L'incident a été journalisé.",
    503: "Service momentanément indisponible.",
    504: "Délai de traitement dépassé.",
}


UNREADABLE_BODY = (
    "Le corps de la requête est illisible : un JSON encodé en UTF-8 (ou, pour /api/check, un YAML ou un formulaire "
    "multipart/form-data) est attendu."
)


def _error(status: int, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


# --- French validation messages -----------------------------------------------------------------


def _thousands(n) -> str:
    """2000 -> '2 000' (narrow no-break space, French style)."""
    return f"{n:,}".replace(",", "\u202f") if isinstance(n, int) else str(n)


def _sentence_case(message: str) -> str:
    """Back-end messages are written to follow "Erreur : " in the CLI; alone, a leading word needs a
    capital ("fichier vide" -> "Fichier vide"), but a field path ("actions[0].axe") is left as it is."""
    first = message.split(" ", 1)[0]
    return message[:1].upper() + message[1:] if first.isalpha() else message


def _decimal(x: float) -> str:
    """0.2 -> '0,2' (French decimal comma)."""
    return f"{x:g}".replace(".", ",")


def _field_name(loc: tuple) -> tuple[str, str]:
    """('body', 'history', 0, 'answer') -> ('le champ', 'history[0].answer')."""
    where, *rest = loc if loc else ("body",)
    name = ""
    for part in rest:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    kind = {"query": "le paramètre", "path": "le paramètre", "header": "l'en-tête"}.get(where, "le champ")
    return kind, name


def _french_error(err: dict) -> str:
    """One pydantic error as a French sentence naming the field."""
    kind, name = _field_name(tuple(err.get("loc", ())))
    ctx = err.get("ctx") or {}
    typ = err.get("type", "")
    if typ == "json_invalid":
        return "Le corps de la requête n'est pas un JSON valide."
    if not name:
        if typ == "missing":
            return "Le corps de la requête (JSON) est obligatoire."
        return "Le corps de la requête doit être un objet JSON."
    if typ == "string_too_long" and name == "question":
        got = len(err["input"]) if isinstance(err.get("input"), str) else "?"
        return f"La question dépasse la limite de {_thousands(MAX_QUESTION_CHARS)} caractères ({_thousands(got)} reçus)."
    subject = f"{kind} « {name} »"
    messages = {
        "missing": "est obligatoire",
        "string_too_short": "est vide",
        "string_pattern_mismatch": "est vide",  # the only pattern of our models: a visible character (NON_BLANK)
        "string_type": "doit être une chaîne de caractères",
        "int_parsing": "doit être un nombre entier",
        "int_type": "doit être un nombre entier",
        "int_from_float": "doit être un nombre entier",
        "float_parsing": "doit être un nombre",
        "float_type": "doit être un nombre",
        "bool_parsing": "doit valoir true ou false",
        "bool_type": "doit valoir true ou false",
        "list_type": "doit être une liste",
        "dict_type": "doit être un objet JSON",
        "model_type": "doit être un objet JSON",
        "model_attributes_type": "doit être un objet JSON",
        "extra_forbidden": "n'est pas attendu",
    }
    if typ in messages:
        return f"{subject} {messages[typ]}."
    if typ == "string_too_long":
        return f"{subject} dépasse la limite de {ctx.get('max_length')} caractères."
    if typ == "too_long":
        return f"{subject} contient trop d'éléments ({ctx.get('max_length')} au maximum)."
    if typ in ("greater_than_equal", "greater_than"):
        return f"{subject} doit être supérieur ou égal à {ctx.get('ge', ctx.get('gt'))}."
    if typ in ("less_than_equal", "less_than"):
        return f"{subject} doit être inférieur ou égal à {ctx.get('le', ctx.get('lt'))}."
    if typ == "literal_error":
        expected = str(ctx.get("expected", "")).replace(" or ", " ou ")
        return f"{subject} doit valoir l'une des valeurs suivantes : {expected}."
    if typ == "value_error":
        return f"{subject} est invalide : {ctx.get('error') or 'valeur incorrecte'}."
    return f"{subject} est invalide."


def french_validation_message(errors: list[dict]) -> str:
    """The first error in full, and how many others there are."""
    if not errors:
        return "Requête invalide."
    first = _french_error(errors[0])
    if first[0].islower():
        first = "Requête invalide : " + first
    more = len(errors) - 1
    if more:
        first += f" ({more} autre{'s' if more > 1 else ''} erreur{'s' if more > 1 else ''} dans la requête.)"
    return first


# --- ASGI guard: API key, body size, security headers ------------------------------------------


class Guard:
    """One pure-ASGI layer in front of everything.

    - adds the security headers to every response;
    - requires the API key on /api/* when one is configured (401 otherwise);
    - buffers the request body up to BODY_LIMIT and answers 413 beyond, before any parsing.
    """

    def __init__(self, app: ASGIApp, api_key: str | None):
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")

        if self.api_key and (path == "/api" or path.startswith("/api/")) and not self._authorized(headers):
            resp = _error(
                401,
                "Clé d'API manquante ou invalide : fournissez-la dans l'en-tête « X-API-Key » "
                "(ou « Authorization: Bearer … »).",
                headers={"WWW-Authenticate": 'Bearer realm="pacte"'},
            )
            await resp(scope, receive, send_with_headers)
            return

        limit, too_large = body_limit(scope.get("method", ""), path) or (BODY_LIMIT, upload_too_large_message())
        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                await _error(400, "En-tête Content-Length invalide.")(scope, receive, send_with_headers)
                return
            if too_big:
                await _error(413, too_large)(scope, receive, send_with_headers)
                return

        # Read the whole body here, bounded (a chunked body declares no length), then replay it to the app.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _error(413, too_large)(scope, receive, send_with_headers)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    def _authorized(self, headers: dict[str, str]) -> bool:
        given = headers.get("x-api-key")
        if not given:
            auth = headers.get("authorization", "")
            if auth[:7].lower() == "bearer ":
                given = auth[7:].strip()
        # Header values arrive as latin-1-decoded bytes: compare the raw bytes with the UTF-8 key.
        return bool(given) and hmac.compare_digest(given.encode("latin-1"), self.api_key.encode("utf-8"))


# --- the app ----------------------------------------------------------------------------------

_ERRORS = {
    s: {"model": ErrorResponse, "description": d}
    for s, d in {
        401: "Clé d'API manquante ou invalide.",
        413: "Contenu trop volumineux.",
        422: "Requête invalide (message en français nommant le champ).",
        503: "Index indisponible.",
        504: "Délai de traitement dépassé.",
    }.items()
}


def _corpus_ids(settings: Settings) -> list[str]:
    """The corpus's document ids, as examples of the schema (an unreadable manifest: none)."""
    try:
        from assistant.facade import load_manifest

        return [str(d["doc_id"]) for d in load_manifest(Path(settings.corpus_dir))]
    except Exception:  # noqa: BLE001 - the service still starts; /api/health reports the corpus problem
        return []


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app. `services` lets tests share one loaded assistant between several apps;
    `settings` (API key, timeout) applies to this app even when services come from elsewhere."""
    if settings is None:
        settings = services.settings if services is not None else Settings.from_env()
    if services is None:
        services = Services(settings)
    timeout = float(settings.request_timeout_s)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # The index is loaded once, before the first request, off the event loop.
        if not services.started:
            await anyio.to_thread.run_sync(services.start)
        yield

    app = FastAPI(
        title="Pacte Assistant",
        summary="Questions, éligibilité, indicateurs et contrôle des contrats locaux des solidarités.",
        description=(
            "API hors ligne du Pacte des solidarités : réponses extraites du corpus avec citations verbatim, "
            "éligibilité d'une action aux référentiels des quatre axes, indicateurs nationaux, et contrôle "
            "déterministe des tableaux financiers des contrats locaux. Toute erreur est renvoyée en JSON "
            '{"detail": "message en français"}.'
        ),
        version=__version__,
        docs_url=None,  # Swagger UI and ReDoc load their assets from a CDN: the service stays offline
        redoc_url=None,
        lifespan=lifespan,
        telemetry={
            "tracing": False,
            "metrics": False,
            "logs": False,
            "operation_spans": False,
            "auto_configure": False,
        },
    )
    app.state.services = services
    app.state.settings = settings

    call_lock = getattr(services, "call_lock", None) or threading.BoundedSemaphore(1)

    def in_slot(deadline: float, fn, *args):
        # Wait for a slot no longer than the client does: a request that timed out never runs.
        if not call_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise TimeoutError
        try:
            return fn(*args)
        finally:
            call_lock.release()

    async def run(fn, *args, bounded: bool = False) -> Any:
        """Blocking back-end work in a worker thread, within the request timeout. `bounded`: the call
        also waits for one of the assistant's slots (services.call_lock). On timeout the client gets
        a 504 at once; a thread already running finishes alone and its result is dropped."""
        if bounded:
            work = functools.partial(in_slot, time.monotonic() + timeout, fn, *args)
        else:
            work = functools.partial(fn, *args)
        try:
            with anyio.fail_after(timeout):
                return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
        except TimeoutError:
            raise RequestTimeout(
                f"La requête n'a pas abouti dans le délai imparti ({_decimal(timeout)} s). Réessayez dans un instant "
                "ou reformulez la question plus brièvement."
            ) from None

    # -- error handlers --

    @app.exception_handler(PacteError)
    async def pacte_error(request: Request, exc: PacteError):
        return _error(exc.status, _sentence_case(exc.message))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        return _error(422, french_validation_message(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # Only the framework raises these (our errors are PacteErrors), with English details ("Not Found",
        # "There was an error parsing the body", "Missing boundary in multipart."): the client gets French.
        if exc.status_code == 400:
            # A body the framework could not read at all (not UTF-8, broken multipart): like malformed JSON, a 422.
            log.info("corps illisible sur %s : %s", request.url.path, exc.detail)
            return _error(422, UNREADABLE_BODY)
        detail = FRENCH_STATUS.get(exc.status_code, f"Erreur HTTP {exc.status_code}.")
        if exc.status_code == 404:
            detail = f"Ressource introuvable : {request.url.path}"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            # Starlette's Allow names the first route matching the path only; GET and DELETE
            # /api/documents/{id} are two routes: list the methods of every one.
            allowed: set[str] = set()

            def collect(routes):
                for route in routes:
                    inner = getattr(route, "original_router", None) or getattr(route, "routes", None)
                    if inner is not None and not hasattr(route, "methods"):
                        collect(inner.routes if hasattr(inner, "routes") else inner)
                    elif getattr(route, "methods", None):
                        match, _ = route.matches(request.scope)
                        if match.name != "NONE":
                            allowed.update(route.methods)

            collect(request.app.router.routes)
            if allowed:
                headers = {**(headers or {}), "Allow": ", ".join(sorted(allowed))}
        return _error(exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception):
        log.exception("Erreur inattendue sur %s %s", request.method, request.url.path)
        return _error(500, FRENCH_STATUS[500])

    # -- API --

    @app.post(
        "/api/ask",
        response_model=AskResponse,
        responses=_ERRORS,
        tags=["questions"],
        summary="Poser une question",
        description="Réponse extractive composée de phrases du corpus, chacune suivie de son renvoi [n] vers "
        "une citation verbatim (document, lignes). `abstained` est vrai quand le corpus ne couvre pas la question. "
        "L'historique permet les questions de suivi.",
    )
    async def ask(body: AskRequest):
        history = [t.model_dump() for t in body.history] if body.history else None
        return await run(services.ask, body.question, history, bounded=True)

    @app.post(
        "/api/eligibility",
        response_model=EligibilityResponse,
        responses=_ERRORS,
        tags=["questions"],
        summary="Éligibilité d'une action",
        description="Rapproche la description d'une action des référentiels des quatre axes : verdict, sections, "
        "conditions financières applicables et citations.",
    )
    async def eligibility(body: EligibilityRequest):
        return await run(services.eligibility, body.description, body.collectivite, bounded=True)

    @app.post(
        "/api/check",
        response_model=CheckResponse,
        responses={**_ERRORS, 415: {"model": ErrorResponse, "description": "Format non pris en charge."}},
        tags=["contrats"],
        summary="Contrôler un contrat",
        description="Contrôle déterministe d'un tableau financier de contrat local : parité État / collectivité, "
        "plafonds, planchers et plafonds spéciaux. Envoyez le contrat en JSON ou en YAML dans le corps de la "
        "requête, ou un fichier YAML, JSON, XLSX ou CSV (2 Mo au plus) dans le champ « file » d'un formulaire "
        "multipart. Un contrat avec des violations renvoie 200 et `ok: false` ; un fichier illisible renvoie 422.",
        openapi_extra={
            "requestBody": {
                "required": True,
                "description": "Le contrat : objet JSON, texte YAML, ou fichier en multipart/form-data.",
                "content": {
                    "application/json": {"schema": {"type": "object"}},
                    "application/yaml": {"schema": {"type": "string"}},
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "format": "binary",
                                    "description": "Fichier .yaml, .yml, .json, .xlsx ou .csv (2 Mo au plus).",
                                }
                            },
                        }
                    },
                },
            }
        },
    )
    async def check(request: Request):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            try:
                async with request.form(max_files=1, max_fields=5, max_part_size=BODY_LIMIT) as form:
                    upload = form.get("file")
                    if upload is None or isinstance(upload, str):
                        raise InvalidInput(
                            "Aucun fichier reçu : envoyez le contrat dans le champ « file » du formulaire."
                        )
                    content = await upload.read(MAX_UPLOAD_BYTES + 1)
                    filename = upload.filename or "contrat.yaml"
            except MultiPartException as exc:
                log.info("multipart illisible : %s", exc)
                raise InvalidInput("Le formulaire envoyé est illisible (multipart/form-data invalide).") from None
        elif content_type == "application/json":
            content, filename = await request.body(), "contrat.json"
        elif content_type in YAML_TYPES:
            content, filename = await request.body(), "contrat.yaml"
        else:
            raise UnsupportedMediaType(
                "Type de contenu non pris en charge : envoyez le contrat en JSON (application/json), "
                "en YAML (application/yaml) ou comme fichier (multipart/form-data, champ « file »)."
            )
        if len(content) > MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(upload_too_large_message())
        if not content.strip():
            raise InvalidInput("Le contrat envoyé est vide.")
        return await run(services.check, content, filename)

    @app.get(
        "/api/indicators",
        response_model=IndicatorsResponse,
        responses=_ERRORS,
        tags=["référentiels"],
        summary="Indicateurs nationaux",
        description="Les indicateurs nationaux par section de référentiel (libellé exact, définition de l'annexe 6, "
        "lignes) et le calendrier de remontée et d'évaluation, comme `pacte indicators --json`.",
    )
    async def indicators(
        axe: Annotated[int | None, Query(ge=1, le=4, description="Axe du pacte, de 1 à 4 ; tous les axes si absent.")] = None,
    ):
        return {"axe": axe, **await run(services.indicators, axe)}

    @app.get(
        "/api/documents/{doc_id}",
        response_model=DocumentLines,
        responses={**_ERRORS, 404: {"model": ErrorResponse, "description": "Document inconnu."}},
        tags=["corpus"],
        summary="Lignes d'un document du corpus",
        description=f"Les lignes start..end (numérotées à partir de 1, {MAX_DOCUMENT_SPAN} au plus) d'un document "
        "du corpus, pour lire une citation dans son contexte, avec la section qui les contient.",
    )
    async def document(
        doc_id: Annotated[str, FastAPIPath(description="Identifiant du document (voir corpus/manifest.yaml).")],
        start: Annotated[int | None, Query(ge=1, description="Première ligne (à partir de 1).")] = None,
        end: Annotated[int | None, Query(ge=1, description="Dernière ligne, incluse.")] = None,
    ):
        return await run(services.document_lines, doc_id, start, end)

    @app.get(
        "/api/health",
        response_model=HealthResponse,
        responses={401: _ERRORS[401]},
        tags=["service"],
        summary="État du service",
        description="État de l'index, modèle d'embeddings, empreintes sha256 du corpus et version.",
    )
    async def health():
        return await run(services.health)

    app.include_router(audit_router(run))
    app.include_router(documents_router)  # GET/POST /api/documents, DELETE /api/documents/{doc_id}

    # -- the page --

    @app.get("/", include_in_schema=False)
    async def index_page():
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    # The schema names the corpus's documents (knowledge is data: they come from the manifest, not from code).
    plain_openapi = app.openapi

    def openapi_with_documents():
        if app.openapi_schema is None:
            schema = plain_openapi()
            for parameter in schema["paths"]["/api/documents/{doc_id}"]["get"].get("parameters", []):
                if parameter.get("name") == "doc_id":
                    parameter["schema"]["examples"] = _corpus_ids(settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi_with_documents

    # Outermost: errors it produces must still carry the headers.
    app.add_middleware(Guard, api_key=settings.api_key)
    return app

