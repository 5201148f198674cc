"""Benchmark of `pacte corpus add`: a 40-page PDF (about 100 kB of text) added and searchable, the answers on it,
and the answers on the shipped corpus before and after.

    .venv/bin/python bench/corpus_add.py [--out DIR] [--json] [--skip-eval]

1. lays out bench/data/val_darlan_fiches.yaml (a FICTIONAL local contract) as a 40-page PDF with fpdf2;
2. copies the shipped corpus and the embedding cache into a scratch folder (the cache holds the shipped passages,
   never the benchmark's: its passages are embedded for real) and builds the index there;
3. runs `pacte eval run --dataset dev_questions` (targets: same figures after the add);
4. times `add_document` + loading the retriever + a first search that finds the new document (target ≤ 30 s on
   2 cores; embedding the new passages is the floor, and the timings say how much of it);
5. on the 20 questions of bench/data/corpus_add_questions.jsonl: Recall@5 (a hit overlapping the lines of the
   question's quote in the converted text; target ≥ 0.90) and `ask` quotes verbatim in the lines they cite (100 %);
6. runs the dev evaluation again and compares every figure and every answer with step 3.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from assistant.config import Settings  # noqa: E402

DATA = ROOT / "bench" / "data"
FICHES = DATA / "val_darlan_fiches.yaml"
QUESTIONS = DATA / "corpus_add_questions.jsonl"
DOC_ID = "contrat-val-darlan-2024"
# Latency figures move from run to run: everything else of the evaluation summary must be identical.
UNSTABLE = re.compile(r"latency|seconds|duration|_ms$|time", re.IGNORECASE)

_LATIN1 = {"’": "'", "œ": "oe", "Œ": "OE", "–": "-", "—": "-", "…": "...", "€": "EUR", "\u202f": " "}


def latin1(text: str) -> str:
    for a, b in _LATIN1.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def euros(n: int) -> str:
    return f"{n:,}".replace(",", " ") + " euros"


FRONT = [
    ("title", "CONTRAT LOCAL DES SOLIDARITÉS 2024-2027"),
    ("title", "DÉPARTEMENT DU VAL D'ARLAN"),
    ("p", "Document fictif établi pour le banc d'essai de Pacte Assistant. Le Val d'Arlan, ses communes, ses "
          "associations et ses montants n'existent pas."),
    ("h1", "PRÉAMBULE"),
    ("p", "Le pacte des solidarités, présenté le 18 septembre 2023, fixe quatre priorités : prévenir la pauvreté "
          "dès l'enfance, amplifier l'accès à l'emploi, lutter contre la grande exclusion par l'accès aux droits et "
          "construire une transition écologique solidaire. Le présent contrat décline ces priorités dans le Val "
          "d'Arlan, département de 412 000 habitants dont le taux de pauvreté atteint 16,8 %, au-dessus de la "
          "moyenne régionale de 14,9 %."),
    ("p", "Le diagnostic territorial a été conduit de mars à novembre 2023 par le Département et les services de "
          "l'État, avec les caisses de sécurité sociale, les communes et plus de soixante associations. Quatre "
          "ateliers ont réuni des personnes concernées à Saint-Arlan, Morvel, Vézonne et Lac-Noir."),
    ("h1", "ARTICLE 1 - OBJET DU CONTRAT"),
    ("p", "Le présent contrat définit les engagements réciproques de l'État et du Département du Val d'Arlan pour "
          "la période 2024-2027. Il arrête la liste des trente-six actions décrites dans les fiches action, leur "
          "calendrier, leur financement et les indicateurs qui permettent de les suivre."),
    ("h1", "ARTICLE 2 - ENGAGEMENTS FINANCIERS"),
    ("p", "Chaque action est financée à parité par l'État et le Département. Les crédits de l'État sont délégués "
          "chaque année après le dialogue de gestion du printemps. Pour 2024, l'enveloppe de l'État s'élève à "
          "1 197 500 euros ; elle est portée à 1 700 000 euros par an de 2025 à 2027 sous réserve du vote de la loi "
          "de finances."),
    ("p", "Le Département s'engage à ne pas substituer les crédits du pacte à ses dépenses existantes. Les crédits "
          "non consommés au 31 décembre sont reportés sur l'exercice suivant après accord du comité de pilotage."),
    ("h1", "ARTICLE 3 - GOUVERNANCE"),
    ("p", "Un comité de pilotage, coprésidé par le préfet du Val d'Arlan et le président du Conseil départemental, "
          "se réunit deux fois par an. Il associe le commissaire à la lutte contre la pauvreté, la CAF, la MSA, la "
          "caisse primaire d'assurance maladie, France Travail, l'association des maires et le conseil des personnes "
          "accueillies."),
    ("p", "Un comité technique réunit chaque trimestre les pilotes des actions. Il prépare le bilan annuel et "
          "propose au comité de pilotage les redéploiements de crédits entre actions d'un même axe."),
    ("h1", "ARTICLE 4 - SUIVI ET ÉVALUATION"),
    ("p", "Chaque fiche action fixe un indicateur et sa cible pour 2027. Les indicateurs nationaux du pacte sont "
          "renseignés chaque année avant le 31 mars. Un bilan intermédiaire est présenté au comité de pilotage à "
          "la fin de l'année 2025 ; l'évaluation finale associe le panel citoyen prévu par la fiche 4.9."),
    ("h1", "ARTICLE 5 - DURÉE, MODIFICATION ET RÉSILIATION"),
    ("p", "Le contrat prend effet à sa signature et s'achève le 31 décembre 2027. Il peut être modifié par avenant "
          "après avis du comité de pilotage. Chaque partie peut le résilier par lettre recommandée avec un préavis "
          "de trois mois ; les crédits déjà engagés restent dus."),
    ("h1", "DIAGNOSTIC TERRITORIAL"),
    ("p", "Le diagnostic retient cinq constats principaux, présentés par bassin de vie dans le tableau suivant."),
    ("table", [["Bassin de vie", "Habitants", "Taux de pauvreté", "Allocataires du RSA"],
               ["Saint-Arlan", "148 000", "15,2 %", "5 900"],
               ["Morvel", "96 000", "21,4 %", "5 100"],
               ["Vézonne", "74 000", "14,1 %", "2 300"],
               ["Haut-Arlan", "52 000", "17,9 %", "1 600"],
               ["Plateau de la Doulne", "42 000", "13,3 %", "900"]]),
    ("p", "Premier constat : la pauvreté des familles monoparentales, qui touche 34 % d'entre elles, se concentre "
          "dans les quartiers de Morvel. Deuxième constat : l'éloignement des services publics dans le Haut-Arlan et "
          "sur le plateau de la Doulne. Troisième constat : le non-recours aux droits, en particulier à la "
          "complémentaire santé solidaire. Quatrième constat : la précarité énergétique des propriétaires âgés. "
          "Cinquième constat : le manque de solutions de mobilité pour accéder à l'emploi."),
]


def fiche_blocks(f: dict, axes: dict) -> list[tuple[str, object]]:
    years = [2024, 2025, 2026, 2027]
    rows = [["Année", "État", "Département", "Total"]]
    for year, total in zip(years, f["budget"]):
        rows.append([str(year), euros(total // 2), euros(total - total // 2), euros(total)])
    rows.append(["2024-2027", euros(sum(b // 2 for b in f["budget"])), euros(sum(b - b // 2 for b in f["budget"])),
                 euros(sum(f["budget"]))])
    axis = int(f["num"].split(".")[0])
    return [
        ("h1", f"FICHE ACTION {f['num']} - {f['title']}"),
        ("p", f"Axe {axis} : {axes[axis]}."),
        ("h2", "Constats et enjeux"),
        ("p", f"{f['constat']} Le diagnostic territorial a retenu ce besoin parmi les priorités de l'axe {axis}."),
        ("h2", "Objectifs"),
        ("p", f["objectif"]),
        ("h2", "Description de l'action"),
        ("p", f["description"]),
        ("p", f"Public visé : {f['public']}."),
        ("h2", "Pilotage et partenaires"),
        ("p", f"L'action est pilotée par {f['pilote']}. Elle associe {f['partenaires']}."),
        ("h2", "Calendrier"),
        ("p", f"L'action démarre en {f['debut']} et se poursuit jusqu'au terme du contrat, le 31 décembre 2027."),
        ("h2", "Budget de l'action"),
        ("table", rows),
        ("h2", "Modalités de mise en oeuvre"),
        ("p", f"La mise en oeuvre de l'action {f['num']} repose sur une convention annuelle entre le Département et "
              f"{f['pilote']}, qui précise les moyens humains, le calendrier des étapes et les modalités de compte rendu. "
              f"Les partenaires ({f['partenaires']}) désignent chacun un référent. Un point d'étape est présenté au "
              f"comité technique chaque trimestre ; les difficultés rencontrées y sont examinées avec les services de "
              f"l'État, qui peuvent proposer un redéploiement des crédits au sein de l'axe {axis}."),
        ("p", f"Le coût total de l'action sur la durée du contrat est de {euros(sum(f['budget']))}, financé à parité "
              f"par l'État et le Département. Les dépenses éligibles sont les frais de personnel, les prestations, "
              f"l'équipement et la communication auprès du public visé ; les dépenses d'investissement immobilier en "
              f"sont exclues."),
        ("h2", "Points de vigilance"),
        ("p", f"Le pilote veille à ce que l'action atteigne effectivement le public visé ({f['public']}) et pas "
              f"seulement les personnes déjà connues des services. Les personnes concernées sont associées au bilan "
              f"de l'action, notamment par le panel citoyen prévu par la fiche 4.9."),
        ("h2", "Suivi et évaluation"),
        ("p", f"Indicateur de suivi : {f['indicateur']}. Cible en 2027 : {f['cible']}. L'indicateur est "
              f"renseigné par {f['pilote']} et présenté chaque année au comité technique."),
    ]


def build_pdf(data: dict) -> bytes:
    from fpdf import FPDF

    class Contract(FPDF):
        def header(self):
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, latin1("Contrat local des solidarités 2024-2027 - Département du Val d'Arlan"),
                      new_x="LMARGIN", new_y="NEXT")
            self.ln(3)

        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 5, f"{self.page_no()}", align="C")

    pdf = Contract()
    pdf.set_title(latin1(data["title"]))
    pdf.set_auto_page_break(True, margin=16)

    def write(kind, content):
        if kind == "title":
            pdf.set_font("Helvetica", "B", 16)
            pdf.multi_cell(0, 9, latin1(content), align="C", new_x="LMARGIN", new_y="NEXT")
        elif kind == "h1":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 7, latin1(content), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "h2":
            pdf.ln(1)
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(0, 6, latin1(content), new_x="LMARGIN", new_y="NEXT")
        elif kind == "p":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(0, 5, latin1(content), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "table":
            pdf.set_font("Helvetica", "", 9)
            with pdf.table(line_height=5) as table:
                for cells in content:
                    row = table.row()
                    for cell in cells:
                        row.cell(latin1(cell))
            pdf.ln(2)

    pdf.add_page()
    front = FRONT[:3]
    for kind, content in front:
        write(kind, content)
    for chunk in (FRONT[3:8], FRONT[8:15], FRONT[15:]):  # three pages of preamble, articles, diagnosis
        pdf.add_page()
        for kind, content in chunk:
            write(kind, content)
    for f in data["fiches"]:
        pdf.add_page()
        for kind, content in fiche_blocks(f, data["axes"]):
            write(kind, content)
    return bytes(pdf.output())


def locate(lines: list[str], quote: str) -> tuple[int, int] | None:
    """1-based first and last lines of `quote` in the text, whitespace and line breaks collapsed."""
    text, owner = "", []
    for number, line in enumerate(lines, start=1):
        for token in line.split():
            if text:
                text += " "
                owner.append(number)
            text += token
            owner.extend([number] * len(token))
    start = text.find(" ".join(quote.split()))
    if start < 0:
        return None
    return owner[start], owner[start + len(" ".join(quote.split())) - 1]


ANSWER_FIELDS = ("answer", "abstained", "verdict", "citations")


def eval_run(settings: Settings, out: Path) -> tuple[dict, dict]:
    """`pacte eval run` on the dev questions: {metric: (value, n)} and {question id: the answer's fields}."""
    env = {**os.environ, "PACTE_CORPUS_DIR": str(settings.corpus_dir), "PACTE_INDEX_DIR": str(settings.index_dir),
           "PACTE_CACHE_DIR": str(settings.cache_dir)}
    subprocess.run([sys.executable, "-m", "assistant.cli", "eval", "run", "--dataset", "dev_questions", "--out", str(out)],
                   env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    figures = {name: (m.get("value"), m.get("n")) for name, m in summary["metrics"].items() if not UNSTABLE.search(name)}
    answers = {}
    for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        answers[row["id"]] = {"answer": {k: row.get(k) for k in ANSWER_FIELDS},
                              "hits": [(h["doc_id"], h["line_start"], h["line_end"]) for h in row.get("hits", [])]}
    return figures, answers


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="keep the scratch folder here (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--skip-eval", action="store_true", help="skip the before/after dev evaluations")
    args = parser.parse_args(argv)

    from assistant.answer import Assistant
    from assistant.corpus import load_corpus
    from assistant.index import build_index
    from assistant.retrieval import Retriever
    from assistant.user_corpus import DocumentInfo, add_document

    data = yaml.safe_load(FICHES.read_text(encoding="utf-8"))
    work = args.out or Path(tempfile.mkdtemp(prefix="pacte-bench-corpus-"))
    if work.exists() and args.out:
        shutil.rmtree(work)
    (work / "corpus").mkdir(parents=True)
    for path in (ROOT / "corpus").iterdir():
        if path.is_file():
            shutil.copy(path, work / "corpus" / path.name)
    shutil.copytree(Settings.from_env().cache_dir, work / "cache")
    settings = Settings(corpus_dir=work / "corpus", index_dir=work / "index", cache_dir=work / "cache")
    pdf = build_pdf(data)
    (work / "val-darlan.pdf").write_bytes(pdf)
    build_index(settings, progress=False)

    results: dict = {"pdf_bytes": len(pdf), "cpus": os.cpu_count(), "load_average_before": os.getloadavg()[0]}
    if not args.skip_eval:
        before_summary, before_answers = eval_run(settings, work / "eval-before")

    started = time.perf_counter()
    report = add_document(settings, pdf, "val-darlan.pdf",
                          DocumentInfo(doc_id=DOC_ID, title=data["title"], issuer="Département du Val d'Arlan (fictif)",
                                       date="2024-06-28", kind="contract", territory=data["territory"]))
    added = time.perf_counter()
    retriever = Retriever.load(settings)
    hits = retriever.search("Solidaribus camping-cars maisons des solidarités itinérantes", k=5)
    searchable = time.perf_counter()
    assert any(h.chunk.doc_id == DOC_ID for h in hits), "the added document is not found"
    text = (settings.corpus_dir / report.entry["file"]).read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]
    results.update({
        "pages": report.entry["source"]["pages"],
        "text_chars": len(text),
        "text_lines": len(lines),
        "passages": report.chunks,
        "embedded": report.embedded,
        "embedded_tokens": _tokens(retriever, DOC_ID),
        "seconds_conversion": round(report.timings["conversion"], 2),
        "seconds_index": round(report.timings["index"], 2),
        "seconds_add": round(added - started, 2),
        "seconds_load_and_first_search": round(searchable - added, 2),
        "seconds_added_and_searchable": round(searchable - started, 2),
    })

    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assistant = Assistant(retriever, load_corpus(settings.corpus_dir), settings)
    found, quotes, verbatim, per_question = 0, 0, 0, {}
    for q in questions:
        gold = locate(lines, q["quote"])
        assert gold, f"{q['id']}: quote not in the converted text"
        hits = retriever.search(q["question"], k=5)
        hit = any(h.chunk.doc_id == DOC_ID and h.chunk.line_start <= gold[1] and gold[0] <= h.chunk.line_end for h in hits)
        found += hit
        answer = assistant.ask(q["question"])
        ok = 0
        for c in answer["citations"]:
            span = assistant.documents[c["doc_id"]].span_text(c["line_start"], c["line_end"])
            quotes += 1
            ok += c["quote"] in " ".join(span.split())
        verbatim += ok
        per_question[q["id"]] = {"recall@5": int(hit), "gold_lines": gold, "abstained": answer["abstained"],
                                 "citations": len(answer["citations"]), "cites_added_document": any(
                                     c["doc_id"] == DOC_ID for c in answer["citations"])}
    results.update({
        "questions": len(questions),
        "recall@5": round(found / len(questions), 3),
        "quotes": quotes,
        "quotes_verbatim": round(verbatim / quotes, 3) if quotes else None,
        "answered_from_added_document": sum(p["cites_added_document"] for p in per_question.values()),
        "per_question": per_question,
    })

    if not args.skip_eval:
        after_summary, after_answers = eval_run(settings, work / "eval-after")
        results.update({
            "dev_eval_figures_identical": before_summary == after_summary,
            "dev_eval_figures_changed": {k: (before_summary[k], after_summary.get(k)) for k in before_summary
                                         if before_summary[k] != after_summary.get(k)},
            "dev_eval_answers_changed": sorted(k for k in before_answers
                                               if before_answers[k]["answer"] != after_answers[k]["answer"]),
            "dev_eval_hit_lists_changed": sum(before_answers[k]["hits"] != after_answers[k]["hits"] for k in before_answers),
            "dev_eval_hits_from_added_document": sum(
                any(h[0] == DOC_ID for h in after_answers[k]["hits"]) for k in after_answers),
            "dev_eval": {k: before_summary[k][0] for k in ("recall@5", "citation_precision", "key_fact_recall",
                                                           "abstention_f1", "quote_fidelity") if k in before_summary},
        })
    results["load_average_after"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
    else:
        for key, value in results.items():
            if key != "per_question":
                print(f"{key:34} {value}")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _tokens(retriever, doc_id: str) -> int | None:
    model = getattr(retriever.index.embedder, "_model", None)
    if model is None or not hasattr(model, "token_count"):
        return None
    return sum(model.token_count(c.embed_text()) for c in retriever.chunks if c.doc_id == doc_id)


if __name__ == "__main__":
    raise SystemExit(main())
