"""Checks on free-text input shared by the CLI, the Python API and the HTTP API."""

from __future__ import annotations

from .config import MAX_QUESTION_CHARS
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
