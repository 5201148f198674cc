"""Malformed contracts end as InvalidInput with a French message naming the field — never a traceback."""

from __future__ import annotations

import os
import random

import pytest

from assistant.config import PROJECT_ROOT
from assistant.errors import InvalidInput
from assistant.rules import load_contract

HEAD = "collectivite: {nom: Métropole test, type: metropole}\nannee: 2024\nactions:\n"


def act(id_="1.1", axe="1", etat="10000", collectivite="10000", extra=""):
    return (f"  - {{id: '{id_}', axe: {axe}, intitule: Action, "
            f"financement: {{etat: {etat}, collectivite: {collectivite}}}{extra}}}\n")


FOUR = "".join(act(f"{i}.1", str(i)) for i in (1, 2, 3))

CASES = {
    # name: (file content, filename, expected message or fragment)
    "negative amount": (HEAD + FOUR + act("4.1", "4", etat="-5"), "c.yaml",
                        "actions[3].financement.etat : montant négatif (-5 €)"),
    "text amount": (HEAD + act(etat="abc"), "c.yaml", "actions[0].financement.etat : montant non numérique (« abc »)"),
    "boolean amount": (HEAD + act(etat="yes"), "c.yaml", "actions[0].financement.etat : nombre attendu, pas un booléen"),
    "infinite amount": (HEAD + act(etat=".inf"), "c.yaml", "actions[0].financement.etat : nombre fini attendu"),
    "unknown axis": (HEAD + act(axe="5"), "c.yaml", "actions[0].axe : axe inconnu (5) ; valeurs possibles : 1, 2, 3, 4"),
    "text axis": (HEAD + act(axe="deux"), "c.yaml", "actions[0].axe : axe inconnu (« deux »)"),
    "duplicate ids": (HEAD + act("1.1") + act("1.1"), "c.yaml",
                      "actions[1].id : identifiant en double (« 1.1 », déjà utilisé par actions[0])"),
    "missing amount": (HEAD + "  - {id: a, axe: 1, intitule: A, financement: {etat: 1}}\n", "c.yaml",
                       "actions[0].financement.collectivite : champ obligatoire manquant"),
    "typo in a key": (HEAD + "  - {id: a, axe: 1, intitule: A, financement: {etat: 1, colectivite: 1}}\n", "c.yaml",
                      "actions[0].financement.colectivite : champ inconnu ; vouliez-vous dire « collectivite » ?"),
    "unknown status": (HEAD + act(extra=", statut: ancienne"), "c.yaml", "actions[0].statut : statut inconnu (« ancienne »)"),
    "unknown dispositif": (HEAD + act(extra=", dispositifs: [jetpack]"), "c.yaml",
                           "actions[0].dispositifs[0] : dispositif inconnu (« jetpack »)"),
    "fractional meals": (HEAD + act(extra=", cantine: {repas: 10.5, prix_repas: 0.5, qf_max: 900, aide_etat_par_repas: 1}"),
                         "c.yaml", "actions[0].cantine.repas : nombre entier attendu (10,5)"),
    "bad plafond axis": (HEAD.replace("actions:", "plafonds_etat: {7: 100}\nactions:") + act(), "c.yaml",
                         "plafonds_etat[7] (clé) : axe inconnu (7)"),
    "bad year": (HEAD.replace("2024", "deux mille") + act(), "c.yaml", "annee : année invalide"),
    "unknown collectivity type": (HEAD.replace("type: metropole", "type: commune") + act(), "c.yaml",
                                  "collectivite.type : type de collectivité inconnu (« commune »)"),
    "no actions": (HEAD + "  []\n", "c.yaml", "actions : au moins un élément attendu (liste vide)"),
    "actions not a list": (HEAD + "  nope\n", "c.yaml", "actions : liste attendue, pas un texte (« nope »)"),
    "top-level list": ("- a\n- b\n", "c.yaml", "le fichier ne décrit pas un contrat"),
    "YAML syntax error": (HEAD + "  - {id: a, axe: 1\n", "c.yaml", "YAML invalide à la ligne"),
    "tab indentation": (HEAD + "\t- {id: a}\n", "c.yaml", "YAML invalide à la ligne 4, colonne 1"),
    "list used as a key": ("? [1, 2]\n: 3\n", "c.yaml", "une liste ou un objet est utilisé comme clé"),
    "empty file": ("", "c.yaml", "fichier vide"),
    "blank file": ("  \n\n # nothing\n", "c.yaml", "fichier vide"),
    "JSON syntax error": ('{"collectivite": ', "c.json", "JSON invalide à la ligne 1"),
    "JSON scalar": ("42", "c.json", "le fichier ne décrit pas un contrat : un objet avec collectivite, annee et actions "
                                    "est attendu, pas un nombre (42)"),
    "legacy spreadsheet": ("x", "c.xls", "format .xls non pris en charge"),
}


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_parser(request, monkeypatch):
    """Every message must be the same whether PyYAML was built with libyaml or not (libyaml's own messages, marks
    and nesting limit differ): the cases run with both parsers."""
    import yaml

    from assistant.rules import safeparse

    if request.param == "pure-python":
        pure = type("PureYamlLoader", (yaml.SafeLoader,), {"resolve": safeparse._YamlLoader.resolve})
        monkeypatch.setattr(safeparse, "_YamlLoader", pure)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml here")
    return request.param


@pytest.mark.parametrize("name", CASES)
def test_malformed_contract_is_invalid_input_naming_the_field(name, yaml_parser):
    content, filename, expected = CASES[name]
    with pytest.raises(InvalidInput) as err:
        load_contract((content.encode("utf-8"), filename))
    assert expected in err.value.message, err.value.message
    assert err.value.exit_code == 2


def test_five_megabytes_of_junk_are_refused_by_size_before_parsing():
    junk = random.Random(4).randbytes(5 * 1024 * 1024)
    for name in ("junk.yaml", "junk.xlsx", "junk.csv", "junk"):
        with pytest.raises(InvalidInput, match="fichier trop volumineux"):
            load_contract((junk, name))


@pytest.mark.parametrize("name", ["junk.yaml", "junk.json", "junk.xlsx", "junk.csv", "junk"])
def test_junk_under_the_size_limit_is_refused_cleanly(name):
    junk = random.Random(7).randbytes(1_500_000)
    with pytest.raises(InvalidInput):
        load_contract((junk, name))


def test_printable_junk_is_refused_as_not_a_contract():
    text = "".join(random.Random(3).choices("abcdefghij klmnop:-[]{}#\n'\"", k=1_000_000))
    with pytest.raises(InvalidInput):
        load_contract((text.encode(), "junk.yaml"))


def test_alias_bombs_and_deep_nesting_are_refused(yaml_parser):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8))
    with pytest.raises(InvalidInput, match="structure trop volumineuse"):
        load_contract((bomb.encode(), "bomb.yaml"))
    with pytest.raises(InvalidInput, match="imbriqué"):
        load_contract((("[" * 100_000 + "]" * 100_000).encode(), "deep.json"))
    # Beyond ~50 000 levels libyaml's composer overflows the C stack (a segfault, not an exception).
    with pytest.raises(InvalidInput, match="imbriqué"):
        load_contract((("[" * 100_000 + "]" * 100_000).encode(), "deep.yaml"))
    with pytest.raises(InvalidInput, match="imbriqué"):
        load_contract((("- " * 100_000 + "x").encode(), "compact.yaml"))


def test_a_zip_bomb_spreadsheet_is_refused_before_unzipping():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * (80 * 1024 * 1024))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(InvalidInput, match="trop volumineux une fois décompressé"):
        load_contract((buffer.getvalue(), "bomb.xlsx"))


def test_missing_file_directory_and_unreadable_bytes(tmp_path):
    with pytest.raises(InvalidInput, match="fichier introuvable"):
        load_contract(tmp_path / "absent.yaml")
    with pytest.raises(InvalidInput, match="dossier"):
        load_contract(tmp_path)
    with pytest.raises(InvalidInput, match="n'est pas un texte UTF-8"):
        load_contract((b"\xff\xfe\x00bad", "c.yaml"))
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.yaml"
        locked.write_text("a: 1")
        locked.chmod(0)
        with pytest.raises(InvalidInput, match="droits insuffisants"):
            load_contract(locked)


# --- integers longer than Python converts (4,300 digits): French messages, never its ValueError ---------------

BIG = "9" * 5000
EXAMPLE = (PROJECT_ROOT / "examples" / "pas-de-calais-2024.yaml").read_text(encoding="utf-8")


def _yaml_with(old: str, new: str) -> bytes:
    assert old in EXAMPLE
    return EXAMPLE.replace(old, new, 1).encode("utf-8")


def _json_with(field: str, raw: str) -> bytes:
    import json

    import yaml

    text = json.dumps(yaml.safe_load(EXAMPLE), ensure_ascii=False)
    assert f'"{field}": 2024' in text
    return text.replace(f'"{field}": 2024', f'"{field}": {raw}', 1).encode("utf-8")


@pytest.mark.parametrize(
    "data, name, expected",
    [
        (_yaml_with("annee: 2024", f"annee: {BIG}"), "c.yaml", "nombre trop grand à la ligne"),
        (_yaml_with("etat: 618000", f"etat: {BIG}"), "c.yaml", "nombre trop grand à la ligne"),
        (_yaml_with("axe: 1", f"axe: {BIG}"), "c.yaml", "5\u202f000 chiffres (30 au plus)"),
        (_yaml_with("axe: 1", f"axe: 1_{BIG}"), "c.yaml", "nombre trop grand"),
        (_yaml_with("axe: 1", f"axe: '{BIG}'"), "c.yaml", "axe inconnu (« 9999"),
        (_yaml_with("axe: 1", "axe: '²'"), "c.yaml", "axe inconnu (« ² »)"),
        (_yaml_with("annee: 2024", "annee: 2024-13-45"), "c.yaml", "valeur illisible (« 2024-13-45 »)"),
        (_json_with("annee", BIG), "c.json", "nombre trop grand à la ligne 1 : 5\u202f000 chiffres"),
        (_json_with("annee", "-" + BIG), "c.json", "nombre trop grand"),
        (_json_with("annee", f'"{BIG}"'), "c.json", "annee : année invalide (« 9999"),
    ],
)
def test_integers_past_pythons_digit_limit_are_french_errors(data, name, expected, yaml_parser):
    with pytest.raises(InvalidInput) as err:
        load_contract((data, name))
    assert expected in err.value.message, err.value.message
    assert "Exceeds" not in err.value.message and "int()" not in err.value.message


def test_a_spreadsheet_cell_past_the_digit_limit_is_a_french_error():
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(PROJECT_ROOT / "examples" / "pas-de-calais-2024.xlsx")
    cell = workbook.active["D4"]
    assert isinstance(cell.value, (int, float))
    cell.value, cell.data_type = BIG, "n"  # written as a number: openpyxl converts it back when reading
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(InvalidInput, match="ligne 4 de la feuille « Prévisionnel » contient une valeur illisible"):
        load_contract((buffer.getvalue(), "grand.xlsx"))
    csv = (PROJECT_ROOT / "examples" / "pas-de-calais-2024.csv").read_text(encoding="utf-8")
    with pytest.raises(InvalidInput, match="montant hors limites"):
        load_contract((csv.replace("618 000,00 €", BIG, 1).encode("utf-8"), "grand.csv"))


def test_pacte_check_on_a_huge_integer_exits_2_in_french(tmp_path):
    import subprocess
    import sys

    contract = tmp_path / "grand.yaml"
    contract.write_bytes(_yaml_with("annee: 2024", f"annee: {BIG}"))
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "check", str(contract)], capture_output=True,
                          text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 2 and done.stderr.startswith("Erreur : nombre trop grand") and "Traceback" not in done.stderr
