"""The "Audit" tab of the chat page (api/static/audit.js) in Debian's chromium, against a real uvicorn
without an index (the audit needs none when the axis check is off). What the page shows is compared with
what the API answers."""

from __future__ import annotations

import httpx
import pytest

from assistant.config import PROJECT_ROOT

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .api_fixtures import ARTIFACTS
    from .browser_support import browser  # noqa: F401 - the shared Debian chromium
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from api_fixtures import ARTIFACTS
    from browser_support import browser  # noqa: F401

pytestmark = pytest.mark.browser

PLANTED = PROJECT_ROOT / "eval" / "datasets" / "audit" / "deliberation-haut-verdon-2024.txt"


@pytest.fixture
def audit_page(browser, bare_live_server):
    contexts, errors = [], []

    def open_page(viewport=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="fr-FR")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("request", lambda req: req.url.startswith(bare_live_server.url) or req.url.startswith("data:")
                or errors.append(req.url))
        page.goto(bare_live_server.url + "/#audit")
        page.wait_for_selector("html[data-ready=true]")
        page.locator("#panel-audit").wait_for()
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_audit_tab_opens_from_its_address_and_by_click(audit_page):
    page = audit_page()
    assert page.locator("#tab-audit").get_attribute("aria-selected") == "true"
    page.click("#tab-ask")
    assert page.locator("#panel-audit").is_hidden() and page.locator("#panel-ask").is_visible()
    page.click("#tab-audit")
    assert page.locator("#panel-audit").is_visible() and page.locator("#panel-ask").is_hidden()


def test_a_corpus_contract_shows_each_finding_with_its_places_and_opens_the_document(audit_page, bare_live_server):
    expected = httpx.post(bare_live_server.url + "/api/audit", timeout=60,
                          json={"document": "pas-de-calais-contrat-2024", "axes": False}).json()
    page = audit_page()
    page.locator('#audit-document option[value="pas-de-calais-contrat-2024"]').wait_for(state="attached")
    page.select_option("#audit-document", "pas-de-calais-contrat-2024")
    page.uncheck("#audit-axes")
    page.click("#audit-submit")
    page.locator(".audit-finding").first.wait_for()
    findings = page.locator(".audit-finding")
    assert findings.count() == len(expected["findings"])
    for i, f in enumerate(expected["findings"]):
        item = findings.nth(i)
        assert " ".join(f["message"].split()) in " ".join(item.inner_text().split())
        assert item.locator(".audit-place").count() == len(f["citations"])
    shot(page, "desktop-audit-pas-de-calais")
    page.locator(".audit-place__open").first.click()
    cited = page.locator("#source-panel .excerpt__line--cited")
    cited.first.wait_for()
    first = expected["findings"][0]["citations"][0]
    assert cited.first.get_attribute("data-line") == str(first["line_start"])


def test_an_uploaded_file_is_audited_and_its_lines_shown_from_the_file(audit_page, bare_live_server):
    page = audit_page({"width": 360, "height": 740})
    page.set_input_files("#audit-file", str(PLANTED))
    page.uncheck("#audit-axes")
    page.click("#audit-submit")
    page.locator(".audit-finding").first.wait_for()
    assert page.locator(".audit-finding").count() == 8
    assert "Des chiffres ne concordent pas" in page.inner_text(".check-summary")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator(".audit-place__open").first.click()
    page.locator("#source-panel .excerpt__line--cited").first.wait_for()
    shot(page, "mobile-audit-upload")


def test_a_file_that_is_not_a_contract_shows_the_french_error(audit_page, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("Compte rendu de réunion, sans tableau ni fiche action.\n", encoding="utf-8")
    page = audit_page()
    page.set_input_files("#audit-file", str(note))
    page.click("#audit-submit")
    alert = page.locator("#audit-alert")
    alert.wait_for()
    assert "aucun contrat lisible" in alert.inner_text()
