"""Extracting a contract from its document and auditing it: `pacte extract`, `pacte audit`.

    from assistant.audit import extract, audit
    extraction = extract("pas-de-calais-contrat-2024")     # doc id, path, or (bytes, filename)
    report = audit("pas-de-calais-contrat-2024")           # rules of `pacte check` + consistency findings

Modules, in reading order: source (reading a document), text (amounts, percentages), vocabulary
(assistant/data/audit_vocabulary.yaml), tables, fiches, structure, extract, consistency, axes, report, cli.
"""

from .extract import Extraction, extract
from .source import read_document

__all__ = ["Extraction", "extract", "read_document"]
