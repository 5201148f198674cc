"""`pacte index` and `pacte search`."""

from __future__ import annotations

import json

import click

from .config import Settings
from .corpus_cli import scope_from_options, scope_options


@click.command("index")
@click.option("--force", is_flag=True, help="Reconstruire même si le corpus et l'embedder n'ont pas changé.")
@click.option("--status", "show_status", is_flag=True, help="Afficher l'état de l'index sans rien construire.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
def index_cmd(force, show_status, quiet):
    """Construit (ou met à jour) l'index de recherche du corpus.

    Sans PACTE_CHROMA_URL, les vecteurs sont dans Chroma embarqué (PACTE_INDEX_DIR) ; avec, dans ce serveur Chroma.
    """
    from .index import build_index, index_status

    settings = Settings.from_env()
    if show_status:
        status = index_status(settings)
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
        raise click.exceptions.Exit(0 if status["ok"] else 2)
    report = build_index(settings, force=force, progress=not quiet)
    if report.removed:
        click.echo(f"Constructions inachevées ou remplacées supprimées : {', '.join(report.removed)}.")
    if report.repaired:
        click.echo(f"L'index en place était inutilisable : {report.repaired} Il a été reconstruit.")
    if report.status == "up-to-date":
        click.echo(f"Index à jour ({report.chunks} passages) : rien à reconstruire. Utilisez --force pour forcer.")
    else:
        click.echo(
            f"Index construit : {report.chunks} passages, {report.embedded} vectorisés "
            f"(les autres venaient du cache), en {report.seconds:.1f} s."
        )
    from .learned.question_generation import questions_for_new_passages

    questions_for_new_passages(settings, log=click.echo)  # only with PACTE_LLM_URL
    _train(settings, retrain=False, quiet=quiet)


def _train(settings: Settings, retrain: bool, quiet: bool) -> None:
    """Train the learned models when missing or stale (or always, with `retrain`), and say so."""
    from .learned.models import load_models, models_path
    from .retrieval import Retriever

    retriever = Retriever.bare(settings)
    before = models_path(settings).stat().st_mtime if models_path(settings).exists() else None
    models = load_models(settings, retriever, retrain=retrain, log=None if quiet else lambda m: click.echo(f"  {m}"))
    after = models_path(settings).stat().st_mtime if models_path(settings).exists() else None
    if retrain or after != before:
        r = models.report
        click.echo(
            f"Modèles entraînés en {r['seconds']:.1f} s : {r['intent_examples']} questions d'intention, "
            f"{r['entry_points']} points d'entrée, {r['ranker_rows']} candidats classés, "
            f"{r['abstention_examples']} questions pour l'abstention, {r['section_examples']} actions."
        )
    else:
        click.echo("Modèles à jour : rien à réentraîner.")
    if models.report.get("stale_passage_questions"):
        click.echo(f"Attention : {models.report['stale_passage_questions']} passages ont changé depuis l'écriture de "
                   "leurs questions (corpus/questions/) : ces questions sont ignorées.")


@click.command("train")
@click.option("--quiet", is_flag=True, help="Sans le détail des étapes.")
def train_cmd(quiet):
    """Réentraîne les modèles appris (intention, classement, abstention, sections) sur le jeu d'entraînement."""
    _train(Settings.from_env(), retrain=True, quiet=quiet)


@click.command("search")
@click.argument("question", required=False)
@click.option("-k", "k", default=10, show_default=True, type=click.IntRange(1, 100), help="Nombre de passages.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--batch", type=click.Path(dir_okay=False), help='Fichier JSONL de lignes {"id", "question"}.')
@click.option("--mode", type=click.Choice(["hybrid", "bm25", "dense"]), default="hybrid", show_default=True)
@scope_options
def search_cmd(question, k, as_json, batch, mode, doc_ids, kinds, territories):
    """Recherche les passages du corpus qui répondent à une question."""
    from .answer_cli import _one_or_batch
    from .batch import read_batch
    from .retrieval import load_retriever
    from .validation import clean_text

    _one_or_batch(question, batch)
    # Validate all input before loading anything heavy.
    items = read_batch(batch) if batch else [(None, clean_text(question), {})]
    settings = Settings.from_env()
    scope = scope_from_options(settings, doc_ids, kinds, territories)
    retriever = load_retriever(settings).scoped(scope)
    if batch:
        for item_id, text, _ in items:
            hits = retriever.search(text, k=max(k, 10), mode=mode)
            click.echo(json.dumps({"id": item_id, "hits": [h.to_dict() for h in hits]}, ensure_ascii=False))
        return
    hits = retriever.search(items[0][1], k=k, mode=mode)
    if as_json:
        click.echo(json.dumps({"question": items[0][1], "hits": [h.to_dict() for h in hits]}, ensure_ascii=False, indent=2))
        return
    for hit in hits:
        c = hit.chunk
        click.echo(f"{hit.rank:>2}. [{c.doc_id} l.{c.line_start}-{c.line_end}] {' > '.join(c.section_path)}  (score {hit.score:.4f})")
        excerpt = " ".join(c.text.split())
        click.echo(f"    {excerpt[:300]}{'…' if len(excerpt) > 300 else ''}")
