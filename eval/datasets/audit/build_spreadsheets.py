"""Write the four Annexe 10 spreadsheets of this dataset (.xlsx and .csv) from the rows below.

They are generated so that they can be reviewed here as text. Amounts are written as typed in the
document, mistakes included: the planted ones (see README.md and gold.jsonl) are marked « planted ».

    .venv/bin/python eval/datasets/audit/build_spreadsheets.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent.parent))

from assistant.rules.tables import write_csv, write_xlsx  # noqa: E402

HEADER = ["Axes de la contractualisation", "Fiche action N°", "Intitulé de l'action",
          "A Participation État notifiée pour la convention 2024",
          "B Crédits de la métropole affectés pour la convention 2024",
          "C Participation d'autres financeurs le cas échéant",
          "F Budget global de l'action prévu en 2024 (A+B+C)", "Statut"]

A1 = "Axe : Prévenir la pauvreté et lutter contre les inégalités dès l'enfance"
A2 = "Axe : Amplifier la politique d'accès à l'emploi pour tous"
A3 = "Axe : Lutter contre la grande exclusion grâce à l'accès aux droits"
A4 = "Axe : Construire une transition écologique solidaire"


def metropole(planted: bool) -> list[list]:
    return [
        ["TABLEAU FINANCIER DU CONTRAT LOCAL DES SOLIDARITÉS - Métropole de Rivemont Prévisionnel Année 2024"],
        ["Document fictif de test (Pacte Assistant)"],
        [],
        ["Type", "métropole"],
        ["Plafond État axe 1", 300000],
        ["Plafond État axe 2", 300000],
        ["Plafond État axe 3", 250000],
        ["Plafond État axe 4", 200000],
        [],
        HEADER,
        [A1, "1.1", "Maraudes mixtes pour les familles avec enfants à la rue", 120000, 120000, 0, 240000, "nouvelle"],
        [None, "1.2", "Accueil des enfants de familles précaires en crèche à vocation d'insertion", 100000, 100000, 20000, 220000, "renforcee"],
        [None, "Sous total", None, 220000, 220000, 20000, 460000],
        # planted: F of action 2.1 is 250 000 € while A+B+C = 240 000 €
        [A2, "2.1", "Accompagnement global vers l'emploi des bénéficiaires du RSA", 120000, 120000, 0, 250000 if planted else 240000, "renforcee"],
        [None, "2.2", "Parcours d'insertion des jeunes sans qualification", 90000, 90000, 0, 180000, "nouvelle"],
        [None, "Sous total", None, 210000, 210000, 0, 420000],
        [A3, "3.1", "Accompagnement renforcé vers les droits des personnes en non-recours", 100000, 100000, 0, 200000, "renforcee"],
        [None, "3.2", "Accompagnement des personnes sans domicile vers le logement", 80000, 80000, 0, 160000, "nouvelle"],
        # planted: sub-total A of axis 3 is 190 000 € while its actions give 180 000 €
        [None, "Sous total", None, 190000 if planted else 180000, 180000, 0, 360000],
        [A4, "4.1", "Lutte contre la précarité énergétique des ménages modestes", 90000, 90000, 0, 180000, "renforcee"],
        [None, "Sous total", None, 90000, 90000, 0, 180000],
        # planted: total F is 1 430 000 € while the actions (and the sub-totals) give 1 420 000 €
        ["TOTAUX FINANCIERS", None, None, 700000, 700000, 20000, 1430000 if planted else 1420000],
    ]


def departement(planted: bool) -> list[list]:
    header = [h.replace("de la métropole", "CD") for h in HEADER]
    return [
        ["TABLEAU FINANCIER DU CONTRAT LOCAL DES SOLIDARITÉS - Région Occitanie - Département du Causse-Noir Prévisionnel Année 2024"],
        ["Document fictif de test (Pacte Assistant)"],
        [],
        header,
        [A1, "1.1", "Prévention du décrochage scolaire des collégiens", 80000, 80000, 0, 160000, "nouvelle"],
        [None, "1.2", "Accompagnement des jeunes sortant de l'aide sociale à l'enfance", 110000, 110000, 15000, 235000, "renforcee"],
        # planted: sub-total C of axis 1 is 25 000 € while its actions give 15 000 €
        [None, "Sous total", None, 190000, 190000, 25000 if planted else 15000, 395000],
        [A3, "3.1", "Prévention des expulsions locatives", 120000, 120000, 0, 240000, "renforcee"],
        [None, "3.2", "Accès aux droits des personnes âgées isolées", 60000, 60000, 10000, 130000, "nouvelle"],
        [None, "Sous total", None, 180000, 180000, 10000, 370000],
        [A4, "4.1", "Lutte contre la précarité énergétique", 100000, 100000, 0, 200000, "renforcee"],
        [None, "Sous total", None, 100000, 100000, 0, 200000],
        # planted: total A is 480 000 € while the actions (and the sub-totals) give 470 000 €
        ["TOTAUX FINANCIERS", None, None, 480000 if planted else 470000, 470000, 25000, 965000],
    ]


if __name__ == "__main__":
    written = {
        "annexe10-metropole-rivemont-2024.xlsx": (write_xlsx, metropole(planted=True)),
        "annexe10-metropole-rivemont-2024-conforme.csv": (write_csv, metropole(planted=False)),
        "annexe10-departement-causse-noir-2024.csv": (write_csv, departement(planted=True)),
        "annexe10-departement-causse-noir-2024-conforme.xlsx": (write_xlsx, departement(planted=False)),
    }
    for name, (write, rows) in written.items():
        write(rows, HERE / name)
    print("écrit : " + ", ".join(written))
