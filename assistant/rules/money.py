"""Amounts as integer cents, parsed from numbers or French-formatted text, and printed the French way.

Integer cents keep every comparison exact: a rule such as "State share <= 50 %" is decided by
cross-multiplication on integers, never by float rounding.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from ..framework import french_number as fmt_number
from ..framework import group_digits as _group

# Spaces used as thousands separators in French documents and spreadsheets.
_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009\t"), None)
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_CURRENCY = re.compile(r"(€|eur(os?)?)$", re.IGNORECASE)


class AmountError(ValueError):
    """A value that is not a valid amount; the message is French and names the value."""


def _clip(text: str, limit: int = 40) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_decimal(value) -> Decimal:
    """A number from int/float/Decimal or French text ("1 236 000,00 €", "0,5"); AmountError otherwise."""
    if isinstance(value, bool):  # YAML `yes`/`true`: a bool is an int in Python, never an amount
        raise AmountError(f"nombre attendu, pas un booléen ({str(value).lower()})")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AmountError(f"nombre fini attendu ({value})")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise AmountError(f"nombre fini attendu ({value})")
        return value
    if isinstance(value, str):
        text = value.translate(_SPACES)
        text = _CURRENCY.sub("", text)
        if "," in text:
            # French notation: the comma is the decimal mark, dots (if any) group thousands.
            text = text.replace(".", "").replace(",", ".", 1)
        if not _NUMBER.match(text):
            raise AmountError(f"montant non numérique (« {_clip(value)} »)")
        return Decimal(text)
    raise AmountError(f"nombre attendu ({type(value).__name__})")


def to_cents(value) -> int:
    """Non-negative amount in euros -> integer cents, rounded half-up to the cent."""
    if type(value) is int:  # the common case, kept cheap: a 500-action file has thousands of amounts
        if value < 0:
            raise AmountError(f"montant négatif ({fmt_eur(value * 100)})")
        return value * 100
    amount = parse_decimal(value)
    if amount < 0:
        raise AmountError(f"montant négatif ({fmt_eur_decimal(amount)})")
    try:
        return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation:
        raise AmountError(f"montant hors limites ({_clip(str(value))})") from None


def fmt_eur_decimal(amount: Decimal) -> str:
    """'-5 €', '1 236 000 €', '1,50 €' (cents shown only when not whole euros)."""
    sign = "-" if amount < 0 else ""
    amount = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    euros, cents = divmod(int(amount * 100), 100)
    text = _group(str(euros))
    if cents:
        text += f",{cents:02d}"
    return f"{sign}{text} €"


def fmt_eur(cents: int) -> str:
    """Integer cents -> French euros: 5100000 -> '51 000 €', 150 -> '1,50 €', -500 -> '-5 €'."""
    sign = "-" if cents < 0 else ""
    euros_, rest = divmod(abs(cents), 100)
    text = _group(str(euros_))
    return f"{sign}{text},{rest:02d} €" if rest else f"{sign}{text} €"


def euros(cents: int) -> int | float:
    """Cents -> euros for JSON `values`: an int when whole, else a float with 2 decimals."""
    whole, rest = divmod(cents, 100)
    return whole if rest == 0 else round(cents / 100, 2)


def fmt_pct(part: int, whole: int, threshold: Fraction | None = None) -> str:
    """part/whole as a French percentage with one decimal ('51,0 %').

    When the rounded figure would read exactly like the threshold it is compared with
    (50,0 % against 50 %), more decimals are shown so the message never looks self-contradictory.
    Integer arithmetic only (round half up): the same input always prints the same text.
    """
    if whole == 0:
        return "— %"
    for decimals in (1, 2, 3, 4):
        scale = 10**decimals
        shown = (2 * part * 100 * scale + whole) // (2 * whole)  # round half up of part/whole*100*scale
        if threshold is None or part * 100 * threshold.denominator == whole * threshold.numerator:
            break
        if Fraction(shown, scale) != threshold:
            break
    units, frac = divmod(shown, scale)
    return f"{_group(str(units))},{frac:0{decimals}d} %"


def pct_value(part: int, whole: int) -> float | None:
    """part/whole in percent for JSON `values`, rounded to 2 decimals."""
    if whole == 0:
        return None
    return round(part * 100 / whole, 2)


def fmt_threshold(pct: Fraction) -> str:
    """A threshold from the parameters: Fraction(20) -> '20 %'."""
    return f"{fmt_number(Decimal(pct.numerator) / Decimal(pct.denominator))} %"


def exceeds(part: int, whole: int, pct: Fraction) -> bool:
    """part > pct % of whole, decided exactly on integers."""
    return part * 100 * pct.denominator > whole * pct.numerator


def below(part: int, whole: int, pct: Fraction) -> bool:
    """part < pct % of whole, decided exactly on integers."""
    return part * 100 * pct.denominator < whole * pct.numerator


def share_cents(whole: int, pct: Fraction) -> int:
    """pct % of whole in cents, rounded down (for messages such as 'socle de 20 % = 134 652 €')."""
    return (whole * pct.numerator) // (100 * pct.denominator)
