"""The chat page in a real browser: Debian's chromium driven by Playwright, against a real uvicorn serving
the real index. Screenshots go to test-artifacts/ (git-ignored) at desktop and 360 px widths.

What the page shows is compared with what the API answers for the same input, so these tests check the
page, not the wording of a particular answer.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from assistant.config import PROJECT_ROOT

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .api_fixtures import ARTIFACTS, LiveServer
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from api_fixtures import ARTIFACTS, LiveServer

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("PACTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLE_YAML = PROJECT_ROOT / "examples" / "pas-de-calais-2024.yaml"
ZFE_QUESTION = "Une métropole peut-elle financer l'aide à l'achat d'un véhicule propre en ZFE avec le pacte ?"
OUT_OF_SCOPE = "Quelle est la recette de la tarte tatin ?"
VERDICT_LABELS = {
    "eligible": "Éligible",
    "eligible_with_conditions": "Éligible sous conditions",
    "excluded": "Exclu",
    "not_in_referential": "Hors référentiel",
}
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 360, "height": 740}
TIMEOUT_MS = 30_000


def collapse(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} absent : `make chromium` installe le chromium de Debian")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """open_page(server, viewport) -> a fresh French page on `server`; the test fails on any JS error or
    any request leaving the server."""
    contexts, errors = [], []

    def open_page(live_server, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="fr-FR")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # The page must never reach outside the server (no CDN, no font, no analytics).
        page.on("request", lambda req: req.url.startswith(live_server.url) or req.url.startswith("data:") or errors.append(req.url))
        page.goto(live_server.url + "/")
        page.wait_for_selector("html[data-ready=true]")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


def shot(page, name: str, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def api(live_server, method: str, path: str, **kwargs):
    return httpx.request(method, live_server.url + path, timeout=60, **kwargs)


def ask(page, question: str):
    before = page.locator(".turn").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    turn = page.locator(".turn").nth(before)
    turn.wait_for()  # locators, not wait_for_function: the page's CSP forbids eval, rightly
    return turn


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def page_at(open_page, live_server):
    """page_at(viewport) -> a page on the server with the real index."""
    return lambda viewport=DESKTOP: open_page(live_server, viewport)


@pytest.fixture
def check_page(open_page, bare_live_server):
    """A page on the contract-check tab of a server without index: the check needs none."""

    def make(viewport=DESKTOP):
        page = open_page(bare_live_server, viewport)
        page.click("#tab-check")
        return page

    return make


def test_ask_shows_the_verdict_and_a_citation_opens_the_quoted_lines(page_at, live_server):
    expected = api(live_server, "POST", "/api/ask", json={"question": ZFE_QUESTION}).json()
    assert expected["verdict"] in VERDICT_LABELS and expected["citations"]

    page = page_at(DESKTOP)
    turn = ask(page, ZFE_QUESTION)
    answer = turn.locator(".answer")
    assert answer.get_attribute("data-verdict") == expected["verdict"]
    assert turn.locator(".badge").inner_text().strip().lower() == VERDICT_LABELS[expected["verdict"]].lower()
    assert turn.locator(".source-item").count() == len(expected["citations"])
    shot(page, "desktop-answer", full_page=True)

    first = expected["citations"][0]
    turn.locator(".answer__text .cite").first.click()
    panel = page.locator("#source-panel")
    panel.locator(".excerpt__line--cited").first.wait_for()
    assert panel.is_visible()
    cited = panel.locator(".excerpt__line--cited")
    numbers = [int(cited.nth(i).get_attribute("data-line")) for i in range(cited.count())]
    assert numbers == list(range(first["line_start"], first["line_end"] + 1))
    # Exactly the quoted words are marked, inside the cited lines.
    highlighted = collapse(" ".join(panel.locator("mark").all_inner_texts()))
    assert highlighted == collapse(first["quote"])
    assert panel.locator(".excerpt__line:not(.excerpt__line--cited) mark").count() == 0
    assert page.evaluate("document.activeElement.id") == "source-title"
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


def test_out_of_scope_question_shows_the_corpus_does_not_cover_it(page_at, live_server):
    expected = api(live_server, "POST", "/api/ask", json={"question": OUT_OF_SCOPE}).json()
    assert expected["abstained"] is True
    page = page_at(DESKTOP)
    turn = ask(page, OUT_OF_SCOPE)
    notice = turn.locator(".notice--abstained")
    assert notice.is_visible()
    assert "Le corpus ne couvre pas cette question" in notice.inner_text()
    assert turn.locator(".badge").count() == 0
    shot(page, "desktop-abstention")


def test_copy_puts_the_answer_and_its_numbered_sources_on_the_clipboard(browser, live_server, page_at):
    page = page_at(DESKTOP)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    turn = ask(page, ZFE_QUESTION)
    turn.locator(".copy-answer").click()
    turn.locator(".copy-status", has_text="copiée").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Question : " + ZFE_QUESTION)
    assert "Sources :" in copied and "[1] " in copied and "ligne" in copied


def test_keyboard_only_use(page_at):
    page = page_at(DESKTOP)
    # The skip link comes first, then the tabs; arrows switch tabs.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.focus("#tab-ask")
    page.keyboard.press("ArrowRight")
    assert page.locator("#tab-check").get_attribute("aria-selected") == "true"
    assert page.locator("#panel-check").is_visible() and page.locator("#panel-ask").is_hidden()
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


def test_empty_and_too_long_questions_are_refused_in_french(open_page, bare_live_server):
    page = open_page(bare_live_server, DESKTOP)
    page.click("#ask-submit")
    alert = page.locator("#ask-alert")
    assert alert.is_visible() and "Saisissez une question" in alert.inner_text()
    # The box caps input at 2 000 characters; the counter says so.
    page.fill("#question", "a" * 2500)
    assert len(page.input_value("#question")) == 2000
    assert "2\u202f000 / 2\u202f000" in page.inner_text("#question-count")


def test_uploading_the_pas_de_calais_example_shows_every_rule_passing(check_page, bare_live_server):
    expected = api(bare_live_server, "POST", "/api/check", files={"file": (EXAMPLE_YAML.name, EXAMPLE_YAML.read_bytes())}).json()
    assert expected["ok"] is True
    page = check_page(DESKTOP)
    page.set_input_files("#contract-file", str(EXAMPLE_YAML))
    assert EXAMPLE_YAML.name in page.inner_text("#contract-file-name")
    page.click("#check-submit")
    summary = page.locator(".check-summary")
    summary.wait_for()
    assert summary.get_attribute("data-ok") == "true"
    assert "Aucune violation" in summary.inner_text()
    rows = page.locator(".results tbody tr")
    assert rows.count() == len(expected["results"])
    assert page.locator(".results tr.row--violation").count() == 0
    shot(page, "desktop-check-pas-de-calais", full_page=True)

    # Hiding the rules that pass leaves the points to look at.
    page.locator(".checkbox label").click()
    visible = page.locator(".results tbody tr:visible")
    assert visible.count() == len([r for r in expected["results"] if r["verdict"] != "ok"])
    assert {visible.nth(i).get_attribute("data-verdict") for i in range(visible.count())} <= {"warning", "info"}
    page.locator(".check-summary").scroll_into_view_if_needed()
    shot(page, "desktop-check-attention")

    # A rule's source opens the cited paragraph of the instruction.
    with_citation = [r for r in expected["results"] if r.get("citation")]
    if with_citation:
        page.locator(".results__source button").first.click()
        page.locator("#source-panel .excerpt__line--cited").first.wait_for()


def test_a_broken_file_shows_the_french_error(check_page, bare_live_server):
    broken = b"collectivite:\n  nom: Pas-de-Calais\n  type: [departement\nactions: oui\n"
    expected = api(bare_live_server, "POST", "/api/check", files={"file": ("contrat-casse.yaml", broken)})
    assert expected.status_code == 422
    page = check_page(DESKTOP)
    page.set_input_files("#contract-file", files=[{"name": "contrat-casse.yaml", "mimeType": "application/x-yaml", "buffer": broken}])
    page.click("#check-submit")
    alert = page.locator("#check-alert")
    alert.wait_for()
    text = alert.inner_text()
    assert expected.json()["detail"] in text and "Erreur" in text
    assert "Traceback" not in text
    assert page.locator(".results").count() == 0
    shot(page, "desktop-check-error")


def test_pasted_yaml_is_checked_too(check_page, bare_live_server):
    text = EXAMPLE_YAML.read_text(encoding="utf-8")
    expected = api(bare_live_server, "POST", "/api/check", content=text.encode(), headers={"Content-Type": "application/yaml"}).json()
    page = check_page(DESKTOP)
    page.fill("#contract-text", text)
    page.click("#check-submit")
    page.locator(".check-summary").wait_for()
    assert page.locator(".results tbody tr").count() == len(expected["results"])


def test_the_chat_works_at_360_px(page_at):
    page = page_at(MOBILE)
    assert no_horizontal_scroll(page)
    shot(page, "mobile-home")
    turn = ask(page, ZFE_QUESTION)
    assert turn.locator(".badge").is_visible()
    assert no_horizontal_scroll(page)
    shot(page, "mobile-answer", full_page=True)
    turn.locator(".answer__text .cite").first.click()
    page.locator("#source-panel .excerpt__line--cited").first.wait_for()
    box = page.locator("#source-panel").bounding_box()
    assert box["x"] == 0 and box["width"] == MOBILE["width"]  # the panel takes the whole screen
    shot(page, "mobile-citation")
    page.click("#source-close")
    assert page.locator("#source-panel").is_hidden()


def test_the_contract_check_works_at_360_px(check_page):
    page = check_page(MOBILE)
    page.set_input_files("#contract-file", str(EXAMPLE_YAML))
    page.click("#check-submit")
    page.locator(".check-summary").wait_for()
    assert no_horizontal_scroll(page)
    # Each result becomes a card whose cells are labelled, since the table header is hidden.
    first_cell = page.locator(".results tbody tr").first.locator("td").first
    assert page.evaluate("(td) => getComputedStyle(td, '::before').content", first_cell.element_handle()) == '"Verdict"'
    shot(page, "mobile-check", full_page=True)


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
        page.fill("#api-key", "cle-de-test-navigateur")
        page.press("#api-key", "Enter")
        page.click("#check-submit")
        page.locator(".check-summary").wait_for()
        assert alert.is_hidden()
