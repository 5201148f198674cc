"""Fixtures and checks shared by the browser tests (test_browser*.py), imported with
`from .browser_support import *`.

- `browser`: Debian's chromium driven by Playwright (never `playwright install`).
- `open_page(server, viewport)`: a fresh French page; the test fails on any JavaScript error and on any
  request that leaves the server. Contexts bypass the page's CSP so that axe-core can be injected
  (test_browser.py checks the CSP itself in a context that does not).
- `check_accessibility(page, state)`: axe-core (npm, node_modules/) on the whole page: any violation fails
  the test; the result is written to test-artifacts/axe/<state>.json.
- `shot(page, name)`: a screenshot in test-artifacts/, after checking that the rendered text shows no raw
  markup (`**`, `<i>`, `<sup>`, `</`…): every screenshot is of a clean page.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest

from assistant.config import PROJECT_ROOT

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import ARTIFACTS
except ImportError:
    from api_fixtures import ARTIFACTS

__all__ = [
    "browser", "open_page", "page_at", "check_page", "check_accessibility", "assert_no_raw_markup", "shot", "api",
    "ask", "collapse", "no_horizontal_scroll", "DESKTOP", "MOBILE", "TIMEOUT_MS", "EXAMPLE_YAML", "ZFE_QUESTION",
    "OUT_OF_SCOPE", "VERDICT_LABELS", "RAW_MARKUP",
]

CHROMIUM = Path(os.environ.get("PACTE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
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
MOBILE = {"width": 375, "height": 667}
TIMEOUT_MS = 30_000
# What the corpus's markup looks like when it is shown instead of rendered.
RAW_MARKUP = re.compile(r"\*\*|</|<(?:i|b|p|sup|sub|ul|li|a|em|strong)\b[^>]*>|\]\(|\\[()*_\[\]]")


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
    """open_page(server, viewport, csp=False) -> a fresh French page on `server`; the test fails on any JS
    error or any request leaving the server. csp=True keeps the page's Content-Security-Policy (no axe)."""
    contexts, errors = [], []

    def open_page(live_server, viewport=DESKTOP, csp=False):
        context = browser.new_context(viewport=viewport, locale="fr-FR", bypass_csp=not csp)
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


def check_accessibility(page, state: str) -> None:
    """axe-core on the whole page as it is now: zero violations, or the test fails listing them."""
    assert AXE.is_file(), f"{AXE} absent : `make axe` (npm ci) installe axe-core"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.map(n => n.target.join(" ") + " — " + n.failureSummary)})),
                    passes: r.passes.length, version: axe.version};
        }"""
    )
    out = ARTIFACTS / "axe"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{state}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    problems = [f"{v['id']} ({v['impact']}) : {v['help']}\n    " + "\n    ".join(v["nodes"][:5]) for v in result["violations"]]
    assert not problems, f"axe-core, état « {state} » :\n" + "\n".join(problems)


def assert_no_raw_markup(page) -> None:
    """The rendered text of the page (source panel included) shows none of the corpus's markup."""
    text = page.evaluate("document.body.innerText")
    found = sorted({m.group(0) for m in RAW_MARKUP.finditer(text)})
    assert not found, f"balisage brut affiché : {found} dans « {text[max(0, text.find(found[0]) - 80):][:200]} »"


def shot(page, name: str, full_page: bool = False) -> None:
    assert_no_raw_markup(page)
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
