"""`pacte corpus add|list|remove|show`: the user's own documents, with the same citations as the shipped ones."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .config import Settings
from .corpus import KINDS


@click.group("corpus")
def corpus_group():
    """Ajoute, liste, affiche ou retire les documents du corpus."""


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _decimal(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


@corpus_group.command("add")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--doc-id", help="Identifiant du document (défaut : tiré du nom du fichier).")
@click.option("--title", help="Titre (défaut : celui du fichier, ou son nom).")
@click.option("--issuer", help="Émetteur (collectivité, service…).")
@click.option("--date", help="Date du document, AAAA-MM-JJ.")
@click.option("--kind", type=click.Choice(KINDS), default="other", show_default=True, help="Type de document.")
@click.option("--territory", help="Territoire dont parle le document (département, métropole, région).")
@click.option("--alias", "aliases", multiple=True, help="Nom par lequel une question désigne ce document (répétable).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
def add_cmd(file, doc_id, title, issuer, date, kind, territory, aliases, as_json, quiet):
    """Ajoute un document (PDF, DOCX, HTML, Markdown ou texte) au corpus et met l'index à jour.

    Le fichier est converti une fois en texte UTF-8, conservé à côté de l'original dans le dossier du corpus :
    les citations et numéros de ligne renvoient à ce texte (`pacte corpus show ID`)."""
    from .errors import InvalidInput
    from .ingest import check_size
    from .user_corpus import DocumentInfo, add_document

    try:
        check_size(file.stat().st_size, file.name)  # before reading a 60 MB file into memory
        data = file.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"Fichier introuvable : {file}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{file} est un dossier, pas un fichier.") from None
    except PermissionError:
        raise InvalidInput(f"Lecture de {file} refusée (droits insuffisants).") from None
    info = DocumentInfo(doc_id=doc_id, title=title, issuer=issuer, date=date, kind=kind, territory=territory,
                        aliases=tuple(aliases))
    settings = Settings.from_env()
    report = add_document(settings, data, file.name, info, progress=not (quiet or as_json))
    from .learned.question_generation import questions_for_new_passages

    # With PACTE_LLM_URL, the new passages get hypothetical questions (entry points) now.
    generated = questions_for_new_passages(settings, log=None if as_json else click.echo)
    if as_json:
        click.echo(json.dumps({**report.to_dict(), "generated_questions": generated.questions}, ensure_ascii=False,
                              indent=2))
        return
    entry = report.entry
    source = entry["source"]
    pages = f", {source['pages']} pages" if source.get("pages") else ""
    lines = len((Settings.from_env().corpus_dir / entry["file"]).read_text(encoding="utf-8").split("\n")) - 1
    click.echo(f"Document ajouté : {report.doc_id} — {entry['title']}")
    click.echo(f"  {source['format'].upper()}{pages} → {_thousands(lines)} lignes de texte : {entry['file']}")
    click.echo(
        f"  {_thousands(report.chunks)} passages, {_thousands(report.embedded)} vectorisés ; "
        f"index : {_thousands(report.index_chunks)} passages, en {_decimal(report.seconds)} s."
    )


@corpus_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def list_cmd(as_json):
    """Liste les documents du corpus (livrés et ajoutés)."""
    from .user_corpus import list_documents

    docs = list_documents(Settings.from_env())
    if as_json:
        click.echo(json.dumps({"documents": docs}, ensure_ascii=False, indent=2))
        return
    for d in docs:
        origin = "livré" if d["shipped"] else "ajouté"
        where = f", {d['territory']}" if d["territory"] else ""
        click.echo(f"{d['doc_id']}  [{d['kind']}{where}, {origin}, {_thousands(d['lines'])} lignes]")
        click.echo(f"    {d['title']}")


@corpus_group.command("remove")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option("--quiet", is_flag=True, help="Sans barre de progression.")
def remove_cmd(doc_id, as_json, quiet):
    """Retire un document ajouté du corpus et met l'index à jour (les documents livrés restent)."""
    from .user_corpus import remove_document

    from .learned.question_generation import forget_questions

    settings = Settings.from_env()
    report = remove_document(settings, doc_id, progress=not (quiet or as_json))
    forget_questions(settings.corpus_dir, doc_id)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(
        f"Document retiré : {doc_id} ({_thousands(report.chunks)} passages) ; "
        f"index : {_thousands(report.index_chunks)} passages, en {_decimal(report.seconds)} s."
    )


@corpus_group.command("show")
@click.argument("doc_id")
@click.option("--start", type=click.IntRange(min=1), help="Première ligne (à partir de 1).")
@click.option("--end", type=click.IntRange(min=1), help="Dernière ligne, incluse.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def show_cmd(doc_id, start, end, as_json):
    """Affiche les lignes du texte auquel renvoient les citations d'un document."""
    from .corpus import load_corpus
    from .errors import InvalidInput

    docs = load_corpus(Settings.from_env().corpus_dir)
    doc = docs.get(doc_id)
    if doc is None:
        raise InvalidInput(f"Document inconnu : « {doc_id} ». Documents du corpus : {', '.join(docs)}.")
    total = len(doc.lines)
    start = start or 1
    end = min(end or total, total)
    if start > total:
        raise InvalidInput(f"Le document « {doc_id} » compte {_thousands(total)} lignes : la ligne {start} n'existe pas.")
    if end < start:
        raise InvalidInput(f"La ligne de fin ({end}) précède la ligne de début ({start}).")
    lines = list(doc.lines[start - 1 : end])
    if as_json:
        click.echo(json.dumps({"doc_id": doc.doc_id, "title": doc.title, "line_start": start, "line_end": end,
                               "lines": lines}, ensure_ascii=False, indent=2))
        return
    width = len(str(end))
    for number, line in enumerate(lines, start=start):
        click.echo(f"{number:>{width}} | {line}")


# --- the document filters of `pacte search` and `pacte ask` ------------------------------------------------


def scope_options(command):
    """--doc, --kind, --territory: restrict the passages searched (and quoted) to some documents."""
    command = click.option("--territory", "territories", multiple=True,
                           help="Seulement les documents de ce territoire (répétable).")(command)
    command = click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS),
                           help="Seulement les documents de ce type (répétable).")(command)
    command = click.option("--doc", "doc_ids", multiple=True, metavar="ID",
                           help="Seulement ce document (répétable ; voir `pacte corpus list`).")(command)
    return command


def scope_from_options(settings: Settings, doc_ids, kinds, territories):
    """The doc_ids the filters keep (None: no filter), or InvalidInput naming an unknown document."""
    from .corpus import load_manifest
    from .retrieval import document_scope

    if not (doc_ids or kinds or territories):
        return None
    return document_scope(load_manifest(settings.corpus_dir), doc_ids, kinds, territories)
