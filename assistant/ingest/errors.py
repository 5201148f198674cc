"""Why a file cannot be added to the corpus: French messages, the HTTP status each deserves, exit 2 on the CLI."""

from __future__ import annotations

from ..errors import InvalidInput, PacteError


class UnreadableDocument(InvalidInput):
    """The file is damaged, protected, empty, or has no text to cite (422)."""


class UnsupportedFormat(PacteError):
    status = 415


class DocumentTooLarge(PacteError):
    status = 413
