"""`pacte indicators [--axe N] [--json]`: national indicators per référentiel section, with their
Annexe 6 definition and the reporting calendar."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant import cli
from assistant.corpus import load_corpus
from assistant.errors import InvalidInput
from assistant.indicators import indicators_payload, list_indicators, render_text, reporting_calendar

ROOT = Path(__file__).resolve().parent.parent
ITEM_KEYS = {"axis", "section", "section_path", "indicator", "doc_id", "line_start", "line_end", "definition"}
QUOTE_KEYS = {"text", "doc_id", "line_start", "line_end"}


def collapse(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOT / "corpus")


@pytest.fixture
def pacte(capsys):
    """Run `pacte ...` through the real entry point; returns (exit code, stdout, stderr)."""
    def run(*args):
        with pytest.raises(SystemExit) as exc:
            cli.main(list(args))
        out = capsys.readouterr()
        return exc.value.code, out.out, out.err

    return run


def test_every_axis_lists_national_indicators():
    items = list_indicators()
    assert {i["axis"] for i in items} == {1, 2, 3, 4}
    for axis in (1, 2, 3, 4):
        only = list_indicators(axis)
        assert only and all(i["axis"] == axis for i in only)


def test_indicator_objects_have_the_documented_shape():
    for item in list_indicators():
        assert ITEM_KEYS <= set(item)
        assert isinstance(item["section_path"], list) and item["section_path"][-1] == item["section"]
        for d in item["definition"]:
            assert QUOTE_KEYS <= set(d)


def test_indicator_wording_and_definitions_are_verbatim(corpus):
    lines_of = corpus["instruction-2023-168"]
    for item in list_indicators():
        cited = collapse(lines_of.span_text(item["line_start"], item["line_end"]))
        assert collapse(item["indicator"]) in cited
        for d in item["definition"]:
            assert collapse(d["text"]) in collapse(lines_of.span_text(d["line_start"], d["line_end"]))


def test_ccapex_indicators_are_listed_for_axis_3_with_their_definition():
    ccapex = [i for i in list_indicators(3) if "CCAPEX" in i["indicator"]]
    assert [i["line_start"] for i in ccapex] == [741, 742]
    assert ccapex[1]["definition"][0]["line_start"] == 1577
    assert "clôturés sur une absence d'expulsion" in ccapex[1]["definition"][0]["text"]


def test_a_shared_indicator_appears_once_per_section():
    families = [i["section_id"] for i in list_indicators(1) if i["line_start"] == 297]
    assert families == ["axe1/1.1", "axe1/1.2", "axe1/1.3"]


@pytest.mark.parametrize("bad", [7, 0, -1, "9", "deux", "1.5", ""])
def test_unknown_axis_is_refused_in_french(bad):
    with pytest.raises(InvalidInput, match="Axe inconnu"):
        list_indicators(bad)


def test_calendar_has_local_targets_national_reporting_and_mid_term():
    calendar = reporting_calendar()
    for step in calendar:
        assert QUOTE_KEYS | {"kind", "label"} <= set(step)
    text = " ".join(s["text"] for s in calendar)
    assert "T0" in text and "Cible 2027" in text  # local indicators: T0 and yearly targets 2024-2027
    assert "En mars 2025" in text and "mars 2028" in text  # national indicators, yearly in March
    assert "31 mars 2026" in text  # mid-term report


def test_the_contract_years_of_the_text_are_the_framework_parameters():
    from assistant.framework import load_framework

    params = load_framework().parameters
    first, last = int(params["contract_first_year"].value), int(params["contract_last_year"].value)
    text = render_text()
    assert f"Indicateurs locaux (T0, cibles annuelles {first}-{last})" in text
    assert f"de mars {first + 1} (année {first}) à mars {last + 1} (année {last})" in text


def test_json_payload_is_indicators_plus_calendar():
    payload = indicators_payload(2)
    assert set(payload) == {"indicators", "calendar"}
    assert all(i["axis"] == 2 for i in payload["indicators"])
    json.dumps(payload)  # serialisable as is


def test_cli_text_gives_wording_lines_definition_and_calendar(pacte):
    code, out, err = pacte("indicators", "--axe", "3")
    assert code == 0 and not err
    assert "AXE 3" in out and "AXE 1 " not in out
    assert "Nombre de dossiers pris en charge par la CCAPEX" in out and "l. 742" in out
    assert "Qui et comment compter" in out
    assert "CALENDRIER" in out and "31 mars 2026" in out


def test_cli_json(pacte):
    code, out, _ = pacte("indicators", "--json")
    assert code == 0
    data = json.loads(out)
    assert {i["axis"] for i in data["indicators"]} == {1, 2, 3, 4}
    assert all(ITEM_KEYS <= set(i) for i in data["indicators"])
    assert data["calendar"]


@pytest.mark.parametrize("bad", ["9", "7", "x"])
def test_cli_unknown_axis_exits_2_with_a_french_message(pacte, bad):
    code, out, err = pacte("indicators", "--axe", bad)
    assert code == 2 and not out
    assert err.startswith("Erreur : Axe inconnu")
    assert "Traceback" not in err


def test_sections_without_national_indicator_say_so():
    assert "Pas d'indicateur national dans le référentiel pour cette section." in render_text(3)
