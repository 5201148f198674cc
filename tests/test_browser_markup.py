"""The corpus's markup as the page shows it: every line of every document rendered by api/static/markup.js
in chromium, footnote calls linking to their notes, and no way for corpus or server text to inject HTML."""

from __future__ import annotations

import re

import pytest

try:  # tests/ as a package or as a plain folder on sys.path
    from .api_fixtures import *  # noqa: F401,F403
    from .browser_support import *  # noqa: F401,F403
    from .browser_support import RAW_MARKUP
except ImportError:
    from api_fixtures import *  # noqa: F401,F403
    from browser_support import *  # noqa: F401,F403
    from browser_support import RAW_MARKUP

pytestmark = pytest.mark.browser

# The elements markup.js may create; anything else would be markup leaking through as HTML.
ALLOWED = {"EM", "STRONG", "SUP", "SUB", "A", "SPAN", "BR", "MARK"}

def without_markup(line: str) -> str:
    line = re.sub(r"<((?:https?://|mailto:)[^<>\s]+)>", r"\1", line)  # autolinks show their address
    line = re.sub(r"</?[a-zA-Z][a-zA-Z0-9]*\b[^<>]*>", "", line)
    return re.sub(r"\]\([^()\s]*\)", "]", line)  # a link shows its text, not its target


def letters(text: str) -> str:
    """What must survive rendering: everything but spaces, stars, brackets, backslashes, bullets, dashes."""
    return re.sub(r"[\s*\\\[\]#•|-]", "", text)


RENDER_ALL = """async (docs) => {
  const out = {};
  for (const id of docs) {
    const lines = [];
    for (let start = 1; ; start += 500) {
      const r = await fetch(`/api/documents/${id}?start=${start}&end=${start + 499}`).then(r => r.json());
      lines.push(...r.lines);
      if (r.end >= r.total_lines) break;
    }
    const tags = {};
    const texts = lines.map(line => {
      const div = document.createElement("div");
      div.appendChild(PacteMarkup.render(line.text));
      div.querySelectorAll("*").forEach(e => { tags[e.tagName] = (tags[e.tagName] || 0) + 1; });
      return [line.number, div.textContent];
    });
    out[id] = {texts, tags};
  }
  return out;
}"""


def test_every_line_of_the_corpus_renders_without_raw_markup(open_page, bare_live_server, corpus):
    page = open_page(bare_live_server, DESKTOP)
    rendered = page.evaluate(RENDER_ALL, list(corpus))
    for doc_id, doc in corpus.items():
        texts, tags = rendered[doc_id]["texts"], rendered[doc_id]["tags"]
        assert len(texts) == len(doc.lines)
        leaks = [(n, t[:160]) for n, t in texts if RAW_MARKUP.search(t)]
        assert not leaks, f"{doc_id} : {leaks[:5]}"
        assert set(tags) <= ALLOWED, tags
        # Words are never lost: the rendered line keeps every letter of the line without its markup.
        for n, text in texts:
            assert letters(text) == letters(without_markup(doc.lines[n - 1])), (doc_id, n)
    instruction = rendered["instruction-2023-168"]["tags"]
    assert instruction["EM"] and instruction["STRONG"] and instruction["SUP"] and instruction["A"]


@pytest.mark.parametrize("line, html", [
    ("**I. Cadrage des actions****a. Thématiques**",
     "<strong>I. Cadrage des actions</strong><br><strong>a. Thématiques</strong>"),
    ("<i>Nombre d'élèves en REP</i>", "<em>Nombre d'élèves en REP</em>"),
    ("la loi MAPTAM<sup>1</sup>, la communauté", 'la loi MAPTAM<sup class="md-note">1</sup>, la communauté'),
    ("le 1<sup>er</sup> janvier", "le 1<sup>er</sup> janvier"),
    ("<sup>2</sup> Loi n° 2014-58", '<sup class="md-notedef">2</sup>\u00a0Loi n° 2014-58'),
    ("- **La pluriannualité** : 4 ans", '<span class="md-bullet">•\u00a0</span><strong>La pluriannualité</strong> : 4 ans'),
    (" **Merci pour votre attention", " <strong>Merci pour votre attention</strong>"),
    ("pour toute question**", "<strong>pour toute question</strong>"),
    ("Objectifs* et 4 000*", "Objectifs* et 4 000*"),  # asterisk notes of the Pas-de-Calais text stay
    ("[les sessions \\(SX24H\\)](#) et [écrire](mailto:a@b.fr)",
     '<span class="md-link">les sessions (SX24H)</span> et <a href="mailto:a@b.fr" rel="noopener noreferrer">écrire</a>'),
    ("<ul style=\"list-style-type: none\">- un- deux</ul>",
     '<span class="md-bullet">•\u00a0</span>un<br><span class="md-bullet">•\u00a0</span>deux'),
    ("<p>a</p> <p>b</p>", "a<br>b"),
    ("\\* \\* \\*", "* * *"),
])
def test_markup_constructs_become_their_elements(open_page, bare_live_server, line, html):
    page = open_page(bare_live_server, DESKTOP)
    got = page.evaluate("(line) => { const d = document.createElement('div'); d.appendChild(PacteMarkup.render(line)); return d.innerHTML; }", line)
    assert got == html.replace("\u00a0", "&nbsp;")  # innerHTML writes a no-break space as &nbsp;


HOSTILE = [
    '<img src=x onerror="window.__pwned=1">',
    "<script>window.__pwned=1</script>",
    '<a href="javascript:window.__pwned=1">clic</a>',
    "[clic](javascript:window.__pwned=1)",
    '<svg onload="window.__pwned=1"></svg>**gras**',
    '<iframe src="//example.org"></iframe>',
]


def test_corpus_and_server_text_can_never_inject_html(page_at):
    """Markup in an answer, a quote, a section title or a suggestion is rendered from the whitelist or
    dropped: no element outside it, no script, no javascript: link."""
    page = page_at(DESKTOP)
    rendered = page.evaluate(
        "(lines) => lines.map(l => { const d = document.createElement('div'); d.appendChild(PacteMarkup.render(l));"
        " return [d.innerHTML, Array.from(d.querySelectorAll('*')).map(e => e.tagName)]; })", HOSTILE)
    for (html, tags), line in zip(rendered, HOSTILE):
        assert set(tags) <= ALLOWED, (line, html)
        assert "javascript:" not in html and "onerror" not in html and "onload" not in html, html

    def handle(route):
        response = route.fetch()
        data = response.json()
        hostile = " ".join(HOSTILE)
        data["answer"] = hostile + " " + data["answer"]
        for c in data["citations"]:
            c["quote"] = hostile
            c["section_path"] = [hostile]
        route.fulfill(response=response, json=data)

    page.route("**/api/ask", handle)
    turn = ask(page, ZFE_QUESTION)
    turn.locator(".answer__text .cite").first.click()
    page.locator("#source-panel .excerpt__line").first.wait_for()
    counts = page.evaluate("['img','script','svg','iframe'].map(t => document.querySelectorAll(`main ${t}, aside ${t}`).length)")
    assert counts == [0, 0, 0, 0]
    assert page.evaluate("window.__pwned === undefined")
    assert page.locator("a[href^='javascript']").count() == 0


def test_a_footnote_call_links_to_its_note(page_at, corpus):
    doc = corpus["instruction-2023-168"]
    call = next(n for n, line in enumerate(doc.lines, 1) if line.startswith("- **Accès aux droits**<sup>3</sup>"))
    note = next(n for n in range(call + 1, call + 20) if doc.lines[n - 1].startswith("<sup>3</sup>"))
    page = page_at(DESKTOP)
    page.evaluate("([line]) => Pacte.openSource({kind: 'citation', doc_id: 'instruction-2023-168', line_start: line, line_end: line, quote: ''}, null)", [call])
    panel = page.locator("#source-panel")
    link = panel.locator(f".excerpt__line[data-line='{call}'] .note-call")
    link.wait_for()
    page.locator(f"#source-panel .note-call[href='#src-line-{note}']").wait_for()
    assert link.get_attribute("aria-label") == "Note 3" and link.inner_text() == "3"
    assert panel.locator(f".excerpt__line[data-line='{call}'] strong").inner_text() == "Accès aux droits"
    link.click()
    assert page.evaluate("document.activeElement.id") == f"src-line-{note}"
    check_accessibility(page, "footnote")
    shot(page, "desktop-footnote")


def test_a_note_below_the_excerpt_is_fetched_and_shown_under_it(page_at, corpus):
    doc = corpus["instruction-2023-168"]
    call = next(n for n, line in enumerate(doc.lines, 1) if "MAPTAM<sup>1</sup>" in line)
    note = next(n for n in range(call + 1, call + 150) if doc.lines[n - 1].startswith("<sup>1</sup>"))
    assert note > call + 4 + 4  # outside the cited line and its context
    page = page_at(DESKTOP)
    page.evaluate("([line]) => Pacte.openSource({kind: 'citation', doc_id: 'instruction-2023-168', line_start: line, line_end: line, quote: ''}, null)", [call])
    notes = page.locator("#source-panel .source__notes")
    notes.wait_for()
    assert notes.locator(f".excerpt__line[data-line='{note}']").count() == 1
    assert "Loi n° 2014-58" in notes.inner_text()
    assert page.locator("#source-panel .note-call").first.get_attribute("href") == f"#src-line-{note}"


def test_a_note_call_in_a_quote_opens_the_note(page_at, corpus):
    doc = corpus["instruction-2023-168"]
    call = next(n for n, line in enumerate(doc.lines, 1) if line.startswith("- **Accès aux droits**<sup>3</sup>"))
    note = next(n for n in range(call + 1, call + 20) if doc.lines[n - 1].startswith("<sup>3</sup>"))
    page = page_at(DESKTOP)

    def handle(route):
        response = route.fetch()
        data = response.json()
        c = data["citations"][0]
        c.update(doc_id="instruction-2023-168", line_start=call, line_end=call, quote=doc.lines[call - 1])
        route.fulfill(response=response, json=data)

    page.route("**/api/ask", handle)
    turn = ask(page, ZFE_QUESTION)
    quote = turn.locator(".source-item__quote").first
    assert not RAW_MARKUP.search(quote.inner_text())
    assert quote.locator("strong").inner_text() == "Accès aux droits"
    quote.locator(".note-call").click()
    page.locator(f"#source-panel .note-call[href='#src-line-{note}']").wait_for()
    page.wait_for_function(f"document.activeElement && document.activeElement.id === 'src-line-{note}'")
    shot(page, "desktop-quote-note")
