"""Reading amounts, percentages, years and action numbers in French document lines.

Every token keeps its character offsets in the line it was read from, so a citation can quote the
line verbatim. Amounts are integer cents, like everywhere in the rule engine (assistant/rules/money.py).

    >>> [a.cents for a in amounts_in("2024 618 000€ 618 000€  1 236 000€")]
    [61800000, 61800000, 123600000]
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

# A French amount: digit groups separated by a space (or a dot), optional cents after a comma, and a
# currency unit. "M€"/"k€" multiply. The look-behind keeps "2024 618 000 €" from reading "2024 618 000".
_AMOUNT_RE = re.compile(
    r"(?<![\d,.])(?P<int>\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)(?:[,.](?P<dec>\d{1,2}))?(?!\d)"
    r"\s*(?P<unit>M€|k€|K€|€|euros?\b|EUR\b)",
)
# A bare number, for table cells whose column says it holds euros (spreadsheets, markdown tables).
_NUMBER_RE = re.compile(r"^\s*(?P<int>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[,.](?P<dec>\d{1,2}))?\s*(?:€|euros?)?\s*$")
_PERCENT_RE = re.compile(r"(?<![\d,.])(?P<num>\d{1,3}(?:[,.]\d{1,4})?)\s*(?:%|pour\s?cent\b)")
_YEAR_RE = re.compile(r"\b(20[1-4]\d)\b")
# An action number: "1.2", "1,2" (a comma in some PDF tables), at most two digits after the separator.
ACTION_ID_RE = re.compile(r"(?<![\d.,])([1-9])[.,](\d{1,2})(?![\d]|[.,]\d)")

_MULTIPLIERS = {"M€": 1_000_000, "k€": 1_000, "K€": 1_000}
_APOSTROPHES = str.maketrans({c: "'" for c in "’‘ʼ´`"})


@dataclass(frozen=True, slots=True)
class Amount:
    cents: int
    line: int  # 1-based line of the document
    start: int  # character offsets of the amount (unit included) in that line
    end: int
    text: str  # the amount as written


@dataclass(frozen=True, slots=True)
class Percent:
    value: Decimal  # 50 for "50 %"
    decimals: int  # how many decimals were written (the stated precision)
    line: int
    start: int
    end: int
    text: str


def _cents(int_part: str, dec: str | None, unit: str = "€") -> int:
    digits = re.sub(r"[ \u00a0\u202f.]", "", int_part)
    cents = int(digits) * 100 + (int((dec or "0").ljust(2, "0")) if dec else 0)
    return cents * _MULTIPLIERS.get(unit, 1)


def amounts_in(text: str, line: int = 0) -> list[Amount]:
    """The amounts with a currency unit in a line of text."""
    out = []
    for m in _AMOUNT_RE.finditer(text):
        int_part = m["int"]
        # "2.2" is a section number and "1.000" a grouping: a dot inside a number only groups thousands.
        if "." in int_part and not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", int_part):
            continue
        out.append(Amount(_cents(int_part, m["dec"], m["unit"]), line, m.start(), m.end(), m.group(0)))
    return out


def bare_amount(text: str, line: int = 0, offset: int = 0) -> Amount | None:
    """A cell that holds only a number ("618000", "618 000,00", "618 000 €"), read as euros."""
    if text is None:
        return None
    m = _NUMBER_RE.match(str(text))
    if not m:
        return None
    s = str(text)
    lead = len(s) - len(s.lstrip())
    return Amount(_cents(m["int"], m["dec"]), line, offset + lead, offset + len(s.rstrip()), s.strip())


def percents_in(text: str, line: int = 0) -> list[Percent]:
    out = []
    for m in _PERCENT_RE.finditer(text):
        raw = m["num"].replace(",", ".")
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        out.append(Percent(Decimal(raw), decimals, line, m.start(), m.end(), m.group(0)))
    return out


def years_in(text: str) -> list[int]:
    return [int(y) for y in _YEAR_RE.findall(text)]


@lru_cache(maxsize=65536)
def norm(text: str) -> str:
    """Lower case, no accents, straight apostrophes, spaces collapsed: the form vocabularies match."""
    t = unicodedata.normalize("NFKD", str(text).translate(_APOSTROPHES).lower())
    t = "".join(c for c in t if not unicodedata.combining(c))
    return " ".join(t.replace("\u00a0", " ").replace("\u202f", " ").split())


def collapse(text: str) -> str:
    """Whitespace collapsed: the form in which a quote must be found in its cited lines."""
    return " ".join(str(text).split())


def without_amounts(text: str) -> str:
    """A line with its amounts and percentages removed (what is left says what the numbers are)."""
    t = _AMOUNT_RE.sub(" ", text)
    t = _PERCENT_RE.sub(" ", t)
    return collapse(t)


def action_id(match: re.Match) -> str:
    return f"{match.group(1)}.{int(match.group(2))}"
