"""`pacte eval`: run, score, compare, report and gate. Output is French with the English metric names."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from assistant.facade import InvalidInput

from . import errors
from .schemas import DATASET_NAMES


class _EvalGroup(click.Group):
    """The scorer's own input errors (eval/errors.py) become the CLI's: French message, exit 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except errors.InvalidInput as exc:
            raise InvalidInput(exc.message) from None


def _settings():
    from assistant.facade import Settings

    return Settings.from_env()


def _fmt(value, latency: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} ms" if latency else f"{value:.3f}"


def format_summary(summary: dict) -> str:
    """A French/English table of a summary: metric, value, 95 % interval, n."""
    rows = []
    for name, mv in summary["metrics"].items():
        lat = name.startswith("latency")
        lo, hi = mv["ci95"]
        ci = f"[{_fmt(lo, lat)} ; {_fmt(hi, lat)}]" if lo is not None else ""
        rows.append((f"{mv['label_fr']} / {mv['label_en']}", _fmt(mv["value"], lat), ci, str(mv["n"])))
    width = max(len(r[0]) for r in rows) + 2
    head = (f"Jeu / dataset : {summary['dataset']} · système / system : {summary.get('system') or 'non précisé'} · "
            f"{summary['n_answered']}/{summary['n_items']} réponses / answered")
    lines = [head, f"{'Métrique / metric':<{width}}{'valeur':>10}  {'IC 95 %':<22}{'n':>5}"]
    lines += [f"{a:<{width}}{b:>10}  {c:<22}{d:>5}" for a, b, c, d in rows]
    if summary["missing_ids"]:
        lines.append(f"Réponses manquantes (comptées en échec) / missing : {len(summary['missing_ids'])}")
    if summary["unknown_ids"]:
        lines.append(f"Identifiants inconnus ignorés / unknown ids : {', '.join(summary['unknown_ids'][:10])}")
    return "\n".join(lines)


def _progress(label: str):
    if not sys.stderr.isatty():
        return None

    def show(i: int, n: int):
        click.echo(f"\r{label} : {i}/{n}", err=True, nl=(i == n))

    return show


@click.group("eval", cls=_EvalGroup)
def eval_group():
    """Évaluation : exécuter un système sur un jeu de référence, le noter, comparer deux exécutions,
    produire le rapport HTML et vérifier les seuils de non-régression."""


@eval_group.command("run")
@click.option("--dataset", default="dev_questions", show_default=True,
              help=f"Jeu de référence : {', '.join(DATASET_NAMES)} (ou un chemin de fichier JSONL).")
@click.option("--system", "systems", multiple=True, type=click.Choice(["ours", "bm25", "dense", "naive"]),
              help="Système à évaluer (option répétable ; défaut : ours).")
@click.option("--baselines", is_flag=True, help="Évaluer aussi les références : BM25 seul, dense seul, LangChain naïf.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Dossier de sortie (défaut : eval/runs/DATE-JEU).")
@click.option("--no-score", is_flag=True, help="Écrire les réponses sans les noter.")
def run_cmd(dataset, systems, baselines, out, no_score):
    """Exécute un ou plusieurs systèmes sur un jeu et écrit answers.jsonl, timings.json, puis les scores et le rapport."""
    from .runner import default_out, run_dataset

    names = list(dict.fromkeys(list(systems or ("ours",)) + (["bm25", "dense", "naive"] if baselines else [])))
    out = out or default_out(Path(dataset).stem)
    t0 = time.perf_counter()
    runs = run_dataset(dataset, names, out, _settings(), score=not no_score, progress=_progress("Exécution"))
    for run in runs:
        click.echo(f"{run.system} : {run.timings['n']} éléments en {run.timings['total_s']:.1f} s "
                   f"({run.timings['errors']} erreurs) -> {run.dir / 'answers.jsonl'}")
        if run.summary:
            click.echo(format_summary(run.summary))
            click.echo(f"Rapport : {run.dir / 'report.html'}\n")
    click.echo(f"Durée totale : {time.perf_counter() - t0:.1f} s")


@eval_group.command("score")
@click.argument("answers", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dataset", required=True, help=f"Jeu de référence : {', '.join(DATASET_NAMES)} (ou un chemin de fichier JSONL).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Dossier des scores (défaut : celui du fichier de réponses).")
@click.option("--system", default=None, help="Nom du système, affiché dans le rapport.")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dossier du corpus (défaut : PACTE_CORPUS_DIR ou corpus/).")
@click.option("--json", "as_json", is_flag=True, help="Afficher le résumé en JSON.")
@click.option("--no-report", is_flag=True, help="Ne pas écrire report.html.")
def score_cmd(answers, dataset, out, system, corpus_dir, as_json, no_report):
    """Note le fichier de réponses ANSWERS (JSONL au format de `pacte ask --json` plus "id") de n'importe quel système."""
    from .report import write_report
    from .scoring import score_file, write_scores

    meta = answers.parent / "meta.json"
    if system is None and meta.exists():  # an answers file written by `pacte eval run`
        try:
            system = json.loads(meta.read_text(encoding="utf-8")).get("system")
        except (json.JSONDecodeError, AttributeError):
            system = None
    result = score_file(answers, dataset, corpus_dir or _settings().corpus_dir, system=system)
    out = out or answers.parent
    summary = write_scores(result, out)
    if not no_report:
        write_report(out)
    if as_json:
        click.echo(json.dumps({k: v for k, v in summary.items() if k != "latencies_ms"}, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(summary))
        click.echo(f"Scores : {out / 'summary.json'}" + ("" if no_report else f" · rapport : {out / 'report.html'}"))


def _as_run_dir(path: Path, dataset: str | None, label: str) -> Path:
    """A scored run directory for PATH: a run directory as is, or an answers file scored beside itself."""
    from .scoring import score_file, write_scores

    if path.is_dir():
        if not (path / "summary.json").exists():
            answers = path / "answers.jsonl"
            meta = path / "meta.json"
            if not answers.exists():
                raise InvalidInput(f"{label} : {path} ne contient ni summary.json ni answers.jsonl.")
            ds = dataset or (json.loads(meta.read_text(encoding="utf-8")).get("dataset") if meta.exists() else None)
            if not ds:
                raise InvalidInput(f"{label} : précisez --dataset pour noter {answers}.")
            write_scores(score_file(answers, ds, _settings().corpus_dir), path)
        return path
    if path.is_file():
        if not dataset:
            raise InvalidInput(f"{label} : {path} est un fichier de réponses ; précisez --dataset.")
        out = path.parent / f"{path.stem}.scores"
        write_scores(score_file(path, dataset, _settings().corpus_dir, system=path.stem), out)
        return out
    raise InvalidInput(f"{label} : {path} introuvable.")


@eval_group.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@click.option("--dataset", default=None, help="Jeu de référence, si RUN_A/RUN_B sont des fichiers de réponses.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
def compare_cmd(run_a, run_b, dataset, as_json):
    """Compare deux exécutions (dossiers notés ou fichiers de réponses) : ce qui s'améliore et ce qui régresse, question par question."""
    from .compare import compare_runs, format_comparison

    comparison = compare_runs(_as_run_dir(run_a, dataset, "A"), _as_run_dir(run_b, dataset, "B"))
    if as_json:
        click.echo(json.dumps(comparison.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_comparison(comparison, str(run_a), str(run_b)))


@eval_group.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--baseline", "baselines", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="Dossier d'une autre exécution notée du même jeu, affichée à côté (option répétable).")
def report_cmd(run_dir, baselines):
    """(Ré)écrit RUN_DIR/report.html à partir de summary.json et per_question.jsonl."""
    from .report import write_report

    click.echo(f"Rapport : {write_report(run_dir, list(baselines))}")


def format_gate(rows) -> str:
    width = max([len(f"{r.label_fr} / {r.label_en}") for r in rows] + [20]) + 2
    lines = [f"{'Jeu / dataset':<16}{'Métrique / metric':<{width}}{'valeur / value':>16}{'seuil / threshold':>20}  statut / status"]
    for r in rows:
        lat = r.metric.startswith("latency")
        bound = f"{'≥' if r.op == 'min' else '≤'} {_fmt(r.bound, lat)}" if r.bound is not None else ""
        status = {"ok": "OK", "fail": "ÉCHEC / FAIL", "skipped": "ignoré / skipped"}[r.status]
        label = f"{r.label_fr} / {r.label_en}" if r.label_fr != r.label_en else r.metric
        note = f" ({r.note})" if r.note else ""
        lines.append(f"{r.dataset:<16}{label:<{width}}{_fmt(r.value, lat):>16}{bound:>20}  {status}{note}")
    return "\n".join(lines)


@eval_group.command("gate")
@click.option("--thresholds", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier de seuils (défaut : eval/thresholds.yaml).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dossier des exécutions (défaut : eval/runs/gate).")
@click.option("--from-run", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Noter les réponses déjà présentes dans DOSSIER/JEU/answers.jsonl au lieu d'exécuter le système.")
@click.option("--datasets-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dossier des jeux de référence (défaut : eval/datasets).")
def gate_cmd(thresholds, out, from_run, datasets_dir):
    """Seuils de non-régression : exécute notre système sur les jeux de développement, note, compare à
    eval/thresholds.yaml ; code de sortie 1 si une métrique passe sous son seuil."""
    from .runner import THRESHOLDS, run_gate

    t0 = time.perf_counter()
    rows = run_gate(_settings(), thresholds or THRESHOLDS, out, from_run, progress=_progress("Évaluation"),
                    datasets_dir=datasets_dir)
    click.echo(format_gate(rows))
    failed = [r for r in rows if r.status == "fail"]
    elapsed = time.perf_counter() - t0
    if failed:
        click.echo(f"\nÉCHEC / FAIL : {len(failed)} métrique(s) sous le seuil ({elapsed:.1f} s).")
        # sys.exit, not ctx.exit: `pacte` runs click with standalone_mode=False, where ctx.exit's code is lost.
        sys.exit(1)
    checked = sum(1 for r in rows if r.status == "ok")
    if not checked:
        # A gate that checked nothing must not pass silently.
        click.echo("\nÉCHEC / FAIL : aucune métrique vérifiée (jeux ou réponses absents).")
        sys.exit(1)
    click.echo(f"\nOK : {checked} métrique(s) au-dessus des seuils ({elapsed:.1f} s).")
