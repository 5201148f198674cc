"""Running systems over the gold datasets (`pacte eval run`) and the regression gate (`pacte eval gate`).

Systems:
- "ours": `assistant.answer.Assistant` (ask / eligibility) and `assistant.rules` (contract cases);
- "bm25", "dense": `assistant.retrieval.load_retriever(...).search(query, k=10, mode=...)`;
- "naive": `assistant.baselines.naive_langchain_retriever(...)`, the naive LangChain recipe.
A baseline only retrieves: its answer is the text of its top hit, cited whole, it never abstains and
gives no verdict. All of them write the same documented formats (eval/schemas.py), scored by the
same scorer. These modules are imported lazily, so scoring never loads the index.

Latency is measured here, around each call, after one untimed warm-up call.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path

import yaml

from assistant.facade import __version__
from assistant.facade import PROJECT_ROOT, Settings
from assistant.facade import InvalidInput, PacteError

from . import metrics as m
from .schemas import DATASET_NAMES, DATASETS_DIR, dataset_kind, dataset_path, load_gold
from .scoring import METRICS_BY_KIND, CorpusText, score_file, write_scores

SYSTEMS = ("ours", "bm25", "dense", "naive")
RUNS_DIR = PROJECT_ROOT / "eval" / "runs"
THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yaml"

# Where the four référentiels sit in the instruction (docs/TEAM.md). Only used to give an axis to a
# baseline hit whose chunk carries none.
INSTRUCTION_DOC = "instruction-2023-168"
AXIS_LINES = {1: (229, 404), 2: (405, 531), 3: (532, 1032), 4: (1033, 1263)}


def _plain(obj):
    """A JSON-ready value from whatever a system returns (dict, pydantic model, dataclass, to_dict())."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if hasattr(obj, "to_dict"):
        return _plain(obj.to_dict())
    if is_dataclass(obj) and not isinstance(obj, type):
        return _plain(asdict(obj))
    return obj


def _unavailable(name: str, module: str, exc: Exception) -> PacteError:
    return PacteError(f"Système « {name} » indisponible : le module {module} ne peut pas être chargé ({exc}).")


def _call_with_settings(fn, settings: Settings):
    try:
        return fn(settings)
    except TypeError:
        return fn()


def axis_of_line(doc_id: str, line: int) -> int | None:
    if doc_id != INSTRUCTION_DOC:
        return None
    for axis, (start, end) in AXIS_LINES.items():
        if start <= line <= end:
            return axis
    return None


# --- systems ------------------------------------------------------------------------------------


class OursSystem:
    name = "ours"

    def __init__(self, settings: Settings):
        self.settings = settings
        self._assistant = None
        self.load_s = 0.0

    @property
    def assistant(self):
        if self._assistant is None:
            try:
                from assistant.facade import Assistant
            except ImportError as exc:
                raise _unavailable(self.name, "assistant.answer", exc) from None
            t0 = time.perf_counter()
            self._assistant = Assistant.load(self.settings)
            self.load_s = time.perf_counter() - t0
        return self._assistant

    def question(self, q) -> dict:
        return _plain(self.assistant.ask(q.question, history=None))

    def action(self, a) -> dict:
        return _plain(self.assistant.eligibility(a.description, collectivite=a.collectivite))

    def contract(self, c) -> dict:
        try:
            from assistant.facade import check_contract, load_contract
        except ImportError as exc:
            raise _unavailable(self.name, "assistant.rules", exc) from None
        out = _plain(check_contract(load_contract(PROJECT_ROOT / c.file)))
        if isinstance(out, list):  # a bare list of results
            out = {"ok": not any(r.get("verdict") == "violation" for r in out), "results": out}
        return out


class RetrievalBaseline:
    """BM25 only, dense only (assistant.retrieval) or the naive LangChain recipe (assistant.baselines)."""

    def __init__(self, name: str, settings: Settings):
        self.name = name
        self.settings = settings
        self._retriever = None
        self._corpus: CorpusText | None = None
        self.load_s = 0.0

    @property
    def retriever(self):
        if self._retriever is None:
            t0 = time.perf_counter()
            if self.name == "naive":
                try:
                    from assistant.facade import naive_langchain_retriever
                except ImportError as exc:
                    raise _unavailable(self.name, "assistant.baselines", exc) from None
                self._retriever = _call_with_settings(naive_langchain_retriever, self.settings)
            else:
                try:
                    from assistant.facade import load_retriever
                except ImportError as exc:
                    raise _unavailable(self.name, "assistant.retrieval", exc) from None
                self._retriever = _call_with_settings(load_retriever, self.settings)
            self.load_s = time.perf_counter() - t0
        return self._retriever

    @property
    def corpus(self) -> CorpusText:
        if self._corpus is None:
            self._corpus = CorpusText.load(self.settings.corpus_dir)
        return self._corpus

    def _locate(self, doc_id: str, text: str) -> tuple[int, int] | None:
        """Line span of a chunk given only its text (a LangChain splitter keeps no line numbers)."""
        lines = self.corpus.lines.get(doc_id)
        if not lines or not text.strip():
            return None
        full = "\n".join(lines)
        pos = full.find(text.strip())
        if pos < 0:
            return None
        start = full.count("\n", 0, pos) + 1
        return start, start + text.strip().count("\n")

    def _hit(self, h) -> dict | None:
        axis = getattr(getattr(h, "chunk", None), "axis", None)
        if hasattr(h, "page_content"):  # a LangChain Document
            meta = dict(getattr(h, "metadata", {}) or {})
            d = {"doc_id": meta.get("doc_id"), "section_path": meta.get("section_path") or [],
                 "line_start": meta.get("line_start"), "line_end": meta.get("line_end"),
                 "text": h.page_content, "score": meta.get("score")}
            axis = meta.get("axis", axis)
        else:
            d = _plain(h)
        if not isinstance(d, dict) or not d.get("doc_id"):
            return None
        if not isinstance(d.get("line_start"), int) or not isinstance(d.get("line_end"), int):
            span = self._locate(d["doc_id"], d.get("text") or "")
            if span is None:
                return None
            d["line_start"], d["line_end"] = span
        if isinstance(d.get("section_path"), str):
            d["section_path"] = [p.strip() for p in d["section_path"].split(">") if p.strip()]
        if d.get("score") is not None:
            d["score"] = float(d["score"])
        d["axis"] = axis if axis is not None else axis_of_line(d["doc_id"], d["line_start"])
        return d

    def search(self, query: str) -> list[dict]:
        r = self.retriever
        if self.name in ("bm25", "dense"):
            raw = r.search(query, k=10, mode=self.name)
        elif hasattr(r, "search"):
            raw = r.search(query, k=10)
        else:
            raw = r.invoke(query)
        return [h for h in (self._hit(x) for x in list(raw)[:10]) if h is not None]

    def question(self, q) -> dict:
        hits = self.search(q.question)
        top = hits[0] if hits else None
        citations = []
        if top:
            citations.append({"id": "1", "doc_id": top["doc_id"], "doc_title": None,
                              "section_path": top.get("section_path"), "line_start": top["line_start"],
                              "line_end": top["line_end"], "quote": top.get("text", ""), "score": top.get("score")})
        return {
            "question": q.question, "category": None, "answer": top.get("text", "") if top else "",
            "verdict": None, "abstained": False, "citations": citations,
            "hits": [{k: v for k, v in h.items() if k != "axis"} for h in hits],
        }

    def action(self, a) -> dict:
        hits = self.search(a.description)
        return {
            "verdict": None,
            "sections": [{"axis": h["axis"], "section_path": h.get("section_path"), "doc_id": h["doc_id"],
                          "line_start": h["line_start"], "line_end": h["line_end"], "score": h.get("score")}
                         for h in hits],
            "conditions": [], "citations": [],
        }

    def contract(self, c) -> dict:
        raise InvalidInput(f"Le système « {self.name} » ne fait que de la recherche : il ne vérifie pas de contrats.")


def load_system(name: str, settings: Settings):
    if name == "ours":
        return OursSystem(settings)
    if name in SYSTEMS:
        return RetrievalBaseline(name, settings)
    raise InvalidInput(f"Système inconnu : « {name} » (attendu : {', '.join(SYSTEMS)}).")


# --- running ------------------------------------------------------------------------------------

_CALL = {"dev_questions": "question", "dev_actions": "action", "contract_cases": "contract"}


@dataclass
class RunOutput:
    dir: Path
    kind: str
    system: str
    timings: dict = field(default_factory=dict)
    summary: dict | None = None


def run_system(kind: str, gold: list, system, out_dir: Path, dataset_file: Path | None = None, progress=None) -> RunOutput:
    """Run one system over validated gold items; write answers.jsonl, timings.json and meta.json."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    call = getattr(system, _CALL[kind])
    t_start = time.perf_counter()
    # Only a refused item (InvalidInput, e.g. a question over the length limit) is recorded as an error
    # and scored as a miss; any other PacteError (no index, corrupted corpus…) stops the run.
    if gold:
        try:  # warm-up, untimed: first-call costs (lazy loads, caches) are not latency
            call(gold[0])
        except InvalidInput:
            pass
    latencies, errors = [], 0
    with (out_dir / "answers.jsonl").open("w", encoding="utf-8") as fh:
        for i, item in enumerate(gold):
            t0 = time.perf_counter()
            try:
                rec = call(item)
            except InvalidInput as exc:
                errors += 1
                rec = _error_record(kind, item, exc.message)
            ms = (time.perf_counter() - t0) * 1000
            latencies.append(ms)
            rec = {"id": item.id, **{k: v for k, v in rec.items() if k != "id"}, "latency_ms": round(ms, 3)}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if progress:
                progress(i + 1, len(gold))
    timings = {
        "system": system.name, "dataset": kind, "n": len(gold), "errors": errors,
        "load_s": round(getattr(system, "load_s", 0.0), 3), "total_s": round(time.perf_counter() - t_start, 3),
        "latency_ms": {"p50": m.percentile(latencies, 50), "p95": m.percentile(latencies, 95),
                       "mean": sum(latencies) / len(latencies) if latencies else None,
                       "max": max(latencies) if latencies else None},
    }
    (out_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    meta = {"dataset": kind, "dataset_file": str(dataset_file) if dataset_file else None, "system": system.name,
            "created": dt.datetime.now().isoformat(timespec="seconds"), "pacte_version": __version__}
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return RunOutput(out_dir, kind, system.name, timings)


def _error_record(kind: str, item, message: str) -> dict:
    if kind == "dev_questions":
        return {"question": item.question, "answer": "", "verdict": None, "abstained": False,
                "citations": [], "hits": [], "error": message}
    if kind == "dev_actions":
        return {"verdict": None, "sections": [], "conditions": [], "citations": [], "error": message}
    return {"ok": False, "results": [], "error": message}


def score_run(run: RunOutput, dataset: str, corpus_dir: Path) -> dict:
    result = score_file(run.dir / "answers.jsonl", dataset, corpus_dir, system=run.system)
    run.summary = write_scores(result, run.dir)
    return run.summary


def default_out(label: str) -> Path:
    return RUNS_DIR / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{label}"


def run_dataset(dataset: str, systems: list[str], out_dir: Path, settings: Settings, score: bool = True,
                progress=None) -> list[RunOutput]:
    """`pacte eval run`: every system over one dataset, each in out_dir (or out_dir/SYSTEM when several),
    then scored by the same scorer; the first system's report shows the others beside it."""
    from .report import write_report

    kind, gold = load_gold(dataset)
    runs = []
    for name in systems:
        system = load_system(name, settings)
        target = out_dir / name if len(systems) > 1 else out_dir
        run = run_system(kind, gold, system, target, dataset_path(dataset), progress)
        if score:
            score_run(run, dataset, settings.corpus_dir)
        runs.append(run)
    if score:
        for i, run in enumerate(runs):
            write_report(run.dir, [r.dir for r in runs if r is not run] if i == 0 else [])
    return runs


# --- the regression gate ------------------------------------------------------------------------


@dataclass
class GateRow:
    dataset: str
    metric: str
    label_fr: str
    label_en: str
    value: float | None
    op: str | None  # "min" | "max"; None when the dataset was skipped
    bound: float | None
    status: str  # "ok" | "fail" | "skipped"
    note: str = ""


def load_thresholds(path: Path = THRESHOLDS) -> dict[str, dict[str, tuple[str, float]]]:
    """{dataset: {metric: ("min"|"max", bound)}} from thresholds.yaml, checked against known metrics."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise InvalidInput(f"Fichier de seuils introuvable : {path}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"Fichier de seuils illisible ({path}) : {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} : un dictionnaire jeu -> métrique -> {{min|max: valeur}} est attendu.")
    out: dict[str, dict[str, tuple[str, float]]] = {}
    for kind, metrics in data.items():
        if kind not in DATASET_NAMES:
            raise InvalidInput(f"{path} : jeu inconnu « {kind} » (attendu : {', '.join(DATASET_NAMES)}).")
        known = {d.name for d in METRICS_BY_KIND[dataset_kind(kind)]}
        out[kind] = {}
        for name, rule in (metrics or {}).items():
            if name not in known:
                raise InvalidInput(f"{path} : métrique inconnue « {name} » pour {kind} (connues : {', '.join(sorted(known))}).")
            if not (isinstance(rule, dict) and len(rule) == 1 and next(iter(rule)) in ("min", "max")
                    and isinstance(next(iter(rule.values())), (int, float)) and not isinstance(next(iter(rule.values())), bool)):
                raise InvalidInput(f"{path} : {kind}.{name} doit être {{min: nombre}} ou {{max: nombre}}.")
            op, bound = next(iter(rule.items()))
            out[kind][name] = (op, float(bound))
    return out


def check_thresholds(kind: str, summary: dict, rules: dict[str, tuple[str, float]]) -> list[GateRow]:
    rows = []
    for name, (op, bound) in rules.items():
        mv = summary["metrics"][name]
        v = mv["value"]
        if v is None:
            status, note = "fail", "non calculable"
        else:
            passed = v >= bound if op == "min" else v <= bound
            status, note = ("ok" if passed else "fail"), ""
        rows.append(GateRow(kind, name, mv["label_fr"], mv["label_en"], v, op, bound, status, note))
    return rows


def run_gate(settings: Settings, thresholds: Path = THRESHOLDS, out_dir: Path | None = None,
             from_run: Path | None = None, progress=None, datasets_dir: Path | None = None) -> list[GateRow]:
    """Run our system on every dev set named in the thresholds (or score the answers already in
    FROM_RUN/DATASET/answers.jsonl), write each run's scores and report, and check the thresholds.

    A dataset whose gold file does not exist yet is reported as skipped, not failed."""
    from .report import write_report

    rules = load_thresholds(thresholds)
    # Scores of existing answers are written beside them unless told otherwise.
    out_dir = Path(out_dir) if out_dir else Path(from_run) if from_run is not None else RUNS_DIR / "gate"
    system = None
    rows: list[GateRow] = []
    for name, metrics in rules.items():
        kind = dataset_kind(name)
        gold_file = Path(datasets_dir) / dataset_path(name).relative_to(DATASETS_DIR) if datasets_dir else dataset_path(name)
        skipped_note = None
        if not gold_file.exists():
            skipped_note = f"jeu absent ({gold_file.name})"
        elif from_run is not None and not (Path(from_run) / name / "answers.jsonl").exists():
            skipped_note = f"réponses absentes ({Path(from_run) / name / 'answers.jsonl'})"
        if skipped_note:
            rows += [GateRow(name, n, n, n, None, op, b, "skipped", skipped_note) for n, (op, b) in metrics.items()]
            continue
        if from_run is not None:
            run_dir = Path(from_run) / name
            result = score_file(run_dir / "answers.jsonl", str(gold_file), settings.corpus_dir, system="ours")
            run_dir = out_dir / name
            summary = write_scores(result, run_dir)
        else:
            _kind, gold = load_gold(str(gold_file))
            system = system or load_system("ours", settings)
            run = run_system(kind, gold, system, out_dir / name, gold_file, progress)
            summary = score_run(run, str(gold_file), settings.corpus_dir)
            run_dir = run.dir
        write_report(run_dir)
        rows += check_thresholds(name, summary, metrics)
    return rows
