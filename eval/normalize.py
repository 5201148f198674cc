"""Normalisation of French text for key-fact matching.

A key fact such as "1 000 €" must be found in an answer that writes "1000 euros" or "1 000€", and
"70 %" in one that writes "70 pour cent". Both sides go through the same `normalize_text`, then
`contains_fact` looks for the normalised fact inside the normalised answer.

The steps, in order (each one is tested in tests/test_eval_normalize.py):
0. HTML tags and markdown emphasis removed ("1<sup>er</sup>" -> "1er", "**axe 4**" -> "axe 4"),
   as the corpus quotes them.
1. NFKC (non-breaking and narrow no-break spaces become plain spaces, "ﬁ" ligatures split),
   ligatures œ/æ spelled out, case folded, accents removed.
2. Apostrophes (’ ‘ ʼ ´ `) become "'", quotation marks (« » “ ” „) become '"', dashes and
   hyphens (‐ ‑ ‒ – — −) become "-"; a hyphen between two letters becomes a space
   ("Pas-de-Calais" = "pas de calais").
3. Whitespace collapsed.
4. Numbers: French digit grouping removed ("1 000 000" -> "1000000"); a decimal point becomes a
   decimal comma ("1.5" -> "1,5").
5. Units: "euro(s)", "eur" -> "€", "pour cent" / "pourcent" -> "%", and the unit is glued to the
   number before it ("70 %" -> "70%", "1000 €" -> "1000€").
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ´`′"})
_QUOTES = str.maketrans({c: '"' for c in "«»“”„‟″"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})

_WS = re.compile(r"\s+")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_LETTER_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
# 1 to 3 digits followed by groups of exactly 3 digits separated by one space: "1 000", "12 500 000".
# The look-arounds keep "2024 1 000" from being read as one number.
_DIGIT_GROUPS = re.compile(r"(?<![\d,])\d{1,3}(?: \d{3})+(?![\d])")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_EURO_WORD = re.compile(r"(?:(?<=\d)|\b)(?:euros?|eur)\b")
_PERCENT_WORD = re.compile(r"\bpour ?cent\b")
_UNIT_GAP = re.compile(r"(?<=\d) (?=[€%])")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize_text(text: str) -> str:
    """The matching form of a French text (see the module docstring for the steps)."""
    s = _HTML_TAG.sub("", text or "").replace("*", "")
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    s = _strip_accents(s.casefold())
    s = s.translate(_APOSTROPHES).translate(_QUOTES).translate(_DASHES)
    s = _LETTER_HYPHEN.sub(" ", s)
    s = _WS.sub(" ", s).strip()
    s = _DIGIT_GROUPS.sub(lambda m: m.group(0).replace(" ", ""), s)
    s = _DECIMAL_POINT.sub(",", s)
    s = _EURO_WORD.sub("€", s)
    s = _PERCENT_WORD.sub("%", s)
    s = _UNIT_GAP.sub("", s)
    return s


def _fact_pattern(fact_norm: str) -> re.Pattern:
    # A fact that starts with a letter or digit must start a word ("70%" is not in "170%",
    # "eligible" is not in "ineligible"); one that ends with a digit must end the number
    # ("1000" is not in "10000"). A trailing letter may be followed by more letters, so that a
    # singular fact matches a plural answer ("indicateur" in "indicateurs").
    head = r"(?<![0-9a-z])" if fact_norm[:1].isalnum() else ""
    tail = r"(?![0-9])" if fact_norm[-1:].isdigit() else ""
    return re.compile(head + re.escape(fact_norm) + tail)


def contains_fact(text: str, fact: str) -> bool:
    """True when the normalised `fact` occurs in the normalised `text` (empty facts never match)."""
    fact_norm = normalize_text(fact)
    if not fact_norm:
        return False
    return _fact_pattern(fact_norm).search(normalize_text(text)) is not None


def collapse_whitespace(text: str) -> str:
    """Whitespace runs (including non-breaking and narrow spaces) -> one space, trimmed.

    This is the only transformation allowed when checking that a quote is verbatim.
    """
    return _WS.sub(" ", text or "").strip()
