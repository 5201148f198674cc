"""The evaluation's own error type: the scorer imports nothing from `assistant` (any system's answers can be scored
without our code), so its input errors are not the product's. The `pacte eval` commands turn it into the CLI's
French message and exit code 2 (eval/cli.py)."""

from __future__ import annotations


class InvalidInput(ValueError):
    """A dataset, an answers file or a run directory that cannot be read, with a French message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
