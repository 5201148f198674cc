"""`pacte extract DOC [--out FILE] [--json]` and `pacte audit DOC [--json] [--sans-axes]`.

DOC is a corpus doc id (`pacte-de-calais-contrat-2024`) or a file (.txt, .md, .xlsx, .csv).
Exit codes of `pacte audit`: 0 nothing contradicts (no error finding, no rule violation), 1 errors or
violations found, 2 invalid input (printed as « Erreur : … »).
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

import click

from ..errors import InvalidInput


def _slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text or "contrat")
    t = "".join(c for c in t if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", t).strip("-") or "contrat"


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)  # never a half-written contract file
    except OSError as exc:
        raise InvalidInput(f"écriture impossible de {path} : {exc.strerror or exc}") from None


@click.command("extract")
@click.argument("document")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Fichier YAML à écrire (un fichier par contrat si le document en contient plusieurs).")
@click.option("--json", "as_json", is_flag=True, help="Contrat(s), lignes sources et notes en JSON.")
def extract_cmd(document, out, as_json):
    """Extraire d'un document (identifiant du corpus ou fichier .txt, .md, .xlsx, .csv) le contrat au format
    de « pacte check », chaque valeur suivie des lignes du document où elle a été lue."""
    from .extract import extract
    from .yamlout import to_yaml

    extraction = extract(document)
    if not extraction.contracts:
        raise InvalidInput(f"{extraction.doc.doc_id} : " + "; ".join(extraction.notes))
    if as_json:
        payload = {
            "doc_id": extraction.doc.doc_id,
            "contracts": [{"contract": c.mapping(), "sources": c.sources(), "notes": c.notes} for c in extraction.contracts],
            "notes": extraction.notes,
        }
        text = json.dumps(payload, ensure_ascii=False, indent=2)
        if out:
            _write(out, text + "\n")
            click.echo(f"Contrat écrit : {out}", err=True)
        else:
            click.echo(text)
        return
    several = len(extraction.contracts) > 1
    for contract in extraction.contracts:
        header = (f"Contrat extrait de {extraction.doc.doc_id} par « pacte extract » : {contract.nom.value or '?'}, "
                  f"année {contract.annee.value or '?'}.\nLes nombres après « l. » sont les lignes du document d'où "
                  "vient chaque valeur.")
        if contract.notes:
            header += "\nÀ vérifier : " + " ; ".join(contract.notes)
        text = to_yaml(contract, header)
        if out is None:
            if several:
                click.echo("---")
            click.echo(text, nl=False)
            continue
        target = out.with_name(f"{out.stem}-{_slug(contract.nom.value)}{out.suffix or '.yaml'}") if several else out
        _write(target, text)
        click.echo(f"Contrat écrit : {target} ({len(contract.actions)} actions)", err=True)


@click.command("audit")
@click.argument("document")
@click.option("--json", "as_json", is_flag=True, help="Rapport JSON {doc_id, rules, findings, contracts, notes}.")
@click.option("--sans-axes", "--no-axes", "no_axes", is_flag=True,
              help="Ne pas comparer l'axe des actions au référentiel (pas besoin de l'index).")
def audit_cmd(document, as_json, no_axes):
    """Auditer un document de contrat : extraction, règles de « pacte check » et constats de cohérence
    (totaux, montants répétés, pourcentages, axes), chacun citant les lignes comparées.

    Code de sortie : 0 sans erreur ni violation, 1 sinon, 2 si le document est illisible."""
    from .report import audit, render

    report = audit(document, eligibility=not no_axes)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render(report))
    data = report.to_dict()
    if data["summary"]["findings"]["error"] or data["summary"]["violations"]:
        sys.exit(1)  # sys.exit: assistant.cli.main runs click with standalone_mode=False
