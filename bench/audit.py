"""Benchmark of `pacte audit`: finding precision and recall on eval/datasets/audit, and audit time.

    .venv/bin/python bench/audit.py [--out eval/runs/audit] [--pages 100] [--no-axes]

1. Quality: audits every document of eval/datasets/audit/gold.jsonl (the Pas-de-Calais contract by its
   doc id, the test documents by their path) and scores the findings (eval/audit_scoring.py):
   precision and recall on the planted-error documents, findings on the clean ones, and the same
   precision and recall on the corpus contract.
2. Time: the audit of the Pas-de-Calais bundle (11 045 lines, 37 642 words: about 100 pages) and of a
   generated document of --pages pages (fiches action and a financial table in the Pas-de-Calais layout),
   each twice: first with an empty eligibility cache (the index and the embedder are loaded), then
   with the lookups cached (the target: ≤ 5 s).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import Settings  # noqa: E402
from eval.audit_scoring import GOLD, doc_id_of, format_score, load_gold, score  # noqa: E402

DATASET = GOLD.parent
WORDS_PER_PAGE = 375


def _source(document: str) -> str:
    path = DATASET / document
    return str(path) if path.exists() else document


def quality(settings: Settings, axes: bool, out: Path | None) -> dict:
    from assistant.audit.report import audit

    gold = load_gold()
    reports = {}
    for item in gold:
        report = audit(_source(item["document"]), settings, eligibility=axes).to_dict()
        reports[item["document"]] = report
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{doc_id_of(item['document'])}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1),
                                                                     encoding="utf-8")
    return score(gold, reports)


def _fr(euros: int) -> str:
    return f"{euros:,}".replace(",", " ")


def synthetic_document(pages: int) -> str:
    """A contract bundle of about `pages` pages: fiches action (prose, volets, a four-year budget) and the
    Annexe 10 financial table, laid out like the Pas-de-Calais text (a blank line after each line)."""
    themes = [
        (1, "Repérage et accompagnement des jeunes de 16 à 25 ans sans solution"),
        (1, "Soutien à la parentalité des familles en situation de précarité"),
        (3, "Accompagnement renforcé vers les droits des personnes en non-recours"),
        (3, "Prévention des expulsions locatives et maintien dans le logement"),
        (4, "Lutte contre la précarité énergétique des ménages modestes"),
    ]
    filler = ("Cette action s'inscrit dans la continuité des actions menées par le Département et ses partenaires "
              "sur l'ensemble du territoire, avec un suivi partagé des parcours et des indicateurs de résultat. ")
    out: list[str] = ["DEPARTEMENT DU VAL-SYNTHETIQUE", "", "Document généré pour le banc d'essai de pacte audit.", ""]
    fiches, per_axis = [], {}
    words = 0
    n = 0
    while words < pages * WORDS_PER_PAGE:
        axis, theme = themes[n % len(themes)]
        per_axis[axis] = per_axis.get(axis, 0) + 1
        number = f"{axis}.{per_axis[axis]}"
        amount = 20_000 + 2_000 * (n % 37)  # even: the State and the collectivity halves are whole euros
        fiches.append((axis, number, theme, amount))
        block = [f" Action {number} ", f"Axe {axis}", "", f"Action {number} {theme} (territoire {n + 1})", "",
                 "Fiche-action", "", "Constats et enjeux", ""]
        block += [filler * 2, ""] * 6
        block += ["Description de l'action", "", " Action 1 : repérage et premier accueil ", "",
                  f"o Montant : {_fr(amount // 2)} € ", "",
                  " Action 2 : accompagnement dans la durée ", "",
                  f"o Montant : {_fr(amount - amount // 2)} € ", "", "o Temporalité : ", "",
                  " Date de mise en place : Action existante renforcée à partir du 1er janvier 2024. ", "",
                  "Public cible ", "", " Personnes en situation de précarité ", "", "Pilotage ", "", " Département ", "",
                  "Budget de l'action ", "", " Etat Conseil ", "", "départemental ", "", "Total ", ""]
        half = amount // 2
        for year in (2024, 2025, 2026, 2027):
            block += [f"{year} {_fr(half)} € {_fr(half)} € {_fr(amount)} € ", ""]
        block += [f"Total {_fr(4 * half)} € {_fr(4 * half)} € {_fr(4 * amount)} € ", ""]
        out += block
        words += sum(len(line.split()) for line in block)
        n += 1
    out += ["Axes de la", "", "contractualisation", "", "Fiche action N° Intitulé de l'action A", "",
            "Participation État", "", "notifiée pour la", "", "convention 2024", "", "B", "", "Crédits CD affectés", "",
            "pour la convention", "", "2024", "", "C", "", "Participation", "", "d'autres financeurs", "", "F", "",
            "Budget global de", "", "l'action prévu en", "", "2024", "", "(A+B+C)", ""]
    for axis in sorted(per_axis):
        sub = 0
        for a, number, theme, amount in fiches:
            if a != axis:
                continue
            half = amount // 2
            out += [number, "", theme, "", f"{_fr(half)},00 € {_fr(half)},00 € {_fr(amount)},00 € ", ""]
            sub += amount
        out += [f"Sous total {_fr(sub // 2)},00 € {_fr(sub // 2)},00 € 0,00 € {_fr(sub)},00 € ", ""]
    total = sum(f[3] for f in fiches)
    out += [f"TOTAUX FINANCIERS {_fr(total // 2)},00 € {_fr(total // 2)},00 € 0,00 € {_fr(total)},00 € "]
    return "\n".join(out) + "\n"


def timed(source, settings: Settings, axes: bool) -> tuple[float, dict]:
    from assistant.audit.report import audit

    t0 = time.perf_counter()
    report = audit(source, settings, eligibility=axes)
    return time.perf_counter() - t0, {**report.timings, **report.eligibility,
                                      "findings": len(report.findings)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="dossier où écrire les rapports JSON")
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--no-axes", action="store_true", help="sans la vérification des axes (pas d'index)")
    args = parser.parse_args(argv)
    axes = not args.no_axes
    base = Settings.from_env()

    result = quality(base, axes, args.out)
    print(format_score(result))

    with tempfile.TemporaryDirectory() as tmp:
        # An empty eligibility cache for the cold runs; the index itself is the project's.
        settings = replace(base, cache_dir=Path(tmp) / "cache")
        doc = Path(tmp) / "synthetique-100-pages.txt"
        doc.write_text(synthetic_document(args.pages), encoding="utf-8")
        words = len(doc.read_text(encoding="utf-8").split())
        print()
        print("Temps d'audit (extraction, règles, cohérence, axes) :")
        for label, source in (("Pas-de-Calais (11 045 lignes, 37 642 mots)", "pas-de-calais-contrat-2024"),
                              (f"document généré ({words} mots, ~{words // WORDS_PER_PAGE} pages)", str(doc))):
            cold, info_cold = timed(source, settings, axes)
            warm, info_warm = timed(source, settings, axes)
            print(f"  {label} : {cold:.2f} s (cache vide : {info_cold}), {warm:.2f} s (cache rempli : {info_warm})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
