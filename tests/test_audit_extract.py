"""`pacte extract`: a contract document read from its structure, each value with the lines it comes from.

The shipped Pas-de-Calais bundle must give the figures of examples/pas-de-calais-2024.yaml, which was
transcribed by hand from the same file.
"""

from __future__ import annotations

import re

import pytest
import yaml

from assistant.audit.extract import extract
from assistant.audit.source import read_document
from assistant.audit.tables import Column, align
from assistant.audit.text import amounts_in, percents_in
from assistant.audit.yamlout import to_yaml
from assistant.config import PROJECT_ROOT
from assistant.errors import InvalidInput
from assistant.rules import check_contract, load_contract, validate_contract

PDC = "pas-de-calais-contrat-2024"
EXAMPLE = PROJECT_ROOT / "examples" / "pas-de-calais-2024.yaml"
DATASET = PROJECT_ROOT / "eval" / "datasets" / "audit"


@pytest.fixture(scope="module")
def pdc():
    return extract(PDC)


@pytest.fixture(scope="module")
def extracted(pdc):
    return validate_contract(pdc.contracts[0].mapping())


@pytest.fixture(scope="module")
def reference():
    return load_contract(EXAMPLE)


def test_the_pas_de_calais_bundle_gives_one_contract_of_eleven_actions(pdc, extracted, reference):
    assert len(pdc.contracts) == 1
    assert extracted.collectivite == reference.collectivite
    assert extracted.annee == reference.annee == 2024
    assert [a.id for a in extracted.actions] == [a.id for a in reference.actions]
    assert [a.axe for a in extracted.actions] == [a.axe for a in reference.actions]


def test_every_amount_of_the_example_is_extracted(extracted, reference):
    for got, want in zip(extracted.actions, reference.actions):
        assert got.financement == want.financement, got.id
        assert [v.montant for v in got.volets] == [v.montant for v in want.volets], got.id
    assert extracted.sous_totaux == reference.sous_totaux
    assert extracted.totaux == reference.totaux


def test_indicators_statuses_and_dispositifs_are_read_from_the_fiches_and_annexe_1(extracted, reference):
    for got, want in zip(extracted.actions, reference.actions):
        assert [(i.t0, i.cibles) for i in got.indicateurs] == [(i.t0, i.cibles) for i in want.indicateurs], got.id
        assert got.dispositifs == want.dispositifs, got.id
        if got.id != "4.2":
            assert got.statut == want.statut, got.id


def test_a_status_the_fiche_does_not_state_is_left_empty_with_a_french_note(pdc, extracted):
    # Fiche 4.2 only says « A compter du 1er janvier 2024 »: no status word, so none is guessed.
    action = next(a for a in extracted.actions if a.id == "4.2")
    assert action.statut is None
    assert "statut non indiqué" in action.notes


def test_the_fiches_outside_the_financial_table_are_named_not_extracted(pdc):
    note = next(n for n in pdc.contracts[0].notes if "hors du tableau financier" in n)
    assert "2.1" in note and "2.8" in note  # the France Travail convention of the same bundle


def test_each_amount_is_cited_on_a_line_that_writes_it(pdc):
    doc = pdc.doc
    contract = pdc.contracts[0]
    sources = contract.sources()
    mapping = contract.mapping()
    checked = 0
    for i, action in enumerate(mapping["actions"]):
        for share in ("etat", "collectivite", "total"):
            place = sources[f"actions[{i}].financement.{share}"]
            text = " ".join(doc.span_text(place["line_start"], place["line_end"]).split())
            written = f"{action['financement'][share]:,}".replace(",", " ")
            assert written in text, (action["id"], share, text)
            checked += 1
    assert checked == 33


def test_the_extracted_yaml_is_a_contract_pacte_check_reads_with_its_source_lines(pdc, tmp_path):
    text = to_yaml(pdc.contracts[0], "en-tête")
    assert "etat: 618000  # l. 4669" in text
    path = tmp_path / "contrat.yaml"
    path.write_text(text, encoding="utf-8")
    assert yaml.safe_load(text) == pdc.contracts[0].mapping()
    assert check_contract(load_contract(path))["ok"] is True


@pytest.mark.parametrize("name", ["pas-de-calais-2024.csv", "pas-de-calais-2024.xlsx"])
def test_a_spreadsheet_extracts_to_what_pacte_check_loads(name):
    path = PROJECT_ROOT / "examples" / name
    got = validate_contract(extract(path).contracts[0].mapping())
    loaded = load_contract(path)
    # The figures of the financial table; its extra tables (volets, indicators) are pacte check's alone.
    def figures(contract):
        return [(a.id, a.axe, a.intitule, a.financement.model_dump()) for a in contract.actions]

    assert (got.collectivite, got.annee) == (loaded.collectivite, loaded.annee)
    assert figures(got) == figures(loaded)


def test_a_regional_summary_gives_one_contract_per_territory():
    contracts = extract(DATASET / "synthese-regionale-2024-conforme.md").contracts
    assert [(c.nom.value, c.type.value) for c in contracts] == [
        ("Département des Hautes-Combes", "departement"),
        ("Département du Val-Chênois", "departement"),
        ("Métropole de Bellerive", "metropole"),
    ]
    assert [len(c.actions) for c in contracts] == [5, 5, 5]
    assert contracts[2].mapping()["totaux"] == {"etat": 430000, "collectivite": 430000, "autres": 0, "total": 860000}


def test_a_contract_of_fiches_only_reads_its_amounts_from_the_fiches_budgets(tmp_path):
    text = (DATASET / "deliberation-haut-verdon-2024-conforme.txt").read_text(encoding="utf-8")
    fiches_only = text.split("ANNEXE FINANCIÈRE")[0]
    path = tmp_path / "fiches.txt"
    path.write_text(fiches_only, encoding="utf-8")
    contract = extract(path).contracts[0]
    assert contract.table is None
    assert any("budgets des fiches action" in n for n in contract.notes)
    mapping = validate_contract(contract.mapping())
    assert [(a.id, a.financement.etat) for a in mapping.actions][:2] == [("1.1", 5_000_000), ("1.2", 8_000_000)]


# --- the readers under it -------------------------------------------------------------------------


def test_amounts_keep_their_place_in_the_line():
    line = "2024 618 000€ 618 000€  1 236 000€"
    found = amounts_in(line)
    assert [a.cents for a in found] == [61_800_000, 61_800_000, 123_600_000]
    assert [line[a.start:a.end] for a in found] == ["618 000€", "618 000€", "1 236 000€"]
    assert amounts_in("2.2. Les engagements financiers") == []
    assert [a.cents for a in amounts_in("1,2 M€ et 2 556 535.20 €")] == [120_000_000, 255_653_520]
    assert [(p.value, p.decimals) for p in percents_in("soit 50,25 % du total")] == [(50.25, 2)]


def test_an_empty_cell_of_a_pdf_row_is_found_by_arithmetic():
    columns = [Column("etat", "État"), Column("collectivite", "CD"), Column("autres", "autres"), Column("total", "total")]
    row = amounts_in("618 000,00 € 618 000,00 € 1 236 000,00 €")
    assert [c.share for c, _ in align(row, columns)[0]] == ["etat", "collectivite", "total"]
    # The same three amounts that add up only with the other financers' column filled:
    row = amounts_in("100 000 € 20 000 € 120 000 €")
    columns = [Column("etat", "État"), Column("collectivite", "CD"), Column("autres", "CAF"), Column("total", "total")]
    assert [c.share for c, _ in align(row, columns)[0]] == ["etat", "collectivite", "total"]


def test_documents_that_cannot_be_read_are_french_errors(tmp_path):
    with pytest.raises(InvalidInput, match="ni un fichier ni un document du corpus"):
        read_document("contrat-inexistant")
    with pytest.raises(InvalidInput, match="pacte corpus add"):
        read_document((b"%PDF-1.4", "contrat.pdf"))
    with pytest.raises(InvalidInput, match="vide"):
        read_document((b"   \n", "vide.txt"))
    with pytest.raises(InvalidInput, match="dossier"):
        read_document(tmp_path)
    with pytest.raises(InvalidInput, match="pas un document du corpus"):
        read_document(str(EXAMPLE), paths=False)  # the API never reads a server path


def test_a_document_without_a_contract_is_not_guessed_into_one():
    extraction = extract("instruction-2023-168")
    assert extraction.contracts == []
    assert re.search("aucun contrat lisible", extraction.notes[0])
