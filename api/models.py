"""Pydantic models at the HTTP edge. Field descriptions are in French: they are what users of the
OpenAPI schema (/openapi.json) read.

Response models allow extra fields on purpose: the back-end may add a key to its JSON objects
without the API silently dropping it or failing a request for it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.facade import MAX_HISTORY_ANSWER_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS

# "Not blank", written so that the schema's regex means the same in every engine that reads it (JSON Schema's
# ECMAScript, pydantic's Rust regex, Python's re used by test generators): one character that is neither a space
# of any kind nor NUL (what the back-end's clean_text drops), without relying on \s, which each engine defines
# differently.
NON_BLANK = r"[^\t\n\v\f\r \x00\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


# --- requests ---------------------------------------------------------------------------------


class Turn(BaseModel):
    """Un échange précédent de la conversation."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., max_length=MAX_QUESTION_CHARS, description="Question posée lors d'un tour précédent.")
    answer: str = Field(
        "", max_length=MAX_HISTORY_ANSWER_CHARS, description="Réponse donnée à cette question (texte seul)."
    )


class AskRequest(BaseModel):
    """Une question en français sur le Pacte des solidarités."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "Une métropole peut-elle financer l'aide à l'achat d'un véhicule propre en ZFE avec le pacte ?",
                    "history": [],
                }
            ]
        },
    )

    question: str = Field(
        ...,
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=NON_BLANK,
        description=f"La question, en français ({MAX_QUESTION_CHARS} caractères au maximum).",
    )
    history: list[Turn] | None = Field(
        None,
        max_length=MAX_HISTORY_TURNS,
        description="Les tours précédents de la conversation, du plus ancien au plus récent, "
        "pour résoudre une question de suivi (« et pour une métropole ? »).",
    )


class EligibilityRequest(BaseModel):
    """La description d'une action à rapprocher des référentiels des quatre axes."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Aide à l'achat d'un véhicule propre pour les ménages modestes en zone à faibles émissions",
                    "collectivite": "metropole",
                }
            ]
        },
    )

    description: str = Field(
        ...,
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=NON_BLANK,
        description=f"Description de l'action ({MAX_QUESTION_CHARS} caractères au maximum).",
    )
    collectivite: Literal["metropole", "departement"] | None = Field(
        None, description="Type de collectivité qui porte l'action : « metropole » ou « departement »."
    )


# --- responses --------------------------------------------------------------------------------


class Citation(_Open):
    """Un passage cité : lignes exactes d'un document du corpus et citation mot pour mot."""

    id: int | str = Field(..., description="Numéro de la citation, repris dans la réponse sous la forme [n].")
    doc_id: str = Field(..., description="Identifiant du document du corpus.")
    doc_title: str | None = Field(None, description="Titre du document.")
    section_path: list[str] = Field(default_factory=list, description="Chemin des titres de la section citée.")
    line_start: int = Field(..., description="Première ligne citée (numérotation à partir de 1).")
    line_end: int = Field(..., description="Dernière ligne citée (incluse).")
    quote: str = Field("", description="Citation verbatim, extraite des lignes citées.")
    score: float | None = Field(None, description="Score de pertinence du passage.")


class Hit(_Open):
    """Un passage retrouvé par la recherche, dans l'ordre de pertinence."""

    doc_id: str = Field(..., description="Identifiant du document du corpus.")
    section_path: list[str] = Field(default_factory=list, description="Chemin des titres de la section.")
    line_start: int = Field(..., description="Première ligne du passage.")
    line_end: int = Field(..., description="Dernière ligne du passage.")
    text: str = Field("", description="Texte exact du passage.")
    score: float | None = Field(None, description="Score de pertinence.")


class Suggestion(_Open):
    doc_id: str = Field(..., description="Identifiant du document.")
    doc_title: str | None = Field(None, description="Titre du document.")
    section_path: list[str] = Field(default_factory=list, description="Chemin de la section.")
    line_start: int = Field(..., description="Première ligne du passage.")
    line_end: int = Field(..., description="Dernière ligne du passage.")
    score: float | None = Field(None, description="Similarité cosinus (e5) entre la question et le passage.")


class AskResponse(_Open):
    """La réponse, composée de phrases du corpus suivies de leurs renvois [n]."""

    question: str = Field(..., description="La question telle que reçue.")
    category: str | None = Field(
        None, description="Catégorie de la question : eligibility, indicator, financial, procedure ou other."
    )
    answer: str = Field(..., description="Réponse en français, avec les renvois [1], [2]… vers les citations.")
    verdict: str | None = Field(
        None,
        description="Verdict d'éligibilité le cas échéant : eligible, eligible_with_conditions, excluded, "
        "not_in_referential ; null si la question ne porte pas sur l'éligibilité.",
    )
    abstained: bool = Field(..., description="Vrai lorsque le corpus ne couvre pas la question.")
    citations: list[Citation] = Field(default_factory=list, description="Les passages cités, numérotés.")
    hits: list[Hit] = Field(default_factory=list, description="Les passages retrouvés, du plus pertinent au moins pertinent.")
    confidence: float | None = Field(
        None, ge=0, le=1,
        description="Confiance de 0 à 1 : probabilité que le corpus réponde (réponse) ou qu'il ne réponde pas "
        "(abstention), estimée par le modèle d'abstention.",
    )
    suggestions: list[Suggestion] = Field(
        default_factory=list,
        description="Abstention : au plus trois sections du corpus probablement liées à la question (souvent aucune).",
    )


class EligibilitySection(_Open):
    axis: int | None = Field(None, description="Axe du pacte (1 à 4).")
    section_path: list[str] | str | None = Field(None, description="Chemin de la section du référentiel.")
    doc_id: str | None = Field(None, description="Identifiant du document.")
    line_start: int | None = Field(None, description="Première ligne de la section.")
    line_end: int | None = Field(None, description="Dernière ligne de la section.")
    score: float | None = Field(None, description="Score de rapprochement.")


class Condition(_Open):
    text: str = Field(..., description="Condition ou contrainte financière applicable, citée du corpus.")
    doc_id: str | None = Field(None, description="Identifiant du document.")
    line_start: int | None = Field(None, description="Première ligne.")
    line_end: int | None = Field(None, description="Dernière ligne.")


class EligibilityResponse(_Open):
    """Le verdict d'éligibilité d'une action, ses sections de référentiel, ses conditions et citations."""

    verdict: str | None = Field(
        None, description="eligible, eligible_with_conditions, excluded ou not_in_referential."
    )
    sections: list[EligibilitySection] = Field(default_factory=list, description="Sections du référentiel, la meilleure d'abord.")
    conditions: list[Condition] = Field(default_factory=list, description="Conditions et plafonds qui s'appliquent.")
    citations: list[Citation] = Field(default_factory=list, description="Passages cités.")


class RuleCitation(_Open):
    doc_id: str = Field(..., description="Identifiant du document qui fonde la règle.")
    doc_title: str | None = Field(None, description="Titre du document.")
    line_start: int = Field(..., description="Première ligne du paragraphe cité.")
    line_end: int = Field(..., description="Dernière ligne du paragraphe cité.")


class RuleResult(_Open):
    """Le résultat d'une règle, pour une action ou pour le contrat entier."""

    rule: str = Field(..., description="Identifiant stable de la règle (par exemple « parity »).")
    rule_title: str | None = Field(None, description="Intitulé de la règle, en français.")
    action: str | None = Field(None, description="Identifiant de l'action concernée ; null pour une règle globale.")
    verdict: Literal["ok", "violation", "warning", "info"] = Field(
        ..., description="ok, violation, warning (avertissement) ou info."
    )
    message: str = Field(..., description="Explication en français, avec les montants calculés.")
    citation: RuleCitation | None = Field(None, description="Paragraphe de l'instruction qui fonde la règle.")
    values: dict[str, Any] = Field(default_factory=dict, description="Valeurs utilisées par la règle.")


class ContractAction(_Open):
    id: str = Field(..., description="Numéro de la fiche action (« 1.1 »).")
    axe: int = Field(..., description="Axe du pacte (1 à 4).")
    intitule: str = Field(..., description="Intitulé de l'action.")


class ContractSummary(_Open):
    """Ce que le contrôle a lu du contrat : collectivité, année et actions."""

    nom: str = Field(..., description="Nom de la collectivité.")
    type: str = Field(..., description="« departement » ou « metropole ».")
    annee: int = Field(..., description="Année du tableau financier.")
    actions: list[ContractAction] = Field(default_factory=list, description="Les actions, dans l'ordre du fichier.")


class CheckResponse(_Open):
    """Le contrôle déterministe d'un contrat : ok est faux dès qu'une règle est violée."""

    ok: bool = Field(..., description="Vrai si aucune règle n'est violée.")
    results: list[RuleResult] = Field(default_factory=list, description="Résultats de chaque règle.")
    contract: ContractSummary | None = Field(None, description="Le contrat tel qu'il a été lu.")


class IndicatorsResponse(_Open):
    """Les indicateurs nationaux par section de référentiel, et le calendrier de remontée."""

    axe: int | None = Field(None, description="Axe demandé, ou null pour tous les axes.")
    indicators: list[dict[str, Any]] = Field(
        ...,
        description="Un objet par section de référentiel et indicateur national : axe, section, libellé exact "
        "(indicator), définition (annexe 6), document et lignes.",
    )
    calendar: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Calendrier de remontée des indicateurs et d'évaluation, chaque étape avec sa citation et ses lignes.",
    )


class DocumentLine(BaseModel):
    number: int = Field(..., description="Numéro de la ligne dans le fichier du corpus (à partir de 1).")
    text: str = Field(..., description="Texte exact de la ligne.")


class SectionInfo(BaseModel):
    title: str = Field(..., description="Titre de la section qui contient la première ligne demandée.")
    path: list[str] = Field(default_factory=list, description="Titres des sections englobantes, de la racine à celle-ci.")
    line_start: int = Field(..., description="Ligne du titre de la section.")
    line_end: int = Field(..., description="Dernière ligne de la section.")


class DocumentLines(BaseModel):
    """Un extrait d'un document du corpus, pour lire une citation dans son contexte."""

    doc_id: str = Field(..., description="Identifiant du document.")
    doc_title: str = Field(..., description="Titre du document.")
    total_lines: int = Field(..., description="Nombre de lignes du document.")
    start: int = Field(..., description="Première ligne renvoyée.")
    end: int = Field(..., description="Dernière ligne renvoyée.")
    lines: list[DocumentLine] = Field(..., description="Les lignes, avec leur numéro.")
    section: SectionInfo | None = Field(None, description="La section qui contient la première ligne, si le document a des titres.")


class HealthResponse(_Open):
    """L'état du service : index, modèle d'embeddings, empreintes du corpus, version."""

    status: Literal["ok", "degraded"] = Field(..., description="« ok », ou « degraded » si l'index n'est pas utilisable.")
    version: str = Field(..., description="Version de Pacte Assistant.")
    index: dict[str, Any] = Field(..., description="État de l'index (modèle, empreintes, date de construction).")
    embedder: str = Field(..., description="Modèle d'embeddings configuré.")
    corpus: dict[str, str] = Field(..., description="Empreinte sha256 de chaque document du corpus.")
    assistant_loaded: bool = Field(..., description="Vrai si l'assistant (index chargé) est prêt à répondre.")
    api_key_required: bool = Field(..., description="Vrai si une clé d'API est exigée sur /api/*.")
    worker: dict[str, Any] | None = Field(
        None,
        description="Le processus qui a répondu : pid, build de l'index qu'il utilise (null s'il n'en a chargé aucun) "
        "et nombre de rechargements depuis son démarrage (une reconstruction est prise en compte sans redémarrage).",
    )


class ErrorResponse(BaseModel):
    """Toute erreur : un message en français, jamais de trace technique."""

    detail: str = Field(..., description="Message d'erreur en français.")
