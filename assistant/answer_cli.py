"""`pacte ask` and `pacte eligibility`."""

from __future__ import annotations

import json

import click

from .config import Settings
from .corpus_cli import scope_from_options, scope_options


def _print_citations(result: dict):
    for c in result.get("citations", []):
        path = " > ".join(c.get("section_path") or [])
        click.echo(f"  [{c['id']}] {c['doc_id']} l.{c['line_start']}-{c['line_end']} — {path}")
        click.echo(f"      « {c['quote'][:400]}{'…' if len(c['quote']) > 400 else ''} »")


def _load_history(path):
    from .errors import InvalidInput
    from .validation import check_history

    if not path:
        return None
    try:
        with open(path, encoding="utf-8-sig") as handle:
            data = json.loads(handle.read())
    except (OSError, ValueError):
        raise InvalidInput(f"Historique illisible : {path} (liste JSON de {{\"question\", \"answer\"}} attendue).") from None
    return check_history(data, f"L'historique {path}")


def _one_or_batch(text, batch, what: str = "une question"):
    """Exactly one of an argument (possibly empty: then it is checked, and found empty) and --batch."""
    from .errors import InvalidInput

    if text is not None and batch:
        raise InvalidInput(f"Donnez soit {what}, soit --batch FICHIER.jsonl, pas les deux.")
    if text is None and not batch:
        raise InvalidInput(f"Donnez {what} (entre guillemets) ou --batch FICHIER.jsonl.")


@click.command("ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--batch", type=click.Path(dir_okay=False), help='Fichier JSONL de lignes {"id", "question"}.')
@click.option("--history", type=click.Path(dir_okay=False), help='Tours précédents : liste JSON de {"question", "answer"}.')
@scope_options
def ask_cmd(question, as_json, batch, history, doc_ids, kinds, territories):
    """Répond à une question avec des citations exactes du corpus (ou dit que le corpus ne couvre pas la question)."""
    from .answer import Assistant
    from .batch import read_batch
    from .errors import InvalidInput
    from .validation import check_history, clean_text

    _one_or_batch(question, batch)
    items = read_batch(batch) if batch else [(None, clean_text(question), {})]
    for item_id, _, record in items:  # validate every line before any output
        if "history" in record:
            try:
                check_history(record["history"], "« history »")
            except InvalidInput as exc:
                raise InvalidInput(f"{batch}, id « {item_id} » : {exc.message}") from None
    turns = _load_history(history)
    settings = Settings.from_env()
    scope = scope_from_options(settings, doc_ids, kinds, territories)
    assistant = Assistant.load(settings)
    if scope is not None:
        # The same assistant over a retriever that only searches these documents.
        assistant = Assistant(assistant.retriever.scoped(scope), assistant.documents, settings)
    if batch:
        for item_id, text, record in items:
            result = assistant.ask(text, history=record.get("history"))
            click.echo(json.dumps({"id": item_id, **result}, ensure_ascii=False))
        return
    result = assistant.ask(items[0][1], history=turns)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(result["answer"])
    _print_citations(result)


@click.command("eligibility")
@click.argument("description", required=False)
@click.option("--collectivite", type=click.Choice(["metropole", "departement"]), help="Type de collectivité.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--batch", type=click.Path(dir_okay=False), help='Fichier JSONL de lignes {"id", "description"}.')
def eligibility_cmd(description, collectivite, as_json, batch):
    """Dit si une action relève d'un référentiel (axe, section), avec ses conditions et exclusions."""
    from .answer import Assistant
    from .batch import read_batch
    from .errors import InvalidInput
    from .validation import clean_text

    _one_or_batch(description, batch, "une description d'action")
    what = "La description de l'action"
    items = read_batch(batch, field="description", what=what) if batch else [(None, clean_text(description, what), {})]
    from .conditions import check_collectivite

    for item_id, _, record in items:  # validate every line before any output
        try:
            check_collectivite(record.get("collectivite"))
        except InvalidInput as exc:
            raise InvalidInput(f"{batch}, id « {item_id} » : {exc.message}") from None
    assistant = Assistant.load(Settings.from_env())
    if batch:
        for item_id, text, record in items:
            result = assistant.eligibility(text, record.get("collectivite") or collectivite)
            click.echo(json.dumps({"id": item_id, **result}, ensure_ascii=False))
        return
    result = assistant.eligibility(items[0][1], collectivite)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    click.echo(result["answer"])
    for s in result["sections"][:3]:
        click.echo(f"  axe {s['axis']} — {' > '.join(s['section_path'][1:])} (l.{s['line_start']}-{s['line_end']}, score {s['score']})")
    _print_citations(result)
