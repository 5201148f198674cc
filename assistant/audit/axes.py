"""The axis of each action against the référentiel section it fits, through the eligibility engine.

    checker = AxisChecker(settings)             # loads `Assistant` only when a lookup is not cached
    findings = checker.findings(extraction)

The engine is called through the `Assistant` facade (assistant/answer.py) with the action's own words
(title, volets, public). Its answers are cached on disk (`PACTE_CACHE_DIR`/eligibility-audit.json),
keyed by the description, the collectivity type, the index build and the source of the eligibility
modules, so a second audit of a document does not load the index at all.

A finding is reported only when the engine puts the action on another axis and either a framework rule
about axes decides it (job seekers' mobility goes to axis 2, l. 1138 of the instruction), or none of the
best sections it ranks for the action belongs to the document's axis (tolerances: `axis`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from ..config import Settings
from ..errors import PacteError
from .consistency import Citation, Finding, Tolerances, load_tolerances
from .extract import ExtractedAction, ExtractedContract, Extraction
from .text import collapse

# The modules whose code decides an eligibility verdict: a change in any of them invalidates the cache.
_ENGINE_FILES = ("answer.py", "eligibility.py", "conditions.py", "referentiel.py", "retrieval.py",
                 "lexical.py", "glossary.py", "data/referentiel.yaml")
_PACKAGE = Path(__file__).resolve().parent.parent


def _engine_fingerprint() -> str:
    h = hashlib.sha256()
    for name in _ENGINE_FILES:
        path = _PACKAGE / name
        if path.exists():
            h.update(name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class EligibilityCache:
    """Eligibility answers on disk, one JSON object; written atomically, safe to share between processes."""

    def __init__(self, path: Path, stamp: str):
        self.path = path
        self.stamp = stamp
        self.entries: dict[str, dict] = {}
        self.dirty = False
        self._lock = threading.Lock()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("stamp") == stamp:
                self.entries = data.get("entries", {})
        except (OSError, ValueError):
            pass  # no cache yet, or an unreadable one: rebuilt

    @staticmethod
    def key(description: str, collectivite: str | None) -> str:
        return hashlib.sha256(f"{collectivite or ''}\n{description}".encode()).hexdigest()

    def get(self, description: str, collectivite: str | None) -> dict | None:
        return self.entries.get(self.key(description, collectivite))

    def put(self, description: str, collectivite: str | None, answer: dict) -> None:
        with self._lock:
            self.entries[self.key(description, collectivite)] = answer
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".eligibility-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"stamp": self.stamp, "entries": self.entries}, fh, ensure_ascii=False)
            os.replace(tmp, self.path)
            self.dirty = False
        except OSError:
            pass  # a cache that cannot be written (read-only disk, full disk) only costs time


def _index_stamp(settings: Settings) -> str | None:
    try:
        manifest = json.loads((Path(settings.index_dir) / "current" / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return f"{manifest.get('fingerprint')}-{manifest.get('embedder')}-{manifest.get('version')}"


def description(action: ExtractedAction, limit: int, public: bool = True) -> str:
    """The action in its own words: title, volets, and its public when `public`."""
    parts = [action.intitule.value or ""]
    for label, _, _ in action.volets or []:
        text = label.split(":", 1)[1].strip() if label.lower().startswith(("action", "volet")) and ":" in label else label
        if text and text not in parts:
            parts.append(text)
    if public and action.fiche is not None and action.fiche.public:
        parts.append("Public : " + action.fiche.public)
    text = collapse(". ".join(p.strip(" .") for p in parts if p))
    return text[:limit].rsplit(" ", 1)[0] if len(text) > limit else text


class AxisChecker:
    """Axis findings for the actions of extracted contracts; the eligibility engine is loaded lazily."""

    def __init__(self, settings: Settings | None = None, assistant=None, tolerances: Tolerances | None = None):
        self.settings = settings or Settings.from_env()
        self.tol = tolerances or load_tolerances()
        self._assistant = assistant
        self.notes: list[str] = []
        stamp = _index_stamp(self.settings)
        self.cache = None
        if stamp is not None:
            # One file per cache folder: two indexes of the same corpus and embedder answer alike.
            self.cache = EligibilityCache(Path(self.settings.cache_dir) / "eligibility-audit.json",
                                          f"{stamp}-{_engine_fingerprint()}")
        self.lookups = 0
        self.cached = 0

    def assistant(self):
        if self._assistant is None:
            from ..answer import Assistant
            from ..errors import IndexUnavailable

            try:
                self._assistant = Assistant.load(self.settings)
            except PacteError:
                raise
            except Exception as exc:  # an unusable index must not end the audit with a traceback
                raise IndexUnavailable(f"index illisible ({type(exc).__name__}) ; relancez « pacte index »") from None
        return self._assistant

    def eligibility(self, text: str, collectivite: str | None) -> dict:
        self.lookups += 1
        if self.cache is not None:
            hit = self.cache.get(text, collectivite)
            if hit is not None:
                self.cached += 1
                return hit
        answer = self.assistant().eligibility(text, collectivite)
        kept = {
            "verdict": answer["verdict"],
            "axis": answer["axis"],
            "sections": answer["sections"],
            "citations": answer["citations"],
            "rules": answer.get("signals", {}).get("rules", {}),
            "coverage": answer.get("signals", {}).get("coverage"),
        }
        if self.cache is not None:
            self.cache.put(text, collectivite, kept)
        return kept

    def findings(self, extraction: Extraction) -> list[Finding]:
        out: list[Finding] = []
        try:
            for contract in extraction.contracts:
                out.extend(self._contract(extraction, contract, several=len(extraction.contracts) > 1))
        except PacteError as exc:
            self.notes.append(f"axes non vérifiés par le référentiel : {exc.message}")
            return []
        finally:
            if self.cache is not None:
                self.cache.save()
        return out

    def _contract(self, extraction: Extraction, contract: ExtractedContract, several: bool) -> list[Finding]:
        from ..conditions import rule as framework_rule

        doc = extraction.doc
        out = []
        collectivite = contract.type.value if contract.type.value in ("departement", "metropole") else None
        for action in contract.actions:
            axis = action.axe.value
            if axis is None:
                continue
            text = description(action, self.tol.axis_max_chars)
            if len(text) < 8:
                continue
            answer = self.eligibility(text, collectivite)
            found = answer.get("axis")
            if answer["verdict"] not in ("eligible", "eligible_with_conditions") or found is None or found == axis:
                continue
            sections = answer["sections"][: self.tol.axis_top_sections]
            rules = []
            for rule_id in answer.get("rules", {}):
                try:
                    r = framework_rule(rule_id)
                except (KeyError, PacteError):
                    continue
                if found in r.axes and r.axes:
                    rules.append(r)
            decided = bool(rules)
            semantic = all(s["axis"] != axis for s in sections) and (answer.get("coverage") or 0) >= self.tol.axis_min_coverage
            if semantic and not decided:
                # Without a rule, the engine must say the same from the action's words alone (without its public).
                bare = description(action, self.tol.axis_max_chars, public=False)
                if bare != text:
                    other = self.eligibility(bare, collectivite)
                    semantic = other.get("axis") == found and all(
                        s["axis"] != axis for s in other["sections"][: self.tol.axis_top_sections])
            if not (decided or semantic):
                continue
            place = action.axe.place or (action.row and _place(action.row.lines)) or None
            citations = []
            if place is not None:
                citations.append(_cite(doc, place.line_start, place.line_end))
            if action.intitule.place is not None and (place is None or action.intitule.place.line_start != place.line_start):
                citations.append(_cite(doc, action.intitule.place.line_start, action.intitule.place.line_end))
            for c in answer.get("citations", [])[:2]:
                citations.append(Citation(c["doc_id"], c["line_start"], c["line_end"], c["quote"]))
            section = sections[0]["section_path"][-1] if sections else ""
            why = (f" ; règle du cadre : {rules[0].label}" if decided else
                   f" ; aucune des {len(sections)} sections les plus proches n'est de l'axe {axis}")
            out.append(Finding(
                "axis_mismatch", "warning",
                f"L'action {action.id} est inscrite sur l'axe {axis} ; d'après le référentiel, elle relève de l'axe "
                f"{found} ({section}){why}.",
                axis, found, citations, action.id, contract.nom.value if several else None,
            ))
        return out


def _place(lines):
    from .extract import Place

    return Place.of(lines)


def _cite(doc, a: int, b: int) -> Citation:
    text = collapse(doc.span_text(a, b))
    if len(text) > 300:
        text = text[:300].rsplit(" ", 1)[0]
    return Citation(doc.doc_id, a, b, text)
