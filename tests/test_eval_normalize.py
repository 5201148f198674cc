"""Key facts are matched after normalisation: the same fact written the way the corpus, a person
or another assistant writes it must match, and a different number must not."""

import pytest

from eval.normalize import collapse_whitespace, contains_fact, normalize_text


@pytest.mark.parametrize(
    "variants",
    [
        ["1 000 €", "1000 euros", "1000€", "1\u202f000\u00a0€", "1 000 EUR", "1000 euro", "1000euros"],
        ["70 %", "70%", "70 pour cent", "70\u00a0%", "70 pourcent"],
        ["L’État", "l'Etat", "L'ÉTAT", "l‘état"],
        ["éligible", "ELIGIBLE", "Éligible"],
        ["Pas-de-Calais", "Pas de Calais", "pas‑de‑calais"],
        ["3 342 548 €", "3342548 euros"],
        ["1,5 %", "1.5 %", "1,5%"],
        ["cœur", "coeur"],
        ["1<sup>er</sup> janvier", "1er janvier", "**1er** janvier"],
    ],
)
def test_variants_of_a_fact_normalise_to_the_same_text(variants):
    forms = {normalize_text(v) for v in variants}
    assert len(forms) == 1, forms


def test_normalised_forms_are_the_expected_ones():
    assert normalize_text("1 000 €") == "1000€"
    assert normalize_text("70 pour cent") == "70%"
    assert normalize_text("  Le   FSE+\tsur la part  ") == "le fse+ sur la part"
    assert normalize_text("« éligible »") == '" eligible "'


def test_a_year_before_an_amount_is_not_glued_to_it():
    assert normalize_text("en 2024 1 000 €") == "en 2024 1000€"


@pytest.mark.parametrize(
    "answer, fact, expected",
    [
        ("La part de l'État ne peut dépasser 70\u00a0% du coût.", "70%", True),
        ("plafonné à 1000 euros par foyer", "1 000 €", True),
        ("un taux de 170 %", "70 %", False),  # another number
        ("10 000 €", "1 000 €", False),
        ("1 000 000 €", "1 000 €", False),
        ("une action inéligible", "éligible", False),  # another word
        ("les indicateurs nationaux", "indicateur", True),  # plural of the fact
        ("l’entretien prénatal précoce", "entretien prenatal", True),
        ("sans rapport", "", False),
    ],
)
def test_contains_fact(answer, fact, expected):
    assert contains_fact(answer, fact) is expected


def test_collapse_whitespace_only_touches_whitespace():
    assert collapse_whitespace(" a\u00a0\u202f b\n\nc ") == "a b c"
    assert collapse_whitespace("L’État") == "L’État"
