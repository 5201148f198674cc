"""Acronyms of the corpus and their long forms, taken from where the corpus defines them, used to expand queries.

Two definition shapes are found: "long form (ACRO)" and "ACRO (long form)". The long form is accepted only when
the initials of its significant words spell the acronym (Schwartz & Hearst style), so "(2024)" or "(cf. supra)"
never become entries. Acronyms the corpus uses without defining come from assistant/data/glossary_extra.yaml,
marked as such.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path

import yaml

from .lexical import strip_accents
from .schema import Document

EXTRA_FILE = Path(__file__).parent / "data" / "glossary_extra.yaml"

_ACRO = r"[A-Z][A-Z0-9]{1,9}\+?"
_LONG_THEN_ACRO = re.compile(r"([^()\n]{3,160}?)\s*\((" + _ACRO + r")\)")
_ACRO_THEN_LONG = re.compile(r"\b(" + _ACRO + r")\s*\(([^()\n]{5,120})\)")
_PARENTHESIS = re.compile(r"\([^()\n]")  # both shapes need one: lines without are skipped (the scan is slow)
_MINOR = {"de", "du", "des", "d", "la", "le", "les", "l", "et", "a", "au", "aux", "pour", "en", "sur", "par", "à"}


@dataclass(frozen=True)
class GlossaryEntry:
    acronym: str
    long_form: str
    doc_id: str | None  # None for curated entries
    line: int | None


def _words(text: str) -> list[str]:
    return re.findall(r"[\w’']+", text)


def _core(word: str) -> str:
    """Lower-case, accent-free word without its elided article (d'appui -> appui)."""
    return re.sub(r"^(?:[dlnsjmtc]|qu)['’]", "", strip_accents(word).lower())


def _spells(letters: str, words: list[str]) -> bool:
    """Do the words spell the acronym? Letters match word initials in order (minor words may be skipped, other
    words too), and a letter may also come from inside the word matched by the previous letter (CCAPEX: eXpulsions)."""
    cores = [_core(w) for w in words]
    if not cores or cores[0] in _MINOR or cores[0][:1] != letters[:1]:
        return False

    def match(li: int, wi: int, pos: int) -> bool:
        if li == len(letters):
            return wi == len(cores) - 1  # the long form ends on the last matched word
        letter = letters[li]
        inside = cores[wi].find(letter, pos + 1)
        if inside != -1 and match(li + 1, wi, inside):
            return True
        for nxt in range(wi + 1, len(cores)):
            if cores[nxt] not in _MINOR and cores[nxt][:1] == letter and match(li + 1, nxt, 0):
                return True
        return False

    return match(1, 0, 0)


def _tidy(long_form: str) -> str:
    """Drop a leading elided article and a glued footnote number ("l'aide ... mobilités9")."""
    long_form = re.sub(r"^(?:[dlLD]|qu)['’]", "", long_form.replace("’", "'"))
    return re.sub(r"(?<=[^\W\d])\d+$", "", long_form)


def _letters(acronym: str) -> str:
    return "".join(c for c in strip_accents(acronym).lower() if c.isalpha())


def _shortest_long_form(acronym: str, before: str) -> str | None:
    """The shortest tail of `before` whose words spell the acronym."""
    words = _words(before)
    letters = _letters(acronym)
    for size in range(1, min(len(words), len(letters) * 3 + 4) + 1):
        if _spells(letters, words[-size:]):
            return _tidy(" ".join(words[-size:]))
    return None


def extract_glossary(documents: dict[str, Document]) -> dict[str, GlossaryEntry]:
    entries: dict[str, GlossaryEntry] = {}
    for doc in documents.values():
        previous = ""
        for number, line in enumerate(doc.lines, start=1):
            plain = re.sub(r"<[^>]+>|\*+", "", line)
            if not _PARENTHESIS.search(plain):
                previous = plain
                continue
            # Hard-wrapped text: the long form may start on the previous line.
            for match in _LONG_THEN_ACRO.finditer(previous + " " + plain):
                acronym = match.group(2)
                long_form = _shortest_long_form(acronym, match.group(1))
                if long_form and acronym not in entries:
                    entries[acronym] = GlossaryEntry(acronym, long_form, doc.doc_id, number)
            for match in _ACRO_THEN_LONG.finditer(plain):
                acronym, long_form = match.group(1), match.group(2).strip()
                if acronym not in entries and _spells(_letters(acronym), _words(long_form)):
                    entries[acronym] = GlossaryEntry(acronym, long_form, doc.doc_id, number)
            previous = plain
    for acronym, long_form in (yaml.safe_load(EXTRA_FILE.read_text(encoding="utf-8")) or {}).items():
        entries.setdefault(acronym, GlossaryEntry(acronym, long_form, None, None))
    return entries


def expand_query(query: str, glossary: dict[str, GlossaryEntry]) -> str:
    """Append long forms of acronyms in the query, and acronyms whose long form the query spells out."""
    additions = []
    folded_query = strip_accents(query).lower()
    found = _acronyms_in(query, tuple(glossary))
    for acronym, entry in glossary.items():
        if acronym.rstrip("+") in found:
            additions.append(entry.long_form)
        elif len(entry.long_form) > 12 and strip_accents(entry.long_form).lower() in folded_query:
            additions.append(acronym)
    return query if not additions else query + " (" + " ; ".join(additions) + ")"


@lru_cache(maxsize=8)
def _acronym_matcher(acronyms: tuple[str, ...]) -> tuple[re.Pattern, dict[str, str]]:
    """One pattern for every acronym of the glossary (ninety patterns per question were slow), and each
    acronym's spelling by its lower-case form."""
    bare = {a.rstrip("+").lower(): a.rstrip("+") for a in acronyms}
    alternatives = "|".join(re.escape(b) for b in sorted(bare.values(), key=len, reverse=True))
    return re.compile(r"(?<![\w])(" + alternatives + r")(?![\w])", re.IGNORECASE), bare


def _acronyms_in(query: str, acronyms: tuple[str, ...]) -> set[str]:
    """The acronyms the query uses; those of three letters or fewer only as written ("CAF", not "caf")."""
    pattern, spelling = _acronym_matcher(acronyms)
    out = set()
    for match in pattern.finditer(query):
        canonical = spelling.get(match.group(1).lower())
        if canonical and (len(canonical) > 3 or match.group(1) == canonical):
            out.add(canonical)
    return out
