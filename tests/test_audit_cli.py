"""`pacte extract` and `pacte audit` from the command line: outputs, exit codes, French errors."""

from __future__ import annotations

import json

import pytest
import yaml

from assistant.cli import main
from assistant.config import PROJECT_ROOT

DATASET = PROJECT_ROOT / "eval" / "datasets" / "audit"


def run(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main([*map(str, args)])
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def test_extract_writes_a_contract_that_pacte_check_accepts(capsys, tmp_path):
    out_file = tmp_path / "pdc.yaml"
    code, _, err = run(capsys, "extract", "pas-de-calais-contrat-2024", "--out", out_file)
    assert code == 0 and "11 actions" in err
    text = out_file.read_text(encoding="utf-8")
    assert text.startswith("# Contrat extrait de pas-de-calais-contrat-2024")
    assert "total: 1236000  # l. 4669" in text
    code, out, _ = run(capsys, "check", out_file)
    assert code == 0 and "Département du Pas-de-Calais (département), année 2024 : 11 actions" in out


def test_extract_json_gives_each_value_its_lines(capsys):
    code, out, _ = run(capsys, "extract", DATASET / "annexe10-metropole-rivemont-2024-conforme.csv", "--json")
    data = json.loads(out)
    assert code == 0 and data["doc_id"] == "annexe10-metropole-rivemont-2024-conforme.csv"
    contract = data["contracts"][0]
    assert contract["contract"]["collectivite"] == {"nom": "Métropole de Rivemont", "type": "metropole"}
    assert contract["contract"]["plafonds_etat"] == {"1": 300000, "2": 300000, "3": 250000, "4": 200000}
    assert contract["sources"]["actions[0].financement.etat"] == {"line_start": 11, "line_end": 11}


def test_a_regional_summary_is_written_as_one_file_per_territory(capsys, tmp_path):
    code, _, err = run(capsys, "extract", DATASET / "synthese-regionale-2024-conforme.md", "--out", tmp_path / "c.yaml")
    assert code == 0
    names = sorted(p.name for p in tmp_path.glob("c-*.yaml"))
    assert names == ["c-departement-des-hautes-combes.yaml", "c-departement-du-val-chenois.yaml", "c-metropole-de-bellerive.yaml"]
    assert yaml.safe_load((tmp_path / names[2]).read_text(encoding="utf-8"))["collectivite"]["type"] == "metropole"


def test_audit_exits_1_on_errors_and_prints_both_places(capsys):
    code, out, _ = run(capsys, "audit", DATASET / "annexe10-departement-causse-noir-2024.csv", "--sans-axes")
    assert code == 1
    assert "Constats : 2 erreur(s)" in out
    assert "→ annexe10-departement-causse-noir-2024.csv, l. 7 :" in out
    assert "axes non vérifiés par le référentiel (vérification désactivée)" in out


def test_audit_of_a_clean_document_exits_0(capsys):
    code, out, _ = run(capsys, "audit", DATASET / "annexe10-metropole-rivemont-2024-conforme.csv", "--no-axes", "--json")
    report = json.loads(out)
    assert code == 0 and report["findings"] == [] and report["summary"]["violations"] == 0


@pytest.mark.parametrize("args,words", [
    (["audit", "contrat-inconnu"], "n'est ni un fichier ni un document du corpus"),
    (["audit", "instruction-2023-168", "--sans-axes"], "aucun contrat lisible"),
    (["extract", "bfc-visio-2024-04-11"], "aucun contrat lisible"),
])
def test_unreadable_documents_exit_2_in_french(capsys, args, words):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("Erreur : ") and words in err and "Traceback" not in err


def test_a_pdf_is_sent_to_the_corpus_converter(capsys, tmp_path):
    pdf = tmp_path / "contrat.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    code, _, err = run(capsys, "extract", pdf)
    assert code == 2 and "pacte corpus add" in err


def test_extract_refuses_to_write_where_it_cannot(capsys, tmp_path):
    target = tmp_path / "dossier"
    target.mkdir()
    code, _, err = run(capsys, "extract", "pas-de-calais-contrat-2024", "--out", target)
    assert code == 2 and err.startswith("Erreur : ")
