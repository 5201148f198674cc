"""Checks on free-text input shared by the CLI, the Python API and the HTTP API."""

from __future__ import annotations

from .config import MAX_HISTORY_ANSWER_CHARS, MAX_HISTORY_TURNS, MAX_QUESTION_CHARS
from .errors import InvalidInput


def clean_text(text, what: str = "La question", limit: int = MAX_QUESTION_CHARS) -> str:
    """The text stripped, or InvalidInput naming the problem (empty, too long, not text)."""
    if not isinstance(text, str):
        raise InvalidInput(f"{what} doit être un texte.")
    cleaned = " ".join(text.replace("\x00", " ").split())
    if not cleaned:
        raise InvalidInput(f"{what} est vide.")
    if len(cleaned) > limit:
        raise InvalidInput(
            f"{what} est trop longue : {len(cleaned):,} caractères (maximum {limit:,}).".replace(",", "\u202f")
        )
    return cleaned


def _chars(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def check_history(turns, where: str = "L'historique") -> list[dict]:
    """Previous turns [{"question", "answer"}] within the API's limits, or InvalidInput naming the turn and what is
    wrong with it (a long turn is not a long question)."""
    expected = 'une liste JSON de {"question", "answer"} est attendue'
    if not isinstance(turns, list):
        raise InvalidInput(f"{where} est invalide : {expected}.")
    if len(turns) > MAX_HISTORY_TURNS:
        raise InvalidInput(f"{where} compte {len(turns)} tours : {MAX_HISTORY_TURNS} au plus.")
    for number, turn in enumerate(turns, start=1):
        if not isinstance(turn, dict) or not isinstance(turn.get("question"), str) or not isinstance(turn.get("answer", ""), str):
            raise InvalidInput(f"{where}, tour {number} : un objet {{\"question\", \"answer\"}} (deux textes) est attendu.")
        for field, label, limit in (("question", "la question", MAX_QUESTION_CHARS), ("answer", "la réponse", MAX_HISTORY_ANSWER_CHARS)):
            size = len(turn.get(field, ""))
            if size > limit:
                raise InvalidInput(
                    f"{where}, tour {number} : {label} de ce tour est trop longue : {_chars(size)} caractères "
                    f"(maximum {_chars(limit)})."
                )
    return turns
