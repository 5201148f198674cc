"""`pacte corpus add|list|remove|show` on a private copy of the corpus and its index: added documents are searched,
cited and named like the shipped ones; refusals leave corpus and index as they were; a change killed at any point
leaves a usable corpus and index."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.corpus import USER_DIR, load_corpus, load_manifest
from assistant.index import build_index, check_index, load_index
from assistant.user_corpus import (
    DocumentConflict,
    DocumentInfo,
    ShippedDocument,
    UnknownDocument,
    add_document,
    corpus_lock,
    list_documents,
    remove_document,
)

try:
    from .document_makers import PDC, bfc_docx, encrypted_pdf, instruction_html, pdc_convention_lines, pdc_pdf, scanned_pdf
except ImportError:
    from document_makers import PDC, bfc_docx, encrypted_pdf, instruction_html, pdc_convention_lines, pdc_pdf, scanned_pdf

SHIPPED = PROJECT_ROOT / "corpus"
COMITE = (
    "# Comité de pilotage du contrat local des solidarités\n\n"
    "Le comité de pilotage du Val d'Arlan s'est réuni le 3 mai 2024 à Saint-Arlan.\n"
    "Il a validé l'ouverture de deux maisons des solidarités itinérantes en septembre 2024.\n"
)


def shipped_hashes() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SHIPPED.iterdir() if p.is_file()}


def fresh_corpus(root: Path) -> Settings:
    corpus = root / "corpus"
    # The shipped documents and their data (hypothetical questions), never a user folder.
    shutil.copytree(SHIPPED, corpus, ignore=shutil.ignore_patterns("user", ".lock"))
    project = Settings.from_env()
    return Settings(corpus_dir=corpus, index_dir=root / "index", cache_dir=project.cache_dir,
                    models_dir=project.models_dir)


def copy_workspace(settings: Settings, root: Path) -> Settings:
    """A private copy of a corpus and its current index build, free to damage."""
    corpus = root / "corpus"
    shutil.copytree(settings.corpus_dir, corpus, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    build = (settings.index_dir / "current").resolve()
    shutil.copytree(build, root / "index" / "builds" / build.name)
    os.symlink(os.path.join("builds", build.name), root / "index" / "current")
    return replace(settings, corpus_dir=corpus, index_dir=root / "index")


def state(settings: Settings) -> dict:
    """Everything a change may touch: the user folder's files and the current index."""
    user = settings.corpus_dir / USER_DIR
    files = {}
    if user.exists():
        for path in sorted(user.rglob("*")):
            if path.is_file() and path.name != ".lock":
                files[str(path.relative_to(user))] = hashlib.sha256(path.read_bytes()).hexdigest()
    current = settings.index_dir / "current"
    return {"files": files, "index": os.readlink(current) if current.is_symlink() else None,
            "index_manifest": (current / "manifest.json").read_text() if current.exists() else None}


def pacte(settings: Settings, *args: str, **env_extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "PACTE_CORPUS_DIR": str(settings.corpus_dir), "PACTE_INDEX_DIR": str(settings.index_dir),
           "PACTE_CACHE_DIR": str(settings.cache_dir), **env_extra}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Settings:
    """A copy of the shipped corpus with its index (built from the embedding cache)."""
    settings = fresh_corpus(tmp_path_factory.mktemp("base"))
    build_index(settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def added(base, tmp_path_factory):
    """The base corpus with three added documents: a PDF, a DOCX and an HTML page made from the corpus."""
    settings = copy_workspace(base, tmp_path_factory.mktemp("added"))
    reports = {
        "pdf": add_document(settings, pdc_pdf(), "convention-pdc.pdf",
                            DocumentInfo(doc_id="convention-pdc-pdf", kind="contract", territory="Val d'Arlan",
                                         title="Convention départementale (copie PDF)")),
        "docx": add_document(settings, bfc_docx(), "notes-bfc.docx", DocumentInfo(kind="notes", date="2024-04-11")),
        "html": add_document(settings, instruction_html(), "cadre-financier.html",
                             DocumentInfo(kind="faq", aliases=("page du cadre financier",))),
    }
    return settings, reports


# --- adding -------------------------------------------------------------------------------------------------


def test_added_documents_are_listed_after_the_shipped_ones(added):
    settings, reports = added
    docs = list_documents(settings)
    assert [d["doc_id"] for d in docs][:3] == list(load_corpus(SHIPPED))
    assert [d["doc_id"] for d in docs][3:] == ["convention-pdc-pdf", "notes-bfc", "cadre-financier"]
    pdf = docs[3]
    assert pdf["shipped"] is False and pdf["kind"] == "contract" and pdf["territory"] == "Val d'Arlan"
    assert pdf["source"]["format"] == "pdf" and pdf["source"]["pages"] >= 2
    assert pdf["file"] == "user/convention-pdc-pdf/convention-pdc-pdf.txt"


def test_the_converted_text_is_kept_beside_the_original_with_its_sha256(added):
    settings, _ = added
    for entry in load_manifest(settings.corpus_dir)[3:]:
        text = settings.corpus_dir / entry["file"]
        source = settings.corpus_dir / entry["source"]["file"]
        assert text.parent == source.parent
        assert hashlib.sha256(text.read_bytes()).hexdigest() == entry["sha256"]
        assert hashlib.sha256(source.read_bytes()).hexdigest() == entry["source"]["sha256"]
        text.read_bytes().decode("utf-8")


def test_the_index_holds_the_added_passages_and_embedded_only_them(added, base):
    settings, reports = added
    index = load_index(settings)
    before = len(load_index(base).chunks)
    assert len(index.chunks) == before + sum(r.chunks for r in reports.values())
    assert all(r.embedded <= r.chunks for r in reports.values())
    assert set(check_index(settings)["corpus"]) >= {"convention-pdc-pdf", "notes-bfc", "cadre-financier"}


def test_shipped_files_are_never_modified(added):
    assert shipped_hashes() == {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                for p in added[0].corpus_dir.iterdir() if p.is_file()}


def test_search_filters_by_document_kind_and_territory(added):
    from assistant.retrieval import Retriever, document_scope

    settings, _ = added
    retriever = Retriever.load(settings)
    entries = load_manifest(settings.corpus_dir)
    question = "Quels engagements réciproques du conseil départemental et de l'État ?"
    only_pdf = document_scope(entries, doc_ids=["convention-pdc-pdf"])
    assert {h.chunk.doc_id for h in retriever.search(question, k=5, doc_ids=only_pdf)} == {"convention-pdc-pdf"}
    contracts = document_scope(entries, kinds=["contract"])
    assert contracts == {"pas-de-calais-contrat-2024", "convention-pdc-pdf"}  # "contrat" and "contract" are one kind
    assert document_scope(entries, territories=["val d'arlan"]) == {"convention-pdc-pdf"}
    hits = retriever.scoped(document_scope(entries, kinds=["faq"])).search("plafond par axe", k=3)
    assert hits and {h.chunk.doc_id for h in hits} == {"cadre-financier"}


def test_a_question_naming_a_documents_alias_prefers_it(added):
    from assistant.retrieval import Retriever

    retriever = Retriever.load(added[0])
    assert retriever.named_document("Que dit la page du cadre financier sur la parité ?") == "cadre-financier"
    assert retriever.named_document("Que prévoit le contrat du Val d'Arlan ?") == "convention-pdc-pdf"
    assert retriever.named_document("Que dit le contrat du Pas-de-Calais ?") == "pas-de-calais-contrat-2024"
    assert retriever.named_document("Quelle est la part de l'État ?") == "instruction-2023-168"


def test_adding_documents_leaves_the_ranking_of_the_shipped_passages(base, added):
    """Shipped passages are ranked with the shipped statistics alone: after an add, the shipped hits of a question
    are the hits it had before, same order, same scores (added passages may only come between them)."""
    from assistant.retrieval import Retriever

    before, after = Retriever.load(base), Retriever.load(added[0])
    questions = [json.loads(line)["question"] for line in
                 (PROJECT_ROOT / "eval/datasets/dev_questions.jsonl").read_text(encoding="utf-8").splitlines()[:40]]
    for question in questions:
        old = [(h.chunk.id, h.score) for h in before.search(question, k=10)]
        new = [(h.chunk.id, h.score) for h in after.search(question, k=10) if h.chunk.doc_id not in after.added]
        assert new == old[: len(new)], question
        weights = after.bm25.query_weights(question)
        assert {t: w for t, w in weights.items() if t in before.bm25.idf} == {
            t: w for t, w in before.bm25.query_weights(question).items() if t in before.bm25.idf}


def test_answers_cite_added_documents_verbatim(added):
    from assistant.answer import Assistant

    settings, _ = added
    assistant = Assistant.load(settings)
    docs = assistant.documents
    cases = [
        ("Que définissent le préfet et le président du Conseil départemental du Val d'Arlan par la convention ?",
         "convention-pdc-pdf"),
        ("Quand le pacte des solidarités a-t-il été présenté par la première ministre selon les notes BFC ?", "notes-bfc"),
    ]
    for question, doc_id in cases:
        answer = Assistant(assistant.retriever.scoped(frozenset({doc_id})), docs, settings).ask(question)
        assert not answer["abstained"], (question, answer.get("signals"))
        for citation in answer["citations"]:
            assert citation["doc_id"] == doc_id
            span = docs[doc_id].span_text(citation["line_start"], citation["line_end"])
            assert citation["quote"] in " ".join(span.split())


def test_the_other_collectivity_abstention_reads_the_manifest_territories(base, added):
    from assistant.answer import Assistant

    question = "Quel est le montant du contrat du département du Val d'Arlan ?"
    before = Assistant.load(base).ask(question)
    assert before["abstained"] and before["signals"]["other_collectivity"] == "Val d'Arlan"
    after = Assistant.load(added[0]).ask(question)
    assert after["signals"]["other_collectivity"] is None


def test_corpus_show_serves_the_lines_citations_refer_to(added):
    settings, _ = added
    proc = pacte(settings, "corpus", "show", "cadre-financier", "--start", "1", "--end", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    text = (settings.corpus_dir / "user/cadre-financier/cadre-financier.txt").read_text(encoding="utf-8")
    assert shown == {"doc_id": "cadre-financier", "title": "Cadre financier des contrats locaux des solidarités",
                     "line_start": 1, "line_end": 3, "lines": text.split("\n")[:3]}
    proc = pacte(settings, "corpus", "show", "cadre-financier", "--start", "999")
    assert proc.returncode == 2 and "ligne 999 n'existe pas" in proc.stderr


def test_corpus_list_json(added):
    proc = pacte(added[0], "corpus", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert [d["doc_id"] for d in json.loads(proc.stdout)["documents"]][3:] == ["convention-pdc-pdf", "notes-bfc", "cadre-financier"]


# --- refusals: exit 2, a French message, nothing changed ------------------------------------------------------


def test_the_same_file_twice_is_refused(added):
    settings, _ = added
    before = state(settings)
    with pytest.raises(DocumentConflict, match="déjà dans le corpus"):
        add_document(settings, instruction_html(), "copie.html")
    assert state(settings) == before


def test_a_shipped_document_added_again_is_a_duplicate(added):
    settings, _ = added
    with pytest.raises(DocumentConflict, match="pas-de-calais-contrat-2024"):
        add_document(settings, PDC.read_bytes(), "pdc.txt")


def test_an_identifier_already_taken_is_refused(added):
    settings, _ = added
    before = state(settings)
    with pytest.raises(DocumentConflict, match="déjà pris"):
        add_document(settings, COMITE.encode(), "comite.md", DocumentInfo(doc_id="notes-bfc"))
    with pytest.raises(DocumentConflict, match="déjà pris"):
        add_document(settings, COMITE.encode(), "comite.md", DocumentInfo(doc_id="instruction-2023-168"))
    assert state(settings) == before


def test_invalid_information_is_refused_before_any_work(added):
    from assistant.errors import InvalidInput

    settings, _ = added
    for info, message in [(DocumentInfo(doc_id="Mon Document"), "Identifiant de document invalide"),
                          (DocumentInfo(date="15/04/2024"), "AAAA-MM-JJ"),
                          (DocumentInfo(date="2024-02-30"), "Date invalide"),
                          (DocumentInfo(kind="roman"), "Type de document inconnu")]:
        with pytest.raises(InvalidInput, match=message):
            add_document(settings, COMITE.encode(), "comite.md", info)


def test_shipped_documents_cannot_be_removed_and_unknown_ones_are_named(added):
    settings, _ = added
    with pytest.raises(ShippedDocument, match="livré"):
        remove_document(settings, "instruction-2023-168")
    with pytest.raises(UnknownDocument, match="« rien »"):
        remove_document(settings, "rien")


def test_a_second_change_while_one_runs_is_refused(added):
    settings, _ = added
    with corpus_lock(settings):
        with pytest.raises(DocumentConflict, match="en cours"):
            add_document(settings, COMITE.encode(), "comite.md")


def _malformed(tmp_path: Path) -> dict[str, Path]:
    files = {}

    def write(name: str, data: bytes) -> None:
        files[name] = tmp_path / name
        files[name].write_bytes(data)

    pdf = pdc_pdf(pdc_convention_lines(224, 260))
    write("tronque.pdf", pdf[: len(pdf) // 2])
    write("protege.pdf", encrypted_pdf())
    write("scan.pdf", scanned_pdf())
    import io
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("notes.txt", "pas un document Word")
    write("archive.docx", archive.getvalue())
    write("vide.txt", b"")
    big = tmp_path / "enorme.pdf"
    with open(big, "wb") as handle:  # sparse: 60 MB announced, nothing written
        handle.write(b"%PDF-1.7\n")
        handle.truncate(60 * 1024 * 1024)
    files["enorme.pdf"] = big
    write("binaire.txt", bytes(range(256)) * 64)
    return files


@pytest.mark.parametrize("name,message", [
    ("tronque.pdf", "tronqué ou endommagé"),
    ("protege.pdf", "mot de passe"),
    ("scan.pdf", "ne contient pas de texte"),
    ("archive.docx", "n'est pas un document Word"),
    ("vide.txt", "est vide"),
    ("enorme.pdf", "la limite est de 20 Mo"),
    ("binaire.txt", "n'est pas un fichier texte"),
])
def test_malformed_files_exit_2_with_a_french_message_and_change_nothing(added, tmp_path, name, message):
    settings, _ = added
    before = state(settings)
    proc = pacte(settings, "corpus", "add", str(_malformed(tmp_path)[name]), "--quiet")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("Erreur : ") and message in proc.stderr and "Traceback" not in proc.stderr
    assert state(settings) == before


def test_a_latin1_text_file_is_read_not_refused(base, tmp_path):
    settings = copy_workspace(base, tmp_path)
    path = tmp_path / "comite-latin1.txt"
    path.write_bytes(COMITE.encode("latin-1"))
    proc = pacte(settings, "corpus", "add", str(path), "--territory", "Val d'Arlan", "--quiet")
    assert proc.returncode == 0, proc.stderr
    text = (settings.corpus_dir / "user/comite-latin1/comite-latin1.txt").read_text(encoding="utf-8")
    assert text == COMITE


# --- removing and crashing -------------------------------------------------------------------------------------


def test_removing_a_document_restores_the_previous_index_and_deletes_its_files(base, tmp_path):
    settings = copy_workspace(base, tmp_path)
    chunks_before = len(load_index(settings).chunks)
    report = add_document(settings, COMITE.encode(), "comite.md", DocumentInfo(territory="Val d'Arlan"))
    assert len(load_index(settings).chunks) == chunks_before + report.chunks
    from assistant.retrieval import Retriever

    # Not named, but only the added document covers the question: its passage joins the hits.
    hits = Retriever.load(settings).search("Qu'a validé le comité de pilotage réuni à Saint-Arlan ?", k=5)
    assert hits[0].chunk.doc_id == "comite"
    proc = pacte(settings, "corpus", "remove", "comite", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "Document retiré : comite" in proc.stdout
    assert len(load_index(settings).chunks) == chunks_before
    assert not (settings.corpus_dir / "user" / "comite").exists()
    assert [e["doc_id"] for e in load_manifest(settings.corpus_dir)] == list(load_corpus(SHIPPED))


@pytest.mark.parametrize("kill", [("PACTE_CORPUS_KILL_AT", "after-pending"),
                                  ("PACTE_BUILD_KILL_AT", "after-embedding"),
                                  ("PACTE_BUILD_KILL_AT", "before-swap")])
def test_an_add_killed_before_the_index_switch_leaves_the_previous_corpus_and_index(base, tmp_path, kill):
    settings = copy_workspace(base, tmp_path / "w")
    before = check_index(settings)
    path = tmp_path / "comite.md"
    path.write_text(COMITE, encoding="utf-8")
    proc = pacte(settings, "corpus", "add", str(path), "--quiet", **{kill[0]: kill[1]})
    assert proc.returncode == -9  # SIGKILL
    assert check_index(settings) == before
    assert [e["doc_id"] for e in load_manifest(settings.corpus_dir)] == list(before["corpus"])
    assert len(load_index(settings).chunks) == before["chunks"]
    # The next change cleans the debris and succeeds.
    add_document(settings, COMITE.encode(), "comite.md")
    assert sorted(p.name for p in (settings.corpus_dir / "user").iterdir() if p.name != ".lock") == ["comite", "manifest.yaml"]


def test_an_add_killed_after_the_index_switch_is_complete_for_every_reader(base, tmp_path):
    settings = copy_workspace(base, tmp_path / "w")
    path = tmp_path / "comite.md"
    path.write_text(COMITE, encoding="utf-8")
    proc = pacte(settings, "corpus", "add", str(path), "--quiet", PACTE_CORPUS_KILL_AT="after-index")
    assert proc.returncode == -9
    assert (settings.corpus_dir / "user" / "pending.json").exists()  # the manifest was not written…
    manifest = check_index(settings)  # …but the pending state is the corpus the current index was built for
    assert "comite" in manifest["corpus"]
    assert [e["doc_id"] for e in load_manifest(settings.corpus_dir)][-1] == "comite"
    assert not (settings.corpus_dir / "user" / "pending.json").exists()  # rolled forward by the reader
    assert "comite" in (settings.corpus_dir / "user" / "manifest.yaml").read_text(encoding="utf-8")
