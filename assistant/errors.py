"""User-facing errors. Messages are in French; the CLI prints them without a traceback."""


class PacteError(Exception):
    """An error caused by the user's input or environment, with a French message.

    `exit_code` follows the CLI convention: 2 for invalid input or a missing/corrupted index.
    `status` is the HTTP status the API returns for it.
    """

    exit_code = 2
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(PacteError):
    status = 422


class IndexUnavailable(PacteError):
    """The index is missing, corrupted or built with another embedder/corpus."""

    status = 503


class CorpusError(PacteError):
    status = 500
