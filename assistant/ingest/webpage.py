"""HTML -> text with BeautifulSoup (stdlib html.parser underneath; encoding from the BOM, <meta charset> or guessed).

The page's main content (<main> or <article> when there is one) is walked in order: <h1>…<h6> become markdown
headings, paragraphs and other blocks lines of their own, <li> "- " items, table rows tab-separated lines, <br>
a line break, <hr> a `---` line. Scripts, styles, navigation, forms and hidden elements are not content.
"""

from __future__ import annotations

from .errors import UnreadableDocument
from .text import PAGE_BREAK, collapse_spaces, wrap

_SKIP = {"script", "style", "noscript", "template", "svg", "nav", "form", "button", "select", "iframe", "object",
         "canvas", "head", "aside"}
_BLOCKS = {"p", "div", "section", "article", "main", "header", "footer", "blockquote", "address", "figure",
           "figcaption", "dl", "dt", "dd", "ul", "ol", "details", "summary", "caption", "body", "html", "center"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.inline: list[str] = []
        self.prefix = ""

    def text(self, s: str):
        self.inline.append(s)

    def flush(self, blank: bool = True):
        text = collapse_spaces("".join(self.inline))
        self.inline = []
        if text:
            wrapped = wrap(text)
            if self.prefix:
                self.lines += [self.prefix + wrapped[0], *("  " + w for w in wrapped[1:])]
            else:
                self.lines += wrapped
        if blank and (not self.prefix or text):
            self.lines.append("")


def _hidden(tag) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return tag.has_attr("hidden") or tag.get("aria-hidden") == "true" or "display:none" in style


def _walk(node, out: _Writer):
    from bs4 import Comment, NavigableString, Tag

    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            out.text(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _SKIP or _hidden(child):
            continue
        if name in _HEADINGS:
            out.flush()
            text = collapse_spaces(child.get_text(" "))
            if text:
                out.lines += ["", "#" * _HEADINGS[name] + " " + text, ""]
        elif name == "br":
            out.flush(blank=False)
        elif name == "hr":
            out.flush()
            out.lines += ["", PAGE_BREAK, ""]
        elif name == "table":
            out.flush()
            out.lines.append("")
            for row in child.find_all("tr"):
                if row.find_parent("table") is not child:
                    continue  # a nested table's rows are read as its cell's text
                cells = [collapse_spaces(c.get_text(" ")) for c in row.find_all(["td", "th"], recursive=False)]
                if any(cells):
                    out.lines.append("\t".join(cells).rstrip("\t"))
            out.lines.append("")
        elif name == "li":
            out.flush(blank=False)
            saved, out.prefix = out.prefix, "- "
            _walk(child, out)
            out.flush(blank=False)
            out.prefix = saved
        elif name == "pre":
            out.flush()
            out.lines += ["", *child.get_text().split("\n"), ""]
        elif name in _BLOCKS:
            out.flush(blank=not out.prefix)
            _walk(child, out)
            out.flush(blank=not out.prefix)
        else:
            _walk(child, out)


def html_to_lines(data: bytes, name: str) -> tuple[list[str], str]:
    """The converted lines and the page's <title> ("" if none)."""
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(data, "html.parser")
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything it still rejects is not a page
        raise UnreadableDocument(f"Le fichier « {name} » n'est pas une page HTML lisible.") from None
    title = collapse_spaces(soup.title.get_text(" ")) if soup.title else ""
    root = soup.find("main") or soup.find("article") or soup.body or soup
    out = _Writer()
    _walk(root, out)
    out.flush()
    return out.lines, title
