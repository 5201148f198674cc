"""The contract report in a real browser, on the real Pas-de-Calais example in its three formats: the summary
first, what needs attention in French, conforming rules folded, cards on a phone, and the source panel
beside the report rather than over it. The page is compared with what /api/check answers."""

from __future__ import annotations

from collections import Counter

import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .browser_support import *  # noqa: F401,F403
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from browser_support import *  # noqa: F401,F403

pytestmark = pytest.mark.browser

EXAMPLES = [EXAMPLE_YAML, EXAMPLE_YAML.with_suffix(".xlsx"), EXAMPLE_YAML.with_suffix(".csv")]


def upload(page, path):
    page.set_input_files("#contract-file", str(path))
    page.click("#check-submit")
    page.locator(".check-summary").wait_for()


def shown_results(page) -> list[tuple]:
    """(rule, action cell, verdict) of every result row, folded ones included."""
    return page.evaluate(
        "Array.from(document.querySelectorAll('.results tbody tr')).map(tr => "
        "[tr.dataset.rule, tr.querySelector('.results__action').textContent, tr.dataset.verdict])")


def expected_report(server, path):
    return api(server, "POST", "/api/check", files={"file": (path.name, path.read_bytes())}).json()


def test_the_report_puts_what_needs_attention_first(check_page, bare_live_server):
    expected = expected_report(bare_live_server, EXAMPLE_YAML)
    counts = Counter(r["verdict"] for r in expected["results"])
    assert expected["ok"] is True and counts["warning"] == 3 and counts["info"] == 4  # the example's findings
    page = check_page(DESKTOP)
    upload(page, EXAMPLE_YAML)
    summary = page.locator(".check-summary")
    assert summary.get_attribute("data-ok") == "true"
    assert collapse(summary.locator("h2").inner_text()) == "Aucune violation · 3 points à vérifier · 4 informations"
    assert "respecte toutes les règles" not in page.inner_text("#check-result")  # never beside warnings
    assert page.evaluate("document.activeElement.classList.contains('check-summary__title')")
    # One group per verdict, in that order; conforming rules folded.
    groups = page.locator(".report-group")
    assert [groups.nth(i).get_attribute("class").split("--")[-1] for i in range(groups.count())] == ["warning", "info", "ok"]
    assert page.locator(".report-group--warning tbody tr").count() == 3
    assert page.locator(".report-group--info tbody tr").count() == 4
    folded = page.locator(".report-group--ok")
    assert folded.get_attribute("open") is None and page.locator(".report-group--ok tbody tr").first.is_hidden()
    assert "Contrôles conformes (69)" in folded.locator(".report-group__summary").inner_text()
    # French titles first; the code name only in the rule's details.
    row = page.locator(".results tr[data-rule='mobility_job_seekers_axis']")
    assert row.locator(".results__rule-title").inner_text() == expected_title(expected, "mobility_job_seekers_axis")
    assert "mobility_job_seekers_axis" not in row.inner_text()
    row.locator(".results__details summary").click()
    assert "mobility_job_seekers_axis" in row.locator(".results__details").inner_text()
    # The action's number and title, from the contract.
    assert row.locator(".results__action").inner_text() == "Action 4.2 · L'inclusion par une mobilité durable"
    check_accessibility(page, "contract-results")
    shot(page, "desktop-check-pas-de-calais", full_page=True)
    # Every result of the API is on the page, once.
    assert Counter((r, v) for r, _a, v in shown_results(page)) == Counter((r["rule"], r["verdict"]) for r in expected["results"])


def expected_title(report, rule):
    return next(r["rule_title"] for r in report["results"] if r["rule"] == rule)


def test_the_three_formats_of_the_example_give_the_same_report(check_page, bare_live_server):
    page = check_page(DESKTOP)
    seen = []
    for path in EXAMPLES:
        upload(page, path)
        seen.append((collapse(page.locator(".check-summary h2").inner_text()), shown_results(page)))
        assert path.name in page.inner_text(".check-summary")
    assert seen[0] == seen[1] == seen[2]
    assert len(seen[0][1]) == 76


def test_a_rule_s_source_opens_beside_the_report_without_hiding_it(check_page):
    page = check_page(DESKTOP)
    upload(page, EXAMPLE_YAML)
    row = page.locator(".report-group--warning tbody tr").first
    row.locator(".results__source-button").click()
    panel = page.locator("#source-panel")
    panel.locator(".excerpt__line--cited").first.wait_for()
    assert panel.locator(".source__lines").inner_text().startswith("Ligne")
    check_accessibility(page, "contract-source-panel")
    shot(page, "desktop-check-source")
    left = panel.bounding_box()["x"]
    for cell in (".results__message", ".results__source"):
        box = row.locator(cell).bounding_box()
        assert box["x"] + box["width"] <= left, cell  # the finding and its source stay in view
    assert page.evaluate("Array.from(document.querySelectorAll('.table-wrap')).every(w => w.scrollWidth <= w.clientWidth)")


def test_the_report_is_cards_of_at_most_three_screens_at_375_px(check_page):
    page = check_page(MOBILE)
    upload(page, EXAMPLE_YAML.with_suffix(".xlsx"))
    assert no_horizontal_scroll(page)
    first = page.locator(".report-group--warning tbody tr").first
    assert page.evaluate("(tr) => getComputedStyle(tr).display", first.element_handle()) == "flex"  # a card
    assert page.locator(".results thead").first.is_hidden()
    height = page.evaluate("document.getElementById('check-result').getBoundingClientRect().height")
    (ARTIFACTS / "measures").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "measures" / "report-height-375.txt").write_text(f"{height:.0f} px for a {MOBILE['height']} px screen\n")
    assert height <= 3 * MOBILE["height"], height
    check_accessibility(page, "mobile-contract-results")
    shot(page, "mobile-check", full_page=True)
    first.locator(".results__source-button").click()
    page.locator("#source-panel .excerpt__line--cited").first.wait_for()
    check_accessibility(page, "mobile-contract-source-panel")
    shot(page, "mobile-check-source")


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
    check_accessibility(page, "error-contract")
    shot(page, "desktop-check-error")


def test_pasted_yaml_is_checked_too(check_page, bare_live_server):
    text = EXAMPLE_YAML.read_text(encoding="utf-8")
    expected = api(bare_live_server, "POST", "/api/check", content=text.encode(), headers={"Content-Type": "application/yaml"}).json()
    page = check_page(DESKTOP)
    page.fill("#contract-text", text)
    page.click("#check-submit")
    page.locator(".check-summary").wait_for()
    assert page.locator(".results tbody tr").count() == len(expected["results"])


def test_a_violation_is_named_as_such(check_page, bare_live_server):
    broken = EXAMPLE_YAML.read_text(encoding="utf-8").replace(
        "financement: {etat: 618000, collectivite: 618000, autres: {}, total: 1236000}",
        "financement: {etat: 718000, collectivite: 518000, autres: {}, total: 1236000}")
    expected = api(bare_live_server, "POST", "/api/check", content=broken.encode(), headers={"Content-Type": "application/yaml"}).json()
    violations = sum(r["verdict"] == "violation" for r in expected["results"])
    assert violations > 1
    page = check_page(DESKTOP)
    page.fill("#contract-text", broken)
    page.click("#check-submit")
    summary = page.locator(".check-summary")
    summary.wait_for()
    assert collapse(summary.locator("h2").inner_text()).startswith(f"{violations} violations · 3 points à vérifier")
    assert "ne respecte pas" in summary.inner_text()
    assert summary.get_attribute("data-ok") == "false"
    assert page.locator(".report-group--violation tbody tr[data-rule='parity']").count() == 1
    check_accessibility(page, "contract-violation")
