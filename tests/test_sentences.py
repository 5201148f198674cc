"""Citable units: sentences with their exact lines, PDF line breaks mended, lists kept with their intro."""

from __future__ import annotations

from assistant.chunking import chunk_document
from assistant.parsing import parse_document
from assistant.schema import Chunk
from assistant.sentences import is_title, split_units, with_body, with_list


def chunk(text: str, start: int = 10) -> Chunk:
    lines = text.split("\n")
    return Chunk(f"doc:{start}-{start + len(lines) - 1}", "doc", ("Section",), start, start + len(lines) - 1, text)


def test_a_pdf_sentence_broken_over_blank_lines_is_one_unit():
    # PDF conversions put a blank line after every line of text; the sentence runs on.
    c = chunk("Par la présente convention, le préfet et le président\n\ndéfinissent des engagements dans trois champs :\n\n"
              "la prévention de la pauvreté et l'accès aux droits.\n \nUne autre phrase commence ici, bien après.")
    units = split_units(c)
    assert [(u.line_start, u.line_end) for u in units] == [(10, 14), (16, 16)]
    assert units[0].display.startswith("Par la présente convention") and units[0].display.endswith("accès aux droits.")


def test_markdown_paragraphs_stay_apart():
    # A paragraph ending with a full stop, or followed by a capital, is not continued.
    c = chunk("Premier paragraphe qui se termine bien.\n\nsecond paragraphe en minuscule, distinct du premier.\n\n"
              "Titre sans ponctuation finale\n\nLe paragraphe suivant commence par une majuscule.")
    assert [(u.line_start, u.line_end) for u in split_units(c)] == [(10, 10), (12, 12), (14, 14), (16, 16)]


def test_a_sentence_announcing_a_list_carries_its_items():
    c = chunk("Les contrats reposent sur 3 principes :\n\n- **La pluriannualité** : quatre ans de visibilité. Détail long.\n"
              "  - o un sous-point qui ne porte pas la liste ;\n- **L'adaptation** : aux territoires ;\n"
              "- **La responsabilisation** des acteurs.\n\nParagraphe suivant sans rapport avec la liste.")
    intro = next(u for u in split_units(c) if u.text.endswith(":"))
    unit = with_list(intro)
    assert (unit.line_start, unit.line_end) == (10, 15)
    assert unit.text in c.text  # verbatim slice of the chunk
    assert "La pluriannualité : quatre ans de visibilité" in unit.display
    assert "sous-point" not in unit.display and "Paragraphe suivant" not in unit.display
    assert unit.display.count("\n– ") == 3  # one item a line
    assert unit.display.endswith("La responsabilisation des acteurs.")


def test_a_sentence_without_colon_is_left_alone():
    c = chunk("Une phrase complète.\n\n- un élément de liste qui suit ;")
    unit = split_units(c)[0]
    assert with_list(unit) is unit


def test_real_pas_de_calais_sentences_span_their_lines(corpus):
    document = corpus["pas-de-calais-contrat-2024"]
    chunks = [c for c in chunk_document(document, parse_document(document)) if c.line_start <= 235 <= c.line_end]
    units = [u for u in split_units(chunks[0]) if "trois champs" in u.display]
    assert len(units) == 1
    assert units[0].line_start <= 235 and units[0].line_end >= 241
    assert "la transition écologique et solidaire" in units[0].display


def test_a_title_is_quoted_with_the_sentences_under_it():
    c = chunk("Action 1 : Renforcement du coach Jeunesse\n\nAprès une expérimentation, 557 jeunes sont entrés.\n\n"
              "Le dispositif offre une réponse globale.\n\nAction 2 : Un autre titre\n\nTexte de l'action 2.")
    title = split_units(c)[0]
    assert is_title(title)
    unit = with_body(title, limit=200)
    assert (unit.line_start, unit.line_end) == (10, 14)
    assert unit.text in c.text
    assert unit.display.startswith("Action 1 : Renforcement du coach Jeunesse : Après une expérimentation")
    assert "Action 2" not in unit.display  # the next title starts another subject


def test_a_sentence_is_not_a_title():
    c = chunk("Une phrase complète qui se termine par un point.\n\nUne autre phrase.")
    unit = split_units(c)[0]
    assert not is_title(unit) and with_body(unit) is unit


def test_a_short_heading_between_paragraphs_ends_a_title_body():
    # "Constats et enjeux" is too short to be a unit; it still starts another part of the fiche.
    c = chunk("Action 1.2 Pack jeune\n\nConstats et enjeux\n\nLe Département ambitionne d'accompagner les jeunes.")
    title = split_units(c)[0]
    assert with_body(title) is title


def test_short_list_items_are_kept():
    c = chunk("Différents publics peuvent être identifiés :\n\n- Seniors ;\n- Gens du voyage ;\n- Primo-arrivants.")
    unit = with_list(split_units(c)[0])
    assert "Seniors" in unit.display and "Primo-arrivants" in unit.display
    assert unit.line_end == 14


def test_a_sentence_that_refers_back_is_quoted_with_the_one_before_it():
    from assistant.sentences import with_antecedent

    c = chunk("Le cofinancement de l'État est plafonné à 70 % du coût total. Cette règle vaut aussi pour les autres "
              "programmes. Les métropoles pourront en revanche financer l'animation hors plafond.\n\n"
              "En revanche, les aides à l'achat de véhicules sont exclues du pacte local.")
    units = split_units(c)
    # Two sentences back: "en revanche" leans on "Cette règle …", which leans on the cap.
    grown = with_antecedent(units[2])
    assert grown.text.startswith("Le cofinancement de l'État") and grown.text.endswith("hors plafond.")
    assert grown.text in c.text and (grown.line_start, grown.line_end) == (10, 10)
    # A sentence that stands alone, and the first sentence of a paragraph, are left as they are.
    assert with_antecedent(units[0]) == units[0]
    assert with_antecedent(units[3]) == units[3]


def test_every_sentence_of_the_corpus_that_refers_back_gets_its_antecedent(corpus):
    """Over the real corpus: a quote never opens on a sentence that leans on a sentence of its paragraph it does
    not show, and what is added is a verbatim slice of the passage."""
    from assistant.chunking import chunk_corpus
    from assistant.sentences import refers_back, with_antecedent

    grown = 0
    for c in chunk_corpus(corpus):
        units = split_units(c)
        for previous, unit in zip(units, units[1:]):
            result = with_antecedent(unit)
            assert result.text in c.text and result.text.endswith(unit.text)
            assert result.line_start <= unit.line_start and result.line_end == unit.line_end
            if refers_back(unit.text) and previous.block == unit.block and previous.kind in ("sentence", "item"):
                # The sentence before it is quoted (and, when it leans back too, the one before that).
                assert previous.text in result.text and result.text != unit.text
                grown += 1
    assert grown > 20
