"""The HTML report: one self-contained file (inline CSS and SVG, no external src or href).

It is rendered from the files of a scored run only (summary.json and per_question.jsonl), so
`pacte eval report RUN_DIR` can redraw it at any time without the dataset, the corpus or the index.
Everything a reader sees is in French.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from .scoring import read_per_question, read_summary

PALETTE = ["#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#2e75b6", "#a5a5a5", "#843c0c"]
SYSTEM_LABELS = {"ours": "Pacte Assistant", "bm25": "BM25 seul", "dense": "dense seul", "naive": "LangChain naïf"}
VERDICT_LABELS = {
    "eligible": "éligible",
    "eligible_with_conditions": "éligible sous conditions",
    "excluded": "exclu",
    "not_in_referential": "hors référentiel",
    "ok": "ok",
    "violation": "violation",
    "warning": "avertissement",
    "info": "info",
    "none": "aucun",
}


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def fmt(value, latency: bool = False) -> str:
    """French display of a metric value: "93,4 %" for a ratio, "123 ms" for a latency, "—" if undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if latency:
        return f"{value:,.0f} ms".replace(",", "\u202f")
    return f"{100 * value:.1f} %".replace(".", ",")


def _label(verdict) -> str:
    return VERDICT_LABELS.get(verdict, verdict) if verdict is not None else "—"


# --- SVG charts ---------------------------------------------------------------------------------


def svg_grouped_bars(rows: list[tuple[str, dict[str, float | None]]], series: list[tuple[str, str]], title: str) -> str:
    """Horizontal bars in [0, 1]: one block per row (a metric), one bar per series (a category or a
    system). rows: [(row label, {series key: value})]; series: [(key, label)]."""
    left, width, bar_h, gap = 230, 420, 11, 12
    legend_h = 18 * math.ceil(len(series) / 4) + 8
    block_h = bar_h * len(series) + gap
    height = legend_h + block_h * len(rows) + 24
    total_w = left + width + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{total_w}" height="{height}" '
           f'viewBox="0 0 {total_w} {height}"><title>{_e(title)}</title>']
    for i, (_key, label) in enumerate(series):
        x, y = 10 + (i % 4) * 170, 6 + 18 * (i // 4)
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{x + 17}" y="{y + 10}" font-size="11">{_e(label)}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + width * tick
        out.append(f'<line x1="{x:.1f}" y1="{legend_h}" x2="{x:.1f}" y2="{height - 18}" stroke="#ddd"/>'
                   f'<text x="{x:.1f}" y="{height - 5}" font-size="10" text-anchor="middle">{int(tick * 100)} %</text>')
    for r, (row_label, values) in enumerate(rows):
        y0 = legend_h + r * block_h
        out.append(f'<text x="{left - 8}" y="{y0 + bar_h * len(series) / 2 + 4:.1f}" font-size="11" '
                   f'text-anchor="end">{_e(row_label)}</text>')
        for i, (key, label) in enumerate(series):
            v = values.get(key)
            y = y0 + i * bar_h
            if v is None:
                out.append(f'<text x="{left + 3}" y="{y + bar_h - 2}" font-size="9" fill="#888">n/a</text>')
                continue
            w = max(0.0, min(1.0, v)) * width
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                       f'fill="{PALETTE[i % len(PALETTE)]}"><title>{_e(label)} : {_e(fmt(v))}</title></rect>'
                       f'<text x="{left + w + 3:.1f}" y="{y + bar_h - 2}" font-size="9">{_e(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)


def svg_confusion(confusion: dict, title: str) -> str:
    """Gold labels in rows, predicted labels in columns; the diagonal is green, errors red."""
    rows, cols, matrix = confusion["labels"], confusion["columns"], confusion["matrix"]
    cell, left, top = 64, 170, 120
    w, h = left + cell * len(cols) + 10, top + cell * len(rows) + 10
    peak = max([matrix[r][c] for r in rows for c in cols] + [1])
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
           f'<title>{_e(title)}</title>'
           f'<text x="{left + cell * len(cols) / 2:.0f}" y="14" font-size="11" text-anchor="middle">prédit</text>'
           f'<text x="12" y="{top + cell * len(rows) / 2:.0f}" font-size="11" '
           f'transform="rotate(-90 12 {top + cell * len(rows) / 2:.0f})" text-anchor="middle">attendu</text>']
    for j, c in enumerate(cols):
        x = left + j * cell + cell / 2
        out.append(f'<text x="{x:.0f}" y="{top - 8}" font-size="10" transform="rotate(-35 {x:.0f} {top - 8})">'
                   f'{_e(_label(c))}</text>')
    for i, r in enumerate(rows):
        y = top + i * cell
        out.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.0f}" font-size="10" text-anchor="end">{_e(_label(r))}</text>')
        for j, c in enumerate(cols):
            n = matrix[r][c]
            alpha = 0.12 + 0.88 * n / peak if n else 0
            color = "84,130,53" if r == c else "192,0,0"
            out.append(f'<rect x="{left + j * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                       f'fill="rgba({color},{alpha:.2f})" stroke="#ccc"/>'
                       f'<text x="{left + j * cell + cell / 2 - 1:.0f}" y="{y + cell / 2 + 4:.0f}" font-size="13" '
                       f'text-anchor="middle">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def svg_histogram(values: list[float], p50: float | None, p95: float | None, title: str, bins: int = 20) -> str:
    """Latency histogram with the p50 and p95 marked."""
    w, h, left, bottom, plot_w, plot_h = 700, 220, 40, 30, 640, 170
    if not values:
        return ""
    lo, hi = 0.0, max(values) * 1.05 or 1.0
    step = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    peak = max(counts)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
           f'<title>{_e(title)}</title>'
           f'<line x1="{left}" y1="{h - bottom}" x2="{left + plot_w}" y2="{h - bottom}" stroke="#444"/>']
    bw = plot_w / bins
    for i, n in enumerate(counts):
        bh = plot_h * n / peak if peak else 0
        x = left + i * bw
        out.append(f'<rect x="{x:.1f}" y="{h - bottom - bh:.1f}" width="{bw - 1:.1f}" height="{bh:.1f}" fill="#2e75b6">'
                   f'<title>{lo + i * step:.0f}–{lo + (i + 1) * step:.0f} ms : {n}</title></rect>')
        if n:
            out.append(f'<text x="{x + bw / 2:.1f}" y="{h - bottom - bh - 3:.1f}" font-size="9" text-anchor="middle">{n}</text>')
    for k in range(0, bins + 1, 4):
        x = left + k * bw
        out.append(f'<text x="{x:.1f}" y="{h - bottom + 14}" font-size="10" text-anchor="middle">{lo + k * step:.0f}</text>')
    out.append(f'<text x="{left + plot_w}" y="{h - 2}" font-size="10" text-anchor="end">ms</text>')
    for name, v, color in (("p50", p50, "#548235"), ("p95", p95, "#c00000")):
        if v is None:
            continue
        x = left + plot_w * (v - lo) / (hi - lo)
        # Labels near the right edge are drawn on the left of their line so they are not clipped.
        anchor, tx = ("end", x - 3) if x > left + plot_w - 90 else ("start", x + 3)
        ty = h - bottom - plot_h + (5 if name == "p50" else 18)
        out.append(f'<line x1="{x:.1f}" y1="{h - bottom - plot_h - 5}" x2="{x:.1f}" y2="{h - bottom}" stroke="{color}" '
                   f'stroke-dasharray="4 3"/><text x="{tx:.1f}" y="{ty}" font-size="10" text-anchor="{anchor}" '
                   f'fill="{color}">{name} = {v:.0f} ms</text>')
    out.append("</svg>")
    return "".join(out)


# --- HTML ---------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}
.ok{color:#2e7d32;font-weight:600}.ko{color:#c00000;font-weight:600}.muted{color:#777}
.quote{background:#f7f7f0;border-left:3px solid #bf9000;padding:2px 6px;margin:3px 0;white-space:pre-wrap;max-height:14em;overflow:auto}
.gold{background:#eef5ea;border-left:3px solid #548235;padding:2px 6px;margin:3px 0;white-space:pre-wrap;max-height:14em;overflow:auto}
.answer{white-space:pre-wrap;max-height:18em;overflow:auto}
.badge{display:inline-block;padding:0 5px;border-radius:3px;font-size:11px;background:#eee;margin-right:3px}
table.items{width:100%}.items td{max-width:420px}.items td:last-child{min-width:170px}.ref{font-family:ui-monospace,monospace;font-size:11px;color:#555}
dl.defs dt{font-weight:600;margin-top:6px}dl.defs dd{margin-left:16px}
"""

FILTER_JS = """
document.getElementById('only-fail').addEventListener('change',function(e){
  document.querySelectorAll('tr.item').forEach(function(r){
    r.style.display=(e.target.checked&&r.dataset.fail!=='1')?'none':'';});});
"""


def _ratio_defs(summary: dict) -> list[str]:
    return [k for k, v in summary["metrics"].items() if not k.startswith("latency") and k != "coverage"]


def _metrics_table(summary: dict) -> str:
    rows = []
    for name, mv in summary["metrics"].items():
        lat = name.startswith("latency")
        lo, hi = mv["ci95"]
        ci = f"[{fmt(lo, lat)} ; {fmt(hi, lat)}]" if lo is not None else "—"
        rows.append(f"<tr><td>{_e(mv['label_fr'])}<br><span class='muted'>{_e(mv['label_en'])}</span></td>"
                    f"<td class='num'><b>{_e(fmt(mv['value'], lat))}</b></td><td class='num'>{_e(ci)}</td>"
                    f"<td class='num'>{mv['n']}</td></tr>")
    return ("<table><tr><th>Métrique</th><th>Valeur</th><th>IC 95 % (bootstrap)</th><th>n</th></tr>"
            + "".join(rows) + "</table>")


def _category_table(summary: dict) -> str:
    names = [n for n in summary["metrics"] if n != "coverage"]
    head = "".join(f"<th>{_e(summary['metrics'][n]['label_fr'])}</th>" for n in names)
    rows = []
    for g in summary["by_category"].values():
        cells = "".join(f"<td class='num'>{_e(fmt(g['metrics'].get(n), n.startswith('latency')))}</td>" for n in names)
        rows.append(f"<tr><td>{_e(g['label'])}</td><td class='num'>{g['n']}</td>{cells}</tr>")
    return f"<table><tr><th>Catégorie</th><th>n</th>{head}</tr>{''.join(rows)}</table>"


def _systems_section(summary: dict, baselines: list[dict]) -> str:
    systems = [summary] + baselines
    names = [n for n in _ratio_defs(summary) if any(s["metrics"].get(n, {}).get("value") is not None for s in systems)]
    head = "".join(f"<th>{_e(SYSTEM_LABELS.get(s.get('system'), s.get('system') or '?'))}</th>" for s in systems)
    rows = []
    for n in list(summary["metrics"]):
        lat = n.startswith("latency")
        cells = "".join(f"<td class='num'>{_e(fmt(s['metrics'].get(n, {}).get('value'), lat))}</td>" for s in systems)
        rows.append(f"<tr><td>{_e(summary['metrics'][n]['label_fr'])}</td>{cells}</tr>")
    series = [(str(i), SYSTEM_LABELS.get(s.get("system"), s.get("system") or "?")) for i, s in enumerate(systems)]
    chart_rows = [(summary["metrics"][n]["label_fr"], {str(i): s["metrics"].get(n, {}).get("value")
                                                       for i, s in enumerate(systems)}) for n in names]
    return ("<h2>Systèmes comparés (même jeu, même correcteur)</h2>"
            + svg_grouped_bars(chart_rows, series, "Métriques par système")
            + f"<table><tr><th>Métrique</th>{head}</tr>{''.join(rows)}</table>")


def _span_ref(c: dict) -> str:
    return f"{c['doc_id']} l.{c['line_start']}–{c['line_end']}"


def _values_cell(values: dict, summary: dict) -> str:
    """The item's imperfect values in full, the perfect ones only counted (the table stays readable)."""
    shown, perfect = [], 0
    for name, v in values.items():
        if v is None or name == "coverage":
            continue
        if v >= 1:
            perfect += 1
            continue
        cls = "ko" if v <= 0 else ""
        shown.append(f"<div>{_e(summary['metrics'].get(name, {}).get('label_fr', name))} : "
                     f"<span class='{cls}'>{_e(fmt(v))}</span></div>")
    if perfect:
        shown.append(f"<div class='ok'>{'tout à 100 %' if not shown else f'{perfect} autre(s) à 100 %'}</div>")
    return "".join(shown) or "<span class='muted'>—</span>"


def _citations_cell(citations: list[dict]) -> str:
    out = []
    for i, c in enumerate(citations, start=1):
        verb = "<span class='ok'>verbatim</span>" if c["verbatim"] else "<span class='ko'>non verbatim</span>"
        rel = "<span class='ok'>dans la référence</span>" if c["relevant"] else "<span class='ko'>hors référence</span>"
        out.append(f"<div><span class='ref'>[{i}] {_e(_span_ref(c))}</span> {verb} · {rel}"
                   f"<div class='quote'>{_e(c['quote'])}</div></div>")
    return "".join(out) or "<span class='muted'>aucune citation</span>"


def _gold_cell(d: dict) -> str:
    out = []
    for s in d.get("gold_spans", []):
        out.append(f"<div><span class='ref'>{_e(_span_ref(s))}</span><div class='gold'>{_e(s['text'])}</div></div>")
    if d.get("key_facts"):
        facts = " ".join(f"<span class='badge {'ok' if f['found'] else 'ko'}'>{'✓' if f['found'] else '✗'} {_e(f['fact'])}</span>"
                         for f in d["key_facts"])
        out.append(f"<div>Faits clés : {facts}</div>")
    if "answerable" in d and not d["answerable"]:
        out.append("<div><span class='badge'>hors corpus : abstention attendue</span></div>")
    if d.get("expected_verdict"):
        out.append(f"<div>Verdict attendu : <b>{_e(_label(d['expected_verdict']))}</b></div>")
    if d.get("expected_axis"):
        out.append(f"<div>Axe attendu : <b>{d['expected_axis']}</b></div>")
    return "".join(out) or "<span class='muted'>—</span>"


def _answer_cell(item: dict) -> str:
    d = item["detail"]
    if not item["present"]:
        return "<span class='ko'>réponse manquante</span>"
    out = []
    if d.get("error"):
        out.append(f"<div class='ko'>Erreur : {_e(d['error'])}</div>")
    badges = []
    if d.get("abstained"):
        badges.append("<span class='badge'>abstention</span>")
    if d.get("verdict") or d.get("expected_verdict"):
        ok = d.get("verdict") == d.get("expected_verdict")
        badges.append(f"<span class='badge {'ok' if ok else 'ko'}'>verdict : {_e(_label(d.get('verdict')))}</span>")
    if d.get("expected_axis") is not None or d.get("axis") is not None:
        ok = d.get("axis") == d.get("expected_axis")
        badges.append(f"<span class='badge {'ok' if ok else 'ko'}'>axe : {_e(d.get('axis') or '—')}</span>")
    if d.get("first_relevant_rank") is not None:
        badges.append(f"<span class='badge'>1er résultat pertinent : rang {d['first_relevant_rank']}</span>")
    out.append("".join(badges))
    if d.get("answer"):
        out.append(f"<div class='answer'>{_e(d['answer'])}</div>")
    for s in d.get("sections", []):
        cls = "ok" if s["relevant"] else "ko"
        out.append(f"<div class='ref'><span class='{cls}'>●</span> axe {_e(s['axis'])} · {_e(_span_ref(s))} · "
                   f"{_e(s['section_path'])}</div>")
    if d.get("conditions"):
        out.append("<div>Conditions : <ul>" + "".join(f"<li>{_e(c)}</li>" for c in d["conditions"]) + "</ul></div>")
    return "".join(out)


def _is_fail(item: dict) -> bool:
    return not item["present"] or any(v is not None and v < 1 for v in item["values"].values())


def _items_table(summary: dict, items: list[dict]) -> str:
    kind = summary["dataset"]
    rows = []
    if kind == "contract_cases":
        for it in items:
            pairs = it["detail"]["pairs"]
            lines = "".join(
                f"<tr><td>{_e(p['rule'])}</td><td>{_e(p['action'] or '—')}</td><td>{_e(_label(p['expected']))}</td>"
                f"<td class='{'ok' if p['expected'] == p['verdict'] else 'ko'}'>{_e(_label(p['verdict']))}</td></tr>"
                for p in pairs) or "<tr><td colspan='4' class='muted'>aucun verdict non ok attendu ni produit</td></tr>"
            err = f"<div class='ko'>Erreur : {_e(it['detail']['error'])}</div>" if it["detail"].get("error") else ""
            missing = "<div class='ko'>résultat manquant</div>" if not it["present"] else ""
            rows.append(f"<tr class='item' data-fail='{int(_is_fail(it))}'><td>{_e(it['id'])}</td>"
                        f"<td class='ref'>{_e(it['detail']['question'])}{missing}{err}</td>"
                        f"<td><table><tr><th>Règle</th><th>Action</th><th>Attendu</th><th>Obtenu</th></tr>{lines}</table></td>"
                        f"<td>{_values_cell(it['values'], summary)}</td></tr>")
        head = "<tr><th>Cas</th><th>Contrat</th><th>Verdicts (non ok)</th><th>Scores</th></tr>"
    else:
        what = "Question" if kind == "dev_questions" else "Action"
        for it in items:
            d = it["detail"]
            cat = summary["by_category"].get(it["group"], {}).get("label", it["group"])
            lat = f"<div class='muted'>{fmt(it['latency_ms'], True)}</div>" if it.get("latency_ms") is not None else ""
            rows.append(
                f"<tr class='item' data-fail='{int(_is_fail(it))}'><td><b>{_e(it['id'])}</b><br>"
                f"<span class='muted'>{_e(cat)}</span>{lat}</td>"
                f"<td>{_e(d.get('question'))}</td><td>{_answer_cell(it)}</td>"
                f"<td>{_citations_cell(d.get('citations', []))}</td><td>{_gold_cell(d)}</td>"
                f"<td>{_values_cell(it['values'], summary)}</td></tr>")
        head = (f"<tr><th>Id</th><th>{what}</th><th>Réponse</th><th>Citations</th>"
                "<th>Référence (lignes du corpus)</th><th>Scores</th></tr>")
    return (f"<p><label><input type='checkbox' id='only-fail'> n'afficher que les éléments imparfaits</label></p>"
            f"<table class='items'>{head}{''.join(rows)}</table><script>{FILTER_JS}</script>")


DATASET_TITLES = {
    "dev_questions": "questions de développement",
    "dev_actions": "descriptions d'actions (éligibilité)",
    "contract_cases": "cas de contrats (règles)",
}


def render_report(summary: dict, items: list[dict], baselines: list[dict] | None = None) -> str:
    """The whole report as one HTML string."""
    kind = summary["dataset"]
    system = SYSTEM_LABELS.get(summary.get("system"), summary.get("system") or "système non précisé")
    parts = [
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>",
        f"<title>Évaluation – {_e(system)} – {_e(kind)}</title><style>{CSS}</style></head><body>",
        f"<h1>Évaluation sur les {_e(DATASET_TITLES.get(kind, kind))} : {_e(system)}</h1>",
        f"<p>{summary['n_items']} éléments de référence, {summary['n_answered']} réponses fournies"
        f"{', ' + str(len(summary['unknown_ids'])) + ' identifiants inconnus ignorés' if summary['unknown_ids'] else ''}. "
        "Scores déterministes, sans juge LLM ; intervalles à 95 % par bootstrap "
        f"({summary['bootstrap']['resamples']} tirages, graine {summary['bootstrap']['seed']}).</p>",
    ]
    if summary["missing_ids"]:
        parts.append(f"<p class='ko'>Réponses manquantes (comptées comme des échecs) : {_e(', '.join(summary['missing_ids']))}</p>")
    if summary["unknown_ids"]:
        parts.append(f"<p class='muted'>Identifiants inconnus du jeu de référence : {_e(', '.join(summary['unknown_ids']))}</p>")
    parts.append("<h2>Résultats</h2>" + _metrics_table(summary))
    if baselines:
        parts.append(_systems_section(summary, baselines))

    groups = list(summary["by_category"].items())
    chart_names = [n for n in _ratio_defs(summary) if summary["metrics"][n]["value"] is not None]
    if chart_names:
        series = [("__all__", "toutes")] + [(g, v["label"]) for g, v in groups]
        rows = [(summary["metrics"][n]["label_fr"],
                 {"__all__": summary["metrics"][n]["value"], **{g: v["metrics"].get(n) for g, v in groups}})
                for n in chart_names]
        parts.append("<h2>Par catégorie</h2>" + svg_grouped_bars(rows, series, "Métriques par catégorie")
                     + _category_table(summary))
    if summary.get("confusion") and any(any(r.values()) for r in summary["confusion"]["matrix"].values()):
        parts.append("<h2>Matrice de confusion des verdicts</h2>"
                     + svg_confusion(summary["confusion"], "Matrice de confusion des verdicts"))
    if summary.get("by_rule"):
        parts.append("<h2>Par règle</h2><table><tr><th>Règle</th><th>n</th><th>Exactitude</th></tr>"
                     + "".join(f"<tr><td>{_e(r)}</td><td class='num'>{v['n']}</td><td class='num'>{fmt(v['accuracy'])}</td></tr>"
                               for r, v in summary["by_rule"].items()) + "</table>")
    lat = summary.get("latencies_ms") or []
    if lat:
        parts.append("<h2>Latence</h2>" + svg_histogram(lat, summary["metrics"]["latency_p50_ms"]["value"],
                                                        summary["metrics"]["latency_p95_ms"]["value"],
                                                        "Histogramme des latences"))
    parts.append("<h2>Détail par élément</h2>" + _items_table(summary, items))
    parts.append("<h2>Définitions des métriques</h2><dl class='defs'>" + "".join(
        f"<dt>{_e(summary['metrics'][n]['label_fr'])} <span class='muted'>({_e(n)})</span></dt><dd>{_e(t)}</dd>"
        for n, t in summary["definitions"].items()) + "</dl>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report(run_dir: Path, baseline_dirs: list[Path] | tuple = ()) -> Path:
    """Render RUN_DIR/report.html from RUN_DIR/summary.json and per_question.jsonl."""
    run_dir = Path(run_dir)
    summary = read_summary(run_dir)
    items = read_per_question(run_dir)
    baselines = [read_summary(Path(d)) for d in baseline_dirs]
    path = run_dir / "report.html"
    path.write_text(render_report(summary, items, baselines), encoding="utf-8")
    return path
