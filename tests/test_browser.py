"""The chat page in a real browser: Debian's chromium driven by Playwright, against a real uvicorn serving
the real index. Screenshots go to test-artifacts/ (git-ignored) at desktop and 375 px widths; every one is
taken after checking that the page shows no raw markup, and axe-core checks every state of the page.

What the page shows is compared with what the API answers for the same input, so these tests check the
page, not the wording of a particular answer. Fields the core may add to an answer (`suggestions`,
`confidence`) are added to a real answer with page.route, to check how the page shows them.
"""

from __future__ import annotations

import json

import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .api_fixtures import LiveServer
    from .browser_support import *  # noqa: F401,F403
    from .browser_support import RAW_MARKUP
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from api_fixtures import LiveServer
    from browser_support import *  # noqa: F401,F403
    from browser_support import RAW_MARKUP

pytestmark = pytest.mark.browser


def with_fields(page, **fields):
    """Every /api/ask answer of this page gets `fields` on top of what the server really answered;
    a callable value is called with the answer."""

    def handle(route):
        response = route.fetch()
        data = response.json()
        for key, value in fields.items():
            data[key] = value(data) if callable(value) else value
        route.fulfill(response=response, json=data)

    page.route("**/api/ask", handle)


def plain(markup: str) -> str:
    """The corpus's markup removed, as a reader sees the text (an independent, cruder version of markup.js)."""
    import re

    text = re.sub(r"<[^>]+>", "", markup)
    text = re.sub(r"\\(.)", r"\1", text.replace("**", "").replace("*", ""))
    return collapse(text)


def test_the_home_page_has_no_accessibility_violation(page_at):
    for name, viewport in (("desktop", DESKTOP), ("mobile", MOBILE)):
        page = page_at(viewport)
        assert no_horizontal_scroll(page)
        check_accessibility(page, f"home-{name}")
        shot(page, f"{name}-home")


def test_the_page_checks_themselves_can_fail(open_page, bare_live_server):
    """axe-core and the raw-markup scan catch what they are there for (so that their silence means something)."""
    page = open_page(bare_live_server, DESKTOP)
    page.evaluate("document.querySelector('main').appendChild(document.createElement('button'))")  # no name
    with pytest.raises(AssertionError, match="button-name"):
        check_accessibility(page, "self-test-violation")
    page.evaluate("document.querySelector('.lead').appendChild(document.createTextNode(' MAPTAM<sup>1</sup> **gras**'))")
    with pytest.raises(AssertionError, match="balisage brut"):
        assert_no_raw_markup(page)


def test_ask_shows_the_verdict_and_a_citation_opens_the_quoted_lines(page_at, live_server):
    expected = api(live_server, "POST", "/api/ask", json={"question": ZFE_QUESTION}).json()
    assert expected["verdict"] in VERDICT_LABELS and expected["citations"]

    page = page_at(DESKTOP)
    turn = ask(page, ZFE_QUESTION)
    answer = turn.locator(".answer")
    assert answer.get_attribute("data-verdict") == expected["verdict"]
    assert turn.locator(".badge").inner_text().strip().lower() == VERDICT_LABELS[expected["verdict"]].lower()
    assert turn.locator(".source-item").count() == len(expected["citations"])
    check_accessibility(page, "conversation")
    shot(page, "desktop-answer", full_page=True)

    first = expected["citations"][0]
    turn.locator(".answer__text .cite").first.click()
    panel = page.locator("#source-panel")
    panel.locator(".excerpt__line--cited").first.wait_for()
    assert panel.is_visible()
    cited = panel.locator(".excerpt__line--cited")
    numbers = [int(cited.nth(i).get_attribute("data-line")) for i in range(cited.count())]
    lines = api(live_server, "GET", f"/api/documents/{first['doc_id']}?start={first['line_start']}&end={first['line_end']}").json()["lines"]
    assert numbers == [line["number"] for line in lines if line["text"].strip()]  # blank lines are never « cited »
    # Exactly the quoted words are marked, inside the cited lines, as they read once rendered.
    highlighted = page.evaluate(
        "Array.from(document.querySelectorAll('#source-panel .excerpt__line--cited')).map("
        "li => Array.from(li.querySelectorAll('mark')).map(m => m.textContent).join('')).join(' ')")
    assert "".join(highlighted.split()) == "".join(plain(first["quote"]).split())
    assert panel.locator(".excerpt__line:not(.excerpt__line--cited) mark").count() == 0
    assert page.evaluate("document.activeElement.id") == "source-title"
    check_accessibility(page, "citation-panel")
    shot(page, "desktop-citation")

    # Escape closes the panel and gives the focus back to the citation.
    page.keyboard.press("Escape")
    assert panel.is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('cite')")


def test_a_follow_up_sends_the_previous_turn_as_history(page_at):
    page = page_at(DESKTOP)
    first = ask(page, ZFE_QUESTION)
    shown_answer = first.locator(".answer__text").inner_text()
    with page.expect_request("**/api/ask") as request_info:
        ask(page, "Et pour un département ?")
    payload = json.loads(request_info.value.post_data)
    assert payload["question"] == "Et pour un département ?"
    assert [t["question"] for t in payload["history"]] == [ZFE_QUESTION]
    assert collapse(payload["history"][0]["answer"]) == collapse(shown_answer)
    assert page.locator(".turn").count() == 2
    check_accessibility(page, "conversation-two-turns")


def test_an_abstention_is_one_message_without_the_closest_sections_as_prose(page_at, live_server):
    expected = api(live_server, "POST", "/api/ask", json={"question": OUT_OF_SCOPE}).json()
    assert expected["abstained"] is True
    page = page_at(DESKTOP)
    turn = ask(page, OUT_OF_SCOPE)
    notice = turn.locator(".notice--abstained")
    assert notice.is_visible()
    text = collapse(turn.locator(".answer").inner_text())
    assert text.count("ne le précise pas") == 1  # one message, not a title repeating the sentence
    assert "Sections les plus proches" not in text
    assert not any(doc_id in text for doc_id in ("pas-de-calais-contrat-2024", "instruction-2023-168", "bfc-visio"))
    assert turn.locator(".badge").count() == 0 and turn.locator(".nearest").count() == 0
    check_accessibility(page, "abstention")
    shot(page, "desktop-abstention")


def test_an_abstention_offers_at_most_three_suggestions_as_links(page_at, live_server):
    """`suggestions` as the core sends them (here the server's own best passages for the question):
    at most three links, each opening its section in the panel, never labelled as cited lines."""
    hits = api(live_server, "POST", "/api/ask", json={"question": OUT_OF_SCOPE}).json()["hits"]
    titles = {d: api(live_server, "GET", f"/api/documents/{d}?start=1&end=1").json()["doc_title"] for d in {h["doc_id"] for h in hits}}
    suggestions = [{"doc_id": h["doc_id"], "doc_title": titles[h["doc_id"]], "section_path": h["section_path"],
                    "line_start": h["line_start"], "line_end": h["line_end"]} for h in hits[:4]]
    assert len(suggestions) == 4
    page = page_at(DESKTOP)
    with_fields(page, suggestions=suggestions)
    turn = ask(page, OUT_OF_SCOPE)
    links = turn.locator(".notice--abstained .nearest button")
    assert links.count() == 3
    first = suggestions[0]
    assert first["section_path"][-1].replace("*", "") in links.first.inner_text()
    assert turn.locator(".notice--abstained").inner_text().count("ne le précise pas") == 1
    check_accessibility(page, "abstention-suggestions")
    links.first.click()
    panel = page.locator("#source-panel")
    panel.locator(".excerpt__line--section").first.wait_for()
    header = panel.locator(".source__lines").inner_text()
    assert header.startswith(f"Section : lignes {first['line_start']} à {first['line_end']}")
    assert panel.locator(".excerpt__line--cited").count() == 0 and panel.locator("mark").count() == 0
    assert "citée" not in panel.inner_text()
    check_accessibility(page, "suggestion-panel")
    shot(page, "desktop-suggestion")


@pytest.mark.parametrize("value, word, level", [(0.82, "élevée", "high"), (0.6, "moyenne", "medium"), (0.2, "faible", "low")])
def test_the_confidence_reads_as_a_word_with_the_number_in_its_details(page_at, value, word, level):
    page = page_at(DESKTOP)
    with_fields(page, confidence=value)
    turn = ask(page, ZFE_QUESTION)
    box = turn.locator(".confidence")
    assert collapse(box.locator("summary").inner_text()) == f"Fiabilité : {word}"
    shown = f"{value:.2f}".replace(".", ",")
    assert shown not in box.inner_text()  # folded: the word first
    box.locator("summary").click()
    assert f"{shown} sur 1" in box.inner_text()
    check_accessibility(page, f"confidence-{level}")
    if level == "medium":
        shot(page, "desktop-confidence")


def test_the_server_sends_a_confidence_and_the_page_shows_it(page_at):
    assert ask(page_at(DESKTOP), ZFE_QUESTION).locator(".confidence").count() == 1


def test_no_confidence_is_shown_when_the_answer_has_none_or_abstains(page_at):
    page = page_at(DESKTOP)
    with_fields(page, confidence=None)
    assert ask(page, ZFE_QUESTION).locator(".confidence").count() == 0
    page = page_at(DESKTOP)
    with_fields(page, confidence=0.9)
    assert ask(page, OUT_OF_SCOPE).locator(".confidence").count() == 0


def test_copy_puts_the_answer_and_its_numbered_sources_on_the_clipboard(browser, live_server, page_at):
    page = page_at(DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    turn = ask(page, ZFE_QUESTION)
    turn.locator(".copy-answer").click()
    turn.locator(".copy-status", has_text="copiée").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Question : " + ZFE_QUESTION)
    assert "Sources :" in copied and "[1] " in copied and "ligne" in copied
    assert not RAW_MARKUP.search(copied)


def test_keyboard_only_use(page_at):
    page = page_at(DESKTOP)
    # The skip link comes first, then the tabs; arrows switch tabs.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#tab-ask")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-check").get_attribute("aria-selected") == "true"
    assert page.locator("#panel-check").is_visible() and page.locator("#panel-ask").is_hidden()
    assert page.evaluate("location.hash") == "#verifier"
    page.keyboard.press("ArrowLeft")
    assert page.locator("#panel-ask").is_visible()
    # Tab reaches the question box; Enter sends.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type(ZFE_QUESTION)
    page.keyboard.press("Enter")
    page.locator(".turn").first.wait_for()


def test_a_tab_opens_from_its_address(open_page, bare_live_server):
    page = open_page(bare_live_server, DESKTOP)
    page.goto(bare_live_server.url + "/#verifier")
    page.wait_for_selector("html[data-ready=true]")
    assert page.locator("#panel-check").is_visible() and page.locator("#tab-check").get_attribute("aria-selected") == "true"
    assert page.locator("h1:visible").count() == 1  # each tab has its one heading


def test_an_empty_question_is_refused_in_french(open_page, bare_live_server):
    page = open_page(bare_live_server, DESKTOP)
    page.click("#ask-submit")
    alert = page.locator("#ask-alert")
    assert alert.is_visible() and "Saisissez une question" in alert.inner_text()
    check_accessibility(page, "error-empty-question")


def test_a_question_over_the_limit_is_refused_with_its_count_never_cut(open_page, bare_live_server):
    page = open_page(bare_live_server, DESKTOP)
    sent = []
    page.on("request", lambda req: "/api/ask" in req.url and sent.append(req))
    question = "Quelle part du coût d'une action la collectivité doit-elle financer ? " * 33
    n = len(question.strip())
    assert n > 2000  # the API refuses it too, with its count: tests/test_api.py
    page.fill("#question", question)
    assert page.input_value("#question") == question  # nothing cut on the way in
    counter = page.inner_text("#question-count")
    assert f"{n:,}".replace(",", "\u202f") + " / 2\u202f000" in counter and "trop long de " + str(n - 2000) in counter
    assert page.get_attribute("#question", "aria-invalid") == "true"
    page.press("#question", "Enter")
    alert = page.locator("#ask-alert")
    assert alert.is_visible()
    assert f"dépasse la limite de 2\u202f000 caractères ({n:,} saisis)".replace(",", "\u202f") in alert.inner_text()
    assert page.input_value("#question") == question and not sent  # kept for the user to shorten, not sent
    check_accessibility(page, "error-question-too-long")
    shot(page, "desktop-question-too-long")
    # At the limit exactly, the question goes to the server (which answers 503 here: no index).
    page.fill("#question", "é" * 2000)
    with page.expect_response("**/api/ask") as response:
        page.press("#question", "Enter")
    assert response.value.status == 503
    page.locator("#ask-alert", has_text=response.value.json()["detail"]).wait_for()
    assert len(sent) == 1 and json.loads(sent[0].post_data)["question"] == "é" * 2000
    check_accessibility(page, "error-server")


def test_a_passage_that_cannot_be_loaded_says_why_in_the_panel(open_page, bare_live_server):
    page = open_page(bare_live_server, DESKTOP)
    page.evaluate("Pacte.openSource({kind: 'citation', number: '1', doc_id: 'circulaire-inconnue', line_start: 3, line_end: 4, quote: ''}, null)")
    alert = page.locator("#source-panel .alert--error")
    alert.wait_for()
    assert "Document inconnu" in alert.inner_text() and "circulaire-inconnue" in alert.inner_text()
    check_accessibility(page, "error-source-panel")


def test_the_chat_works_at_375_px(page_at):
    page = page_at(MOBILE)
    assert no_horizontal_scroll(page)
    turn = ask(page, ZFE_QUESTION)
    assert turn.locator(".badge").is_visible()
    assert no_horizontal_scroll(page)
    check_accessibility(page, "mobile-conversation")
    shot(page, "mobile-answer", full_page=True)
    turn.locator(".answer__text .cite").first.click()
    page.locator("#source-panel .excerpt__line--cited").first.wait_for()
    box = page.locator("#source-panel").bounding_box()
    assert box["x"] == 0 and box["width"] == MOBILE["width"]  # the panel takes the whole screen
    check_accessibility(page, "mobile-citation-panel")
    shot(page, "mobile-citation")
    page.click("#source-close")
    assert page.locator("#source-panel").is_hidden()


def test_the_page_keeps_to_its_content_security_policy(open_page, live_server):
    """Without the tests' CSP bypass: nothing the page does (answers, panel, markup, report) is refused."""
    page = open_page(live_server, DESKTOP, csp=True)
    refused = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and refused.append(msg.text))
    turn = ask(page, ZFE_QUESTION)
    turn.locator(".answer__text .cite").first.click()
    page.locator("#source-panel .excerpt__line--cited").first.wait_for()
    page.click("#source-close")
    page.click("#tab-check")
    page.set_input_files("#contract-file", str(EXAMPLE_YAML))
    page.click("#check-submit")
    page.locator(".check-summary").wait_for()
    assert not refused, refused


def test_a_protected_server_asks_for_the_api_key_then_works(open_page, bare_settings):
    import dataclasses

    from api.app import create_app

    settings = dataclasses.replace(bare_settings, api_key="cle-de-test-navigateur")
    with LiveServer(create_app(settings)) as server:
        page = open_page(server, DESKTOP)
        page.click("#tab-check")
        page.set_input_files("#contract-file", str(EXAMPLE_YAML))
        page.click("#check-submit")
        alert = page.locator("#check-alert")
        alert.wait_for()
        assert "Clé d'API manquante ou invalide" in alert.inner_text()
        assert page.locator("#api-key-box").get_attribute("open") is not None  # the key field is shown
        check_accessibility(page, "error-api-key")
        page.fill("#api-key", "cle-de-test-navigateur")
        page.press("#api-key", "Enter")
        page.click("#check-submit")
        page.locator(".check-summary").wait_for()
        assert alert.is_hidden()
