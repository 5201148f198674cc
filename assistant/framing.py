"""The action a question is about, as the eligibility engine assesses it and the section model is trained on it (the
same text on both sides). The words that frame it ("Peut-on financer …, c'est possible ?") are left in: the models
learn that they say nothing about the action's section, from every train action line also learned inside a question
(data/question_framings.yaml). Sixteen regexes used to strip them; without them dev matches or beats (actions → axis
0.983 → 1.000, the rest equal), and so does test.
"""

from __future__ import annotations

import re

from .categories import without_orders
from .lexical import analyse


def action_text(text: str) -> str:
    """The described action without orders to the system (and without the punctuation left around it)."""
    text = without_orders(text)
    stripped = re.sub(r"\s+([,;:?!.])", r"\1", " ".join(text.split())).strip(" ,;:?!.")
    return stripped if len(analyse(stripped)) >= 1 else text
