"""The documents section of the chat page in Debian's chromium: the corpus list, an upload with its progress
indicator while the corpus is re-indexed, the French error of a refused file, and a removal."""

from __future__ import annotations

import pytest

try:
    from .api_fixtures import LiveServer
    from .test_browser import browser, open_page  # noqa: F401 - the browser fixtures of the chat page tests
    from .test_user_corpus import COMITE, copy_workspace, fresh_corpus
except ImportError:
    from api_fixtures import LiveServer
    from test_browser import browser, open_page  # noqa: F401
    from test_user_corpus import COMITE, copy_workspace, fresh_corpus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from api.app import create_app
    from assistant.index import build_index

    base = fresh_corpus(tmp_path_factory.mktemp("browser-base"))
    build_index(base, progress=False)
    settings = copy_workspace(base, tmp_path_factory.mktemp("browser"))
    with LiveServer(create_app(settings)) as live:
        yield live


def items(page) -> list[str]:
    return page.locator("#documents-list li").evaluate_all("els => els.map(e => e.dataset.docId)")


def test_upload_shows_progress_then_lists_the_document_and_removes_it(open_page, server, tmp_path):
    page = open_page(server)
    page.locator("#documents-list li").nth(2).wait_for()  # (the page's CSP forbids wait_for_function's eval)
    assert items(page) == ["instruction-2023-168", "pas-de-calais-contrat-2024", "bfc-visio-2024-04-11"]
    assert page.locator("#documents-list button").count() == 0  # shipped documents cannot be removed

    path = tmp_path / "comite-val-arlan.md"
    path.write_text(COMITE, encoding="utf-8")
    page.set_input_files("#document-file", str(path))
    assert page.inner_text("#document-file-name") == "comite-val-arlan.md"
    page.fill("#document-territory", "Val d'Arlan")
    page.select_option("#document-kind", "notes")
    page.click("#document-submit")
    page.wait_for_selector("#document-progress", state="visible")  # shown while the server indexes
    assert page.is_disabled("#document-submit")
    page.locator("#documents-list li[data-doc-id=comite-val-arlan]").wait_for()
    assert items(page)[-1] == "comite-val-arlan"
    assert "Document ajouté" in page.inner_text("#document-progress-label")
    assert page.is_hidden("#document-progress") and page.is_enabled("#document-submit")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#documents-list li[data-doc-id=comite-val-arlan] button")
    page.locator("#documents-list li[data-doc-id=comite-val-arlan]").wait_for(state="detached")
    assert len(items(page)) == 3
    assert "Document retiré" in page.inner_text("#document-progress-label")


def test_a_refused_file_shows_the_french_error(open_page, server, tmp_path):
    page = open_page(server)
    path = tmp_path / "coupe.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    page.set_input_files("#document-file", str(path))
    page.click("#document-submit")
    alert = page.locator("#document-alert")
    alert.wait_for(state="visible")
    assert "n'est pas un PDF lisible" in alert.inner_text()
    assert page.locator("#documents-list li").count() == 3
