"""The section trees of the three real corpus documents (assistant.parsing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus import load_corpus
from assistant.parsing import analyze, axis_from_title, clean_title, main, parse_document, parse_numbering
from assistant.schema import Section

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
INSTRUCTION = "instruction-2023-168"
PAS_DE_CALAIS = "pas-de-calais-contrat-2024"
NOTES = "bfc-visio-2024-04-11"

ANNEX_1 = "Annexe 1 – Référentiel de l'axe « Prévenir la pauvreté et lutter contre les inégalités dès l'enfance »"
ANNEX_4 = "Annexe 4 – Référentiel de l'axe « Transition écologique solidaire »"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def trees(corpus):
    return {doc_id: parse_document(doc) for doc_id, doc in corpus.items()}


def find(root: Section, title_prefix: str, *, level: int | None = None) -> Section:
    """The only section whose title starts with title_prefix (optionally at a given level)."""
    found = [s for s in root.walk() if s.title.startswith(title_prefix) and (level is None or s.level == level)]
    assert len(found) == 1, f"{title_prefix!r}: {[(s.line_start, s.title) for s in found]}"
    return found[0]


def deepest_at(root: Section, line: int) -> Section:
    sec = root
    while True:
        child = next((c for c in sec.children if c.line_start <= line <= c.line_end), None)
        if child is None:
            return sec
        sec = child


# ---- the instruction -----------------------------------------------------------------------


def test_instruction_annexes_are_top_level_sections_with_their_spans(trees):
    root = trees[INSTRUCTION]
    annexes = {s.title.split(" –")[0]: (s.line_start, s.line_end) for s in root.children if s.title.startswith("Annexe")}
    expected = {
        "Annexe 1": (229, 404),
        "Annexe 2": (405, 531),
        "Annexe 3": (532, 1032),
        "Annexe 4": (1033, 1263),
        "Annexe 5": (1264, 1452),
        "Annexe 6": (1453, 1631),
        "Annexe 7": (1632, 1761),  # a bare "Annexe 7" line
        "Annexe 8": (1762, 1948),
        "Annexe 10": (1949, 2003),  # "## ANNEXE 10 -Tableaux financiers …"
    }
    assert annexes == expected


def test_an_annex_heading_is_merged_with_its_subtitle_line(trees):
    root = trees[INSTRUCTION]
    titles = [s.title for s in root.children if s.title.startswith("Annexe")]
    assert titles[0] == ANNEX_1
    assert titles[3] == ANNEX_4
    assert titles[6] == "Annexe 7 – Modèle de pacte local des solidarités"
    assert titles[7] == "Annexe 8 – Trame de contrat local des solidarités entre l'État et la Métropole"
    # The subtitle line is part of the annex heading, not a section of its own.
    assert not any(s.title.startswith("Référentiel de l'axe") for s in root.walk())


def test_known_sections_have_their_full_path(trees):
    root = trees[INSTRUCTION]
    s14 = find(root, "1.4 Améliorer l'accompagnement des parcours des femmes sans domicile")
    assert s14.path == [
        ANNEX_1,
        "I. Soutien à la parentalité et aux familles en situation de précarité",
        "1.4 Améliorer l'accompagnement des parcours des femmes sans domicile isolées avec au moins un enfant de moins de 3 ans",
    ]
    assert (s14.line_start, s14.level) == (299, 3)
    slime = find(root, "Cas particulier : SLIME+")
    assert slime.path == [
        ANNEX_4,
        "I. Sous-axe 1 : lutte contre la précarité énergétique",
        "Cas particulier : SLIME+ ou autre action financée dans le cadre des CEE précarité",
    ]
    assert slime.line_start == 1084


def test_hierarchy_follows_the_numbering_not_the_markdown_levels(trees):
    root = trees[INSTRUCTION]
    # "## **2.2 Axe …**" comes after "### **2.1 Axe …**" under "## **2. Priorités …**": all of them are 2.x.
    priorities = find(root, "2. Priorités attendues dans chaque axe")
    assert [c.title[:3] for c in priorities.children] == ["2.1", "2.2", "2.3", "2.4"]
    # Annexe 2: "2.1.3" under "2.1." under "II-", and "## **2.2 …**" back under "II-".
    s213 = find(root, "2.1.3 Créer les conditions")
    assert s213.path[1:] == [
        "II- Actions à prioriser dans la contractualisation",
        "2.1. Sur la levée des freins sociaux",
        "2.1.3 Créer les conditions d'un accompagnement simultané emploi-logement",
    ]
    assert find(root, "2.2 Sur l'accompagnement de publics").path[1].startswith("II-")
    # Annexe 3: "1.1." under "1." under the roman sub-axis I.
    s11 = find(root, "1.1. La structuration de la gouvernance territoriale")
    assert [p[:2] for p in s11.path[1:]] == ["I.", "1.", "1."]
    # Letters under decimals under romans: "b) Favoriser l'accueil …" (a bold-only line) in III. > 2.
    b = find(root, "b) Favoriser l'accueil et le maintien")
    assert b.path[1].startswith("III. Sous-axe") and b.path[2] == "2. Actions à prioriser dans la contractualisation"


def test_two_headings_glued_on_one_line_become_parent_and_child(trees):
    root = trees[INSTRUCTION]
    cadrage = find(root, "I. Cadrage des actions des pactes locaux des solidarités")
    assert cadrage.line_start == 1272
    assert [(c.title, c.line_start) for c in cadrage.children] == [
        ("a. Thématiques et choix des actions", 1272),
        ("b. Actions éligibles", 1287),
    ]
    # The template contract title "**Contrat local des solidarités****2024-2027**" is one heading.
    find(root, "Contrat local des solidarités – 2024-2027")


def test_bold_sentences_and_list_leads_are_not_headings(trees, corpus):
    root = trees[INSTRUCTION]
    titles = [s.title for s in root.walk()]
    for sentence in ("Plus généralement", "Plus spécifiquement", "Plusieurs actions types", "Ces actions ont légitimité",
                     "Les actions éligibles sont", "Intitulé de l'action", "GOUVERNEMENT"):
        assert not any(t.startswith(sentence) for t in titles), sentence
    assert deepest_at(root, 285).title.startswith("1.2 Mieux soutenir")
    assert deepest_at(root, 1291).title == "b. Actions éligibles"
    # An empty template numbering ("**4.1.**") is not a heading either.
    assert deepest_at(root, 1752).title == "4. Gouvernance et organisation"


def test_inline_numbered_lead_in_is_a_heading(trees, corpus):
    root = trees[INSTRUCTION]
    s21 = find(root, "2.1. La connaissance de la langue parlée")
    assert s21.line_start == 839 and s21.path[-2] == "2. Actions à prioriser dans la contractualisation"
    assert corpus[INSTRUCTION].lines[838].startswith("**2.1. La connaissance de la langue parlée** est")


def test_the_dinum_opinion_is_an_annex_inside_annexe_3(trees):
    root = trees[INSTRUCTION]
    avis = find(root, "Annexe – Avis de la Direction interministérielle du numérique")
    assert avis.level == 2 and avis.path[0].startswith("Annexe 3 –") and avis.line_start == 908
    assert [c.title for c in avis.children] == [
        "I – Les échanges de données entre administrations",
        "II – Les règles propres applicables à la proactivité",
    ]
    a = find(root, "A - Les administrations concernées")
    assert a.path[-2] == "1 - Une obligation d'échanger des données pour améliorer le traitement des démarches du public"


def test_the_template_annexes_of_annexe_8_stay_inside_it(trees):
    root = trees[INSTRUCTION]
    for prefix in ("Annexe 1 – Tableau des actions", "Annexe 2 – Fiche action (modèle)", "Annexe 3 – Tableau budgétaire"):
        sec = find(root, prefix)
        assert sec.level == 2 and sec.path[0].startswith("Annexe 8 –"), prefix


def test_axes_of_instruction_sections(trees):
    root = trees[INSTRUCTION]
    top = {s.title.split(" –")[0]: s for s in root.children}
    assert [top[f"Annexe {n}"].axis for n in (1, 2, 3, 4, 5, 6, 10)] == [1, 2, 3, 4, None, None, None]
    assert [c.axis for c in find(root, "2. Priorités attendues").children] == [1, 2, 3, 4]
    annex6 = top["Annexe 6"]
    assert [c.axis for c in annex6.children if c.title.startswith("Axe")] == [1, 2, 3, 4]
    # The outermost axis wins: the mobility sub-axis of Annexe 4 mentions the employment axis in its title.
    mobility = find(root, "II. Sous-axe 2 : droit à la mobilité pour tous")
    assert mobility.axis == 4 and all(s.axis == 4 for s in mobility.walk())


def test_lone_bullets_used_as_subheadings(trees):
    root = trees[INSTRUCTION]
    fsl = find(root, "Actions d'ingénierie et de mobilisation autour des FSL énergie")
    assert fsl.path[-2] == "I. Sous-axe 1 : lutte contre la précarité énergétique" and fsl.line_start == 1094
    # A bullet that is simply the only item of a list is not a heading.
    assert deepest_at(root, 782).title == "c) Développer l'accès aux droits"


# ---- the Pas-de-Calais deliberation bundle --------------------------------------------------


def test_pas_de_calais_parts_and_articles(trees):
    root = trees[PAS_DE_CALAIS]
    parts = [(s.line_start, s.title.split(" ")[0]) for s in root.children]
    assert parts == [(1, "Délibération"), (124, "Contrat"), (5413, "Convention"), (10569, "Rapport")]
    contract = root.children[1]
    articles = [c.title for c in contract.children if c.title.startswith("ARTICLE")]
    assert articles[0] == "ARTICLE 1 – OBJET DE LA CONVENTION" and articles[-1] == "ARTICLE 8 – LITIGE"
    assert len(articles) == 8
    s21 = find(contract, "2.1. Actions mises en œuvre")
    assert s21.path[-2].startswith("ARTICLE 2 –")
    assert [c.title for c in root.children[0].children] == ["Article 1", "Article 2", "Article 3"]


def test_pas_de_calais_annexes_and_their_table_of_contents(trees):
    root = trees[PAS_DE_CALAIS]
    contract = root.children[1]
    annexes = [(c.title, c.line_start, c.kind) for c in contract.children if c.title.startswith("Annexe ")]
    assert annexes == [
        ("Annexe 1 – Tableau des actions et suivi de leurs indicateurs", 641, "table"),
        ("Annexe 2 – Fiches Action", 1007, "text"),
        ("Annexe 3 – Tableaux budgétaires", 4613, "table"),
        ("Annexe 4 – Tableau des indicateurs nationaux", 5255, "table"),
    ]
    # The table of contents (lines 628-640) lists them without being headings.
    assert deepest_at(root, 632).title.startswith("Annexes relatives aux 3 axes")


def test_pas_de_calais_fiches_action(trees):
    root = trees[PAS_DE_CALAIS]
    fiches_annex = find(root, "Annexe 2 – Fiches Action")
    numbers = [c.title.split(" ")[1] for c in fiches_annex.children]
    assert numbers == ["1.1", "1.2", "1.3", "1.4", "1.5", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2"]
    assert [c.axis for c in fiches_annex.children] == [1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4]
    # The page label gives the number; the fiche's own title line says "Action 2.4" by mistake.
    assert fiches_annex.children[8].title == "Action 3.4 Plan de formation et labellisation des référents"
    # Hard-wrapped title.
    assert fiches_annex.children[0].title == (
        "Action 1.1 Accueil de proximité, repérage et aller vers les jeunes en ruptures, en situation de précarité sans solution"
    )
    fiche = fiches_annex.children[0]
    rubrics = [c.title.split(" – ")[0] for c in fiche.children]
    assert rubrics == ["Constats et enjeux", "Objectifs", "Description de l'action", "Territoire", "Suivi-évaluation",
                       "Budget de l'action", "Indicateurs cibles (référentiel national)"]
    assert fiche.children[3].title.endswith("Pilotage – Co-financeurs – Partenaires impliqués – Points de vigilance éventuels")
    assert fiche.children[5].kind == "table"
    assert [c.title for c in fiche.children[2].children] == ["Action 1 : Renforcement du coach Jeunesse", "Action 2"]
    # France Travail convention: its fiches 2.1-2.8 sit in its annex 1, all on axis 2.
    ft = find(root, "Annexe 1 – Plan d'action et fiches actions")
    assert [c.title.split(" ")[1] for c in ft.children] == [f"2.{i}" for i in range(1, 9)]
    assert {s.axis for s in ft.walk()} == {2}


def test_pas_de_calais_page_artefacts_are_not_headings(corpus, trees):
    doc = corpus[PAS_DE_CALAIS]
    lay = analyze(doc)
    assert doc.lines[605].strip() == "8" and 606 in lay.artefacts  # a page number
    assert doc.lines[2511].strip() == "ANNEXE 2" and 2512 in lay.artefacts  # a running label inside a fiche
    assert doc.lines[738].strip() == "19" and 739 not in lay.artefacts  # a value of the actions table
    starts = {s.line_start for s in trees[PAS_DE_CALAIS].walk()}
    assert not starts & {606, 2512, 2946, 4400, 6805, 7489}
    assert not any(s.title.strip().isdigit() or s.title.upper() == s.title == "ANNEXE 2" for s in trees[PAS_DE_CALAIS].walk())


def test_pas_de_calais_report_lists_the_actions_with_their_axis(trees):
    report = trees[PAS_DE_CALAIS].children[3]
    proposal = find(report, "2. Proposition de contractualisation au titre du Pacte des solidarités")
    actions = [c for c in proposal.children if c.title[:1].isdigit()]
    assert actions[0].title == "1.1 Accueil de proximité, repérage et aller vers les jeunes en ruptures , en situation de précarité sans solution"
    assert [a.axis for a in actions] == [1, 1, 1, 1, 1, 3, 3, 3, 3, 4, 4]


# ---- the meeting notes -----------------------------------------------------------------------


def test_notes_slide_titles(trees):
    root = trees[NOTES]
    titles = [s.title for s in root.children]
    assert titles[0] == ("Visio flash ROSS 11 avril 2024 – Les pactes locaux des solidarités : "
                         "du diagnostic à la contractualisation")
    assert "Pacte des solidarités : 4 orientations prioritaires" in titles
    assert "Constats régionaux en B.F.C" in titles
    assert not any(t.startswith("STRATÉGIE NATIONALE") or t.startswith("Diagnostic") for t in titles)
    axe4 = find(root, "Axe 4 : Construire une transition écologique solidaire")
    assert axe4.axis == 4 and axe4.path[0] == "Synthèse des constats issus des diagnostics territoriaux"


# ---- every document ---------------------------------------------------------------------------


@pytest.mark.parametrize("doc_id", [INSTRUCTION, PAS_DE_CALAIS, NOTES])
def test_section_spans_nest_and_tile_their_parent(corpus, trees, doc_id):
    root = trees[doc_id]
    assert (root.path, root.level, root.line_start, root.line_end) == ([], 0, 1, len(corpus[doc_id].lines))
    for sec in root.walk():
        assert sec.line_start <= sec.line_end
        for i, child in enumerate(sec.children):
            assert child.level == sec.level + 1 and child.path == sec.path + [child.title]
            assert sec.line_start <= child.line_start and child.line_end <= sec.line_end
            nxt = sec.children[i + 1].line_start - 1 if i + 1 < len(sec.children) else sec.line_end
            assert child.line_end == nxt
        assert sec.title == sec.title.strip() and "**" not in sec.title and "<sup>" not in sec.title


@pytest.mark.parametrize("doc_id", [INSTRUCTION, PAS_DE_CALAIS, NOTES])
def test_heading_lines_are_real_lines_of_the_document(corpus, trees, doc_id):
    doc = corpus[doc_id]
    for sec in trees[doc_id].walk():
        if sec.level:
            assert doc.lines[sec.line_start - 1].strip(), (sec.line_start, sec.title)


def test_footnotes_resolve_to_the_note_below_the_call(corpus):
    lay = analyze(corpus[INSTRUCTION])
    # "… loi MAPTAM<sup>1</sup>" (line 84) and its note after the page break (line 98).
    assert lay.footnote_refs[84] == ["1"]
    assert lay.resolve_footnote("1", 84).line == 98
    assert lay.resolve_footnote("1", 84).text.startswith("Loi n° 2014-58 du 27 janvier 2014")
    # Numbering restarts in each annex: the <sup>1</sup> of Annexe 4 is another note.
    assert lay.resolve_footnote("1", 1057).text == "Observatoire national de la précarité énergétique (ONPE)."
    assert lay.resolve_footnote("5", 1084).line == 1098


def test_numbering_and_title_helpers():
    assert parse_numbering("2.1.3 Créer les conditions").number == (2, 1, 3)
    assert parse_numbering("III. Accompagner les jeunes").number == (3,)
    assert parse_numbering("b) Favoriser l'accueil").style == "lower"
    assert parse_numbering("A - Les administrations concernées").style == "upper"
    assert parse_numbering("ARTICLE 3 – MODALITÉS").style == "article"
    assert parse_numbering("1er janvier 2024") is None
    assert clean_title("### **1.4 Améliorer<sup>2</sup> :**".lstrip("# ")) == "1.4 Améliorer"
    assert axis_from_title("Axe « Accès aux droits essentiels »") == 3
    assert axis_from_title("Axe 2 : amplifier la politique d'accès à l'emploi pour tous") == 2
    assert axis_from_title("I. Sous-axe 1 : lutte contre la précarité énergétique") is None


def test_debug_printer_prints_the_tree(capsys):
    assert main([str(CORPUS / "instruction-DGCS-2023-168-metropoles.md")]) == 0
    out = capsys.readouterr().out
    assert "    [1084-1093] Cas particulier : SLIME+ ou autre action financée dans le cadre des CEE précarité  (axe 4)" in out
