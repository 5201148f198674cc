"""`pacte check FILE [--json]` and `pacte check --explain RULE`.

Exit codes: 0 no violation, 1 at least one violation, 2 invalid input (printed as « Erreur : … »).
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter
from pathlib import Path

import click

from ..errors import InvalidInput
from .contract import load_contract
from .engine import report, run_rules
from .explain import wrap_fr
from .model import COLLECTIVITY_TYPES

VERDICT_LABELS = {"ok": "conforme", "violation": "VIOLATION", "warning": "avertissement", "info": "information"}


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n <= 1 else (plural or word + 's')}"


def render_table(facts, results, show_all: bool = False, width: int | None = None) -> str:
    """The readable French report: a header, a summary line, then one block per non-ok result."""
    width = width or max(80, min(shutil.get_terminal_size((110, 24)).columns, 140))
    counts = Counter(r.verdict for r in results)
    lines = [
        f"Contrôle du contrat local des solidarités — {facts.nom} ({COLLECTIVITY_TYPES[facts.type]}), "
        f"année {facts.annee} : {_plural(len(facts.actions), 'action')}",
    ]
    summary = [
        _plural(counts["warning"], "avertissement"),
        _plural(counts["info"], "information"),
        _plural(counts["ok"], "contrôle conforme", "contrôles conformes"),
    ]
    if counts["violation"]:
        lines.append(f"NON CONFORME : {_plural(counts['violation'], 'violation')}, {', '.join(summary)}.")
    else:
        lines.append(f"Conforme (aucune violation) : {', '.join(summary)}.")
    shown = [r for r in results if show_all or r.verdict != "ok"]
    if not shown:
        return "\n".join(lines)
    rule_w = max(len(r.rule) for r in shown)
    action_w = max(6, *(len(r.action or "—") for r in shown))
    verdict_w = max(len(VERDICT_LABELS[r.verdict]) for r in shown)
    indent = verdict_w + rule_w + action_w + 6
    lines.append("")
    lines.append(f"{'Verdict'.ljust(verdict_w)}  {'Règle'.ljust(rule_w)}  {'Action'.ljust(action_w)}  Message")
    lines.append("─" * min(width, indent + 60))
    for r in shown:
        prefix = f"{VERDICT_LABELS[r.verdict].ljust(verdict_w)}  {r.rule.ljust(rule_w)}  {(r.action or '—').ljust(action_w)}  "
        c = r.citation
        cite = f"→ {c.doc_id}, l. {c.line_start}" + (f"-{c.line_end}" if c.line_end != c.line_start else "")
        body = wrap_fr(r.message, width=max(30, width - indent)) + [cite]
        lines.append(prefix + body[0])
        lines.extend(" " * indent + part for part in body[1:])
    if not show_all and counts["ok"]:
        lines.append("")
        lines.append("(--all affiche aussi les contrôles conformes ; --json donne le rapport complet)")
    return "\n".join(lines)


@click.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Rapport JSON {ok, results} sur la sortie standard.")
@click.option("--explain", "explain_rule", metavar="REGLE", help="Expliquer une règle, ses paramètres et ses sources.")
@click.option("--all", "show_all", is_flag=True, help="Afficher aussi les contrôles conformes.")
@click.option("--list-rules", is_flag=True, help="Lister les règles disponibles.")
def check_cmd(file, as_json, explain_rule, show_all, list_rules):
    """Contrôler un contrat (YAML, JSON, XLSX ou CSV) : parité, plafonds, socles et exclusions.

    Code de sortie : 0 sans violation, 1 en cas de violation, 2 si le fichier est invalide.
    """
    from .explain import explain, list_rules as rules_text

    if list_rules:
        click.echo(rules_text())
        return
    if explain_rule is not None:
        click.echo(explain(explain_rule))
        return
    if file is None:
        raise InvalidInput("indiquez un fichier de contrat (pacte check CONTRAT.yaml) ou --explain REGLE")
    facts = load_contract(file).facts()
    results = run_rules(facts)
    result = report(results)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(render_table(facts, results, show_all=show_all))
    if not result["ok"]:
        # sys.exit, not ctx.exit: assistant.cli.main runs click with standalone_mode=False,
        # where click returns (and drops) the code of ctx.exit instead of exiting with it.
        sys.exit(1)
