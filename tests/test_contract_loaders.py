"""Reading contracts: YAML, JSON, XLSX and CSV (Annexe-10 layout), from a path or from uploaded bytes."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml

from assistant.errors import InvalidInput
from assistant.rules import check_contract, load_contract

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pas-de-calais-2024.yaml"

MINIMAL = """
collectivite: {nom: Métropole test, type: Métropole}
annee: 2024
plafonds_etat: {1: "120 000 €", "2": 80000}
actions:
  - id: 1.1
    axe: "1"
    intitule: Accueil
    statut: Renforcée
    financement: {etat: "51 000,50 €", collectivite: 51000.5, autres: {CAF: "1 000"}, total: "103 001,00"}
"""


def test_yaml_accepts_numbers_french_amounts_and_accented_choices():
    contract = load_contract((MINIMAL.encode(), "contrat.yaml"))
    facts = contract.facts()
    (a,) = facts.actions
    assert (facts.type, a.statut, a.id, a.axe) == ("metropole", "renforcee", "1.1", 1)
    assert (a.etat, a.collectivite, a.autres, a.total_declared) == (5_100_050, 5_100_050, 100_000, 10_300_100)
    assert facts.plafonds == {1: 12_000_000, 2: 8_000_000}


def test_load_contract_takes_a_path_a_pair_or_bytes_with_a_name():
    by_path = load_contract(EXAMPLE)
    data = EXAMPLE.read_bytes()
    assert load_contract((data, "x.yaml")) == by_path
    assert load_contract(data, "x.yaml") == by_path
    assert load_contract(str(EXAMPLE)) == by_path


def test_json_contract_gives_the_same_report_as_yaml():
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    as_json = json.dumps(raw, ensure_ascii=False).encode()
    assert check_contract((as_json, "contrat.json")) == check_contract(EXAMPLE)
    assert check_contract((as_json, "sans-extension")) == check_contract(EXAMPLE)  # sniffed from « { »


def test_check_contract_accepts_a_mapping_and_a_contract():
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert check_contract(raw) == check_contract(load_contract(EXAMPLE)) == check_contract(EXAMPLE)


# ---------------------------------------------------------------- the instruction's Annexe 10 layout


def annex10_csv(corpus, fill: dict[str, tuple[str, str, str, str]], subtotals: bool) -> bytes:
    """The « Prévisionnel 2024 » table of Annexe 10 exactly as the instruction lays it out (l. 1953-1967),
    tab-separated, with amounts filled in for some of its placeholder rows."""
    rows = []
    for line in corpus["instruction-2023-168"].lines[1952:1967]:
        cells = [re.sub(r"</?b>", "", c) for c in line.split("\t")]
        if len(cells) > 1 and cells[1] in fill:
            cells[3:7] = fill[cells[1]]
        if len(cells) > 1 and cells[1] == "Sous total" and subtotals:
            cells[3:7] = ["", "", "", ""]  # blanked: not declared
        rows.append("\t".join(cells))
    return "\n".join(rows).encode("utf-8")


FILL = {
    "1.1": ("10 000,00 €", "10 000,00 €", "2 000,00 €", "22 000,00 €"),
    "2.1": ("5 000,00 €", "5 000,00 €", "", "10 000,00 €"),
    "3.1": ("7 500,00 €", "7 500,00 €", "0,00 €", "15 000,00 €"),
    "4.1": ("4 000,00 €", "4 000,00 €", "0,00 €", "8 000,00 €"),
}


def test_the_instruction_s_annex_10_table_is_read_as_laid_out(corpus):
    contract = load_contract((annex10_csv(corpus, FILL, subtotals=True), "tableau.csv"))
    facts = contract.facts()
    assert (facts.type, facts.nom, facts.annee) == ("metropole", "Métropole du xxx", 2024)
    assert [(a.id, a.axe, a.etat, a.collectivite, a.autres, a.total_declared) for a in facts.actions] == [
        ("1.1", 1, 1_000_000, 1_000_000, 200_000, 2_200_000),
        ("2.1", 2, 500_000, 500_000, 0, 1_000_000),
        ("3.1", 3, 750_000, 750_000, 0, 1_500_000),
        ("4.1", 4, 400_000, 400_000, 0, 800_000),
    ]
    assert facts.actions[0].indicateurs is None  # a financial table has no indicators


def test_the_template_s_zero_sub_totals_contradict_the_filled_rows(corpus):
    report = check_contract((annex10_csv(corpus, FILL, subtotals=False), "tableau.csv"))
    wrong = [r for r in report["results"] if r["rule"] == "arithmetic" and r["verdict"] == "violation"]
    assert len(wrong) == 5  # four « Sous total » rows left at 0,00 € and the « TOTAUX FINANCIERS » row
    assert report["ok"] is False


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


HEADER_2024 = ["Axes de la contractualisation", "Fiche action N°", "Intitulé de l'action",
               "A Participation État notifiée pour la convention 2024", "B Crédits CD affectés pour la convention 2024",
               "C Participation d'autres financeurs le cas échéant", "F Budget global de l'action prévu en 2024 (A+B+C)"]


def test_xlsx_with_metadata_rows_numbers_and_extra_columns():
    rows = [
        ["Collectivité", "Métropole de Lille"], ["Type", "métropole"], ["Année", 2024],
        ["Plafond État axe 1", 300000], ["Plafond État axe 4", 100000],
        HEADER_2024 + ["Statut", "Dispositifs", "CEE"],
        ["Axe : Prévenir la pauvreté et lutter contre les inégalités dès l'enfance", "1.1", "Accueil", 20000, 20000,
         None, 40000, "nouvelle", None, None],
        [None, "Sous total", None, 20000, 20000, 0, 40000],
        # Column C holds every other financer, CEE included: 10 000 € + 60 000 € of CEE.
        ["Axe : Transition écologique solidaire", "4.1", "SLIME+", 10000, 20000, 70000, 100000, "renforcée", "slime",
         60000],
        ["TOTAUX FINANCIERS", None, None, 30000, 40000, 70000, 140000],
    ]
    facts = load_contract((xlsx_bytes(rows), "lille.xlsx")).facts()
    assert (facts.nom, facts.type, facts.annee, facts.plafonds) == ("Métropole de Lille", "metropole", 2024,
                                                                    {1: 30_000_000, 4: 10_000_000})
    slime = facts.actions[1]
    assert (slime.axe, slime.statut, slime.dispositifs) == (4, "renforcee", frozenset({"slime"}))
    assert (slime.cee, slime.autres, slime.cout_total) == (6_000_000, 1_000_000, 10_000_000)
    report = check_contract((xlsx_bytes(rows), "lille.xlsx"))
    assert [r["verdict"] for r in report["results"] if r["rule"] == "arithmetic"] == ["ok", "ok", "ok", "ok"]
    assert [r["verdict"] for r in report["results"] if r["rule"] == "cee_cap"] == ["ok"]  # 70 000 € = 70 %


def test_the_2025_layout_reads_the_columns_of_the_year_planned(corpus):
    header = [re.sub(r"</?i>", "", c) for c in corpus["instruction-2023-168"].lines[1989].split("\t")]
    values = ["Axe : Prévenir la pauvreté et lutter contre les inégalités dès l'enfance", "", "1.1", "Accueil",
              "1", "2", "3", "4", "5", "6", "7", "8", "100", "107", "100", "108", "9", "224"]
    text = "\n".join(["Métropole de Test Prévisionnel Année 2025", "\t".join(header), "\t".join(values)])
    (a,) = load_contract((text.encode(), "2025.csv")).facts().actions
    # H (État notifiée 2025), J (CD affectés pour la convention 2025), L (autres 2025), M (budget global 2025)
    assert (a.etat, a.collectivite, a.autres, a.total_declared) == (10_000, 10_000, 900, 22_400)


def test_csv_with_commas_and_a_windows_encoding():
    text = ("Département du Nord Prévisionnel Année 2024\n"
            + ",".join(f'"{h}"' for h in HEADER_2024) + "\n"
            + 'Axe : Accès aux droits essentiels,3.1,Accès aux droits,"1 500,00 €","1 500,00 €",,"3 000,00 €"\n')
    facts = load_contract((text.encode("cp1252"), "nord.csv")).facts()
    assert (facts.nom, facts.type) == ("Département du Nord", "departement")
    assert [(a.axe, a.etat, a.total_declared) for a in facts.actions] == [(3, 150_000, 300_000)]


def test_table_errors_name_the_row_and_the_column():
    rows = [["Type", "métropole"], ["Année", 2024], HEADER_2024, ["Axe 1", "1.1", "A", 100, "cent", 0, 200]]
    with pytest.raises(InvalidInput) as err:
        load_contract((xlsx_bytes(rows), "t.xlsx"))
    assert err.value.message == (
        "ligne 4 du tableau, colonne « B Crédits CD affectés pour la convention 2024 » : montant non numérique (« cent »)")
    rows[3][4] = -100
    with pytest.raises(InvalidInput, match="ligne 4 du tableau.*montant négatif \\(-100 €\\)"):
        load_contract((xlsx_bytes(rows), "t.xlsx"))


def test_table_validation_errors_point_at_the_row():
    rows = [["Type", "métropole"], ["Année", 2024], HEADER_2024 + ["Statut"],
            ["Axe 1", "1.1", "A", 100, 100, 0, 200, "ancienne"]]
    with pytest.raises(InvalidInput) as err:
        load_contract((xlsx_bytes(rows), "t.xlsx"))
    assert err.value.message.startswith("ligne 4 du tableau (actions[0].statut) : statut inconnu (« ancienne »)")


def test_table_without_type_or_header_is_refused_with_a_hint():
    with pytest.raises(InvalidInput, match="type de collectivité introuvable"):
        load_contract((xlsx_bytes([["Année", 2024], HEADER_2024, ["Axe 1", "1.1", "A", 1, 1, 0, 2]]), "t.xlsx"))
    with pytest.raises(InvalidInput, match="tableau financier non reconnu"):
        load_contract((b"a;b;c\n1;2;3\n", "t.csv"))


ROUND_TRIP = ["examples/pas-de-calais-2024.yaml", *sorted(
    str(path.relative_to(ROOT)) for path in (ROOT / "eval" / "datasets" / "contracts").glob("*.yaml"))]


@pytest.mark.parametrize("source", ROUND_TRIP)
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_every_format_carries_every_check(tmp_path, source, suffix):
    """Each evaluation contract written as an Annexe 10 table with its extra tables (volets, indicators,
    canteen) reads back as the same facts and gets the same report, verdict for verdict."""
    import dataclasses

    from assistant.rules.tables import extra_rows, table_rows, write_csv, write_xlsx

    contract = load_contract(ROOT / source)
    kind = "Métropole" if contract.collectivite.type == "metropole" else "Département"
    rows = table_rows(contract, f"{kind} de Test Prévisionnel Année {contract.annee}")
    path = tmp_path / f"table{suffix}"
    (write_xlsx if suffix == ".xlsx" else write_csv)(rows, path, extras=extra_rows(contract))
    back, original = load_contract(path).facts(), contract.facts()
    # Column C holds the sum of the other financers, not their names (no rule reads them).
    strip = lambda a: dataclasses.replace(a, autres_detail=())  # noqa: E731
    assert [strip(a) for a in back.actions] == [strip(a) for a in original.actions]
    assert (back.plafonds, back.sous_totaux, back.totaux) == (original.plafonds, original.sous_totaux, original.totaux)
    assert check_contract(path) == check_contract(ROOT / source)


BARE_TABLE = [["Type", "métropole"], ["Année", 2024], HEADER_2024,
              ["Axe 1", "1.1", "Accueil", 100, 100, 0, 200], ["Axe 3", "3.1", "Accès aux droits", 50, 50, 0, 100]]


def test_extra_sheets_carry_volets_indicators_and_canteen_terms():
    from openpyxl import Workbook

    workbook = Workbook()
    for row in BARE_TABLE:
        workbook.active.append(row)
    volets = workbook.create_sheet("Volets")
    for row in (["Budget par volet"], [], ["Fiche action N°", "Volet", "Montant"], ["1.1", "Accueil de jour", 150],
                [None, "Maraude", "50,00 €"]):
        volets.append(row)  # a title above the header; a row without its number belongs to the action above
    indicators = workbook.create_sheet("Indicateurs")
    # The columns of the Pas-de-Calais's Annexe 1 (l. 645-680), « Résultat atteint » columns included.
    for row in (["Actions", "Indicateurs locaux", "Situation au 31 déc. 2023", "Cible 2024", "Résultat atteint en 2024",
                 "Cible 2025", "Cible 2026", "Cible 2027"],
                ["Action 1.1 : Accueil", "Personnes accueillies", 10, 20, None, "30", "40", "100 %"]):
        indicators.append(row)
    canteen = workbook.create_sheet("Cantine")
    for row in (["Fiche action N°", "Nombre de repas", "Prix du repas", "Quotient familial maximal",
                 "Aide de l'État par repas", "Établissements REP"], ["3.1", "10 000", "1,00 €", 1000, 3, "non"]):
        canteen.append(row)
    workbook.create_sheet("Notes").append(["Tableau relu le 3 avril"])  # any other sheet is left alone
    out = io.BytesIO()
    workbook.save(out)
    a, b = load_contract((out.getvalue(), "t.xlsx")).facts().actions
    assert [(v.libelle, v.montant) for v in a.volets] == [("Accueil de jour", 15_000), ("Maraude", 5_000)]
    assert [(i.libelle, i.t0, i.cibles) for i in a.indicateurs] == [
        ("Personnes accueillies", 10, {2024: 20, 2025: 30, 2026: 40, 2027: "100 %"})]
    assert b.indicateurs == () and b.volets is None  # the indicator table lists them all; volets are optional
    assert (b.cantine.repas, b.cantine.prix_repas, b.cantine.etablissements_rep) == (10_000, 100, False)


def test_a_bare_annex_10_table_says_how_to_add_its_indicators():
    report = check_contract((xlsx_bytes(BARE_TABLE), "t.xlsx"))
    (notice,) = [r for r in report["results"] if r["rule"] == "indicators_required"]
    assert notice["verdict"] == "info" and "table « Indicateurs »" in notice["message"]


def test_csv_extra_tables_follow_the_financial_table():
    text = "\n".join([
        "Métropole de Test Prévisionnel Année 2024",
        ";".join(HEADER_2024 + ["Évaluation d'impact"]),
        "Axe 1;1.1;Accueil;100,00 €;100,00 €;0,00 €;200,00 €;oui",
        "",
        "Fiche action N°;Volet de l'action;Montant",
        "1.1;Accueil;120,00 €",
        "1.1;Maraude;80,00 €",
    ])
    (a,) = load_contract((text.encode(), "t.csv")).facts().actions
    assert a.evaluation_impact is True and sum(v.montant for v in a.volets) == a.cout_total


@pytest.mark.parametrize("row, message", [
    (["9.9", "Accueil", "10"], "ligne 2 de la feuille « Volets », colonne « Fiche action N° » : fiche action « 9.9 » "
                               "absente du tableau financier"),
    ([None, "Accueil", "10"], "ligne 2 de la feuille « Volets », colonne « Fiche action N° » : numéro de fiche "
                              "action manquant"),
    (["1.1", "Accueil", "dix"], "ligne 2 de la feuille « Volets » (actions[0].volets[0].montant) : montant non "
                                "numérique (« dix »)"),
])
def test_extra_table_errors_name_the_sheet_and_the_row(row, message):
    from openpyxl import Workbook

    workbook = Workbook()
    for r in BARE_TABLE:
        workbook.active.append(r)
    sheet = workbook.create_sheet("Volets")
    sheet.append(["Fiche action N°", "Volet de l'action", "Montant"])
    sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    with pytest.raises(InvalidInput) as err:
        load_contract((out.getvalue(), "t.xlsx"))
    assert err.value.message == message
