"""`pacte check --explain RULE`: a rule, its parameters and the paragraphs it cites, in French."""

from __future__ import annotations

import difflib
import textwrap

from ..errors import InvalidInput, PacteError
from .base import RULES
from .engine import RULE_ORDER
from .parameters import Parameters, Source, load_parameters


_GLUE = (("« ", "«\u00a0"), (" »", "\u00a0»"), (" :", "\u00a0:"), (" ;", "\u00a0;"), (" %", "\u00a0%"),
         (" €", "\u00a0€"), (" ?", "\u00a0?"), ("(l. ", "(l.\u00a0"))


def wrap_fr(text: str, width: int, **kwargs) -> list[str]:
    """textwrap.wrap that never starts a line with « : », « ; », « % », « € » or « » » (French spacing)."""
    for plain, glued in _GLUE:
        text = text.replace(plain, glued)
    return [line.replace("\u00a0", " ") for line in textwrap.wrap(text, width=width, **kwargs)]


def find_rule(rule_id: str):
    rule = RULES.get(rule_id.strip())
    if rule is None:
        close = difflib.get_close_matches(rule_id.strip(), RULE_ORDER, n=1)
        hint = f" ; vouliez-vous dire « {close[0]} » ?" if close else ""
        raise InvalidInput(f"règle inconnue « {rule_id} »{hint} Règles disponibles : {', '.join(RULE_ORDER)}")
    return rule


def _where(source: Source) -> str:
    lines = f"ligne {source.line_start}" if source.line_start == source.line_end else \
        f"lignes {source.line_start}-{source.line_end}"
    return f"{source.doc_id}, {lines}"


def _passage(source: Source, documents: dict | None, width: int) -> list[str]:
    """The cited lines from the corpus (blank lines dropped); the stored quote when the corpus is absent."""
    doc = (documents or {}).get(source.doc_id)
    if doc is None:
        texts = [f"« {source.quote} »"]
    else:
        # Table rows of the corpus are tab-separated: show their cells apart.
        texts = [" | ".join(c.strip() for c in line.split("\t") if c.strip()) if "\t" in line else line
                 for line in doc.lines[source.line_start - 1 : source.line_end] if line.strip()]
    out = []
    for text in texts:
        out.extend(wrap_fr(text, width=width - 6, initial_indent="    │ ", subsequent_indent="    │ ")
                   or ["    │"])
    return out


def _load_documents():
    from ..config import Settings
    from ..corpus import load_corpus

    try:
        return load_corpus(Settings.from_env().corpus_dir, verify=False)
    except (PacteError, OSError, UnicodeDecodeError):
        return None  # the quotes stored with the parameters are printed instead


def explain(rule_id: str, params: Parameters | None = None, documents=None, width: int = 100) -> str:
    rule = find_rule(rule_id)
    params = params or load_parameters()
    if documents is None:
        documents = _load_documents()
    lines = [f"Règle {rule.id} — {rule.title}", ""]
    lines += wrap_fr(rule.summary, width=width)
    lines.append("")
    if rule.params:
        lines.append("Paramètres (assistant/data/framework.yaml) :")
        for name in rule.params:
            param = params[name]
            lines += wrap_fr(f"• {name} = {param.text} — {param.label}", width=width - 2,
                                   initial_indent="  ", subsequent_indent="    ")
            lines += wrap_fr(f"source : {_where(param.source)} : « {param.source.quote} »", width=width - 4,
                                   initial_indent="      ", subsequent_indent="      ")
        lines.append("")
    sources: list[Source] = []
    for name in rule.refs + rule.params:
        source = params.ref(name)
        if not any(s.doc_id == source.doc_id and s.line_start <= source.line_start and source.line_end <= s.line_end
                   for s in sources):  # a passage already printed in full
            sources = [s for s in sources if not (s.doc_id == source.doc_id and source.line_start <= s.line_start
                                                  and s.line_end <= source.line_end)] + [source]
    lines.append("Paragraphe(s) cité(s) :")
    for source in sources:
        lines.append(f"  {_where(source)}")
        lines += _passage(source, documents, width)
    if documents is None:
        lines += ["", "(corpus introuvable : seules les citations enregistrées sont affichées)"]
    return "\n".join(lines)


def list_rules() -> str:
    width = max(map(len, RULE_ORDER))
    return "\n".join(f"{rule_id.ljust(width)}  {RULES[rule_id].title}" for rule_id in RULE_ORDER)
