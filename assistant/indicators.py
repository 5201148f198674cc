"""`pacte indicators [--axe N] [--json]`: the national indicators of each référentiel section, with
their exact wording, their definition in Annexe 6 (what is counted, who, how, when) and the reporting
calendar (Annexe 5 III-IV, Annexe 6, Annexe 8).

The functions are pure (no index, no model): `list_indicators`, `reporting_calendar` and
`indicators_payload` give the data, `render_text` the French text of the command.
"""

from __future__ import annotations

import json

import click

from .framework import load_framework
from .referentiel import AXES, Referentiel, check_axis, load_referentiel, plain

KIND_TITLES = {
    "perimetre": "Ce qui est compté",
    "decompte": "Qui et comment compter",
    "periode": "Période",
    "indicateurs_locaux": "Indicateurs locaux associés",
    "autre": "Précisions",
}

CALENDAR_TITLES = {
    "duree": "Durée des contrats",
    "indicateurs_locaux": "Indicateurs locaux (T0, cibles annuelles {first}-{last})",
    "indicateurs_nationaux": "Indicateurs nationaux",
    "remontee_nationale": "Remontée annuelle des indicateurs nationaux",
    "suivi_annuel": "Suivi annuel",
    "mi_parcours": "Évaluation à mi-parcours",
    "evaluation_finale": "Évaluation finale",
}


def _contract_years() -> tuple[int, int]:
    """The first and last years of the contracts, from the framework parameters (assistant/data/framework.yaml)."""
    params = load_framework().parameters
    return int(params["contract_first_year"].value), int(params["contract_last_year"].value)


def _calendar_title(kind: str) -> str:
    first, last = _contract_years()
    return CALENDAR_TITLES.get(kind, kind).format(first=first, last=last)


def _quote_dict(q, **extra) -> dict:
    return {"text": q.text, "doc_id": q.doc_id, "line_start": q.line_start, "line_end": q.line_end, **extra}


def list_indicators(axe: int | None = None, referentiel: Referentiel | None = None) -> list[dict]:
    """One object per (référentiel section, national indicator), in document order.

    An indicator that covers several sections (e.g. the axis 1 "familles précaires" indicator for
    sections 1.1 to 1.3) appears once per section. Unknown axis -> InvalidInput (French message).
    """
    axes = AXES if axe is None else (check_axis(axe),)
    ref = referentiel or load_referentiel()
    out = []
    for a in ref.axes:
        if a.axis not in axes:
            continue
        for s in a.sections:
            for ind in s.indicators:
                out.append(
                    {
                        "axis": a.axis,
                        "axis_title": a.title,
                        "section": s.heading,
                        "section_id": s.id,
                        "section_path": list(s.section_path),
                        "section_line_start": s.line_start,
                        "section_line_end": s.line_end,
                        "indicator_id": ind.id,
                        "indicator": ind.text,
                        "doc_id": ind.doc_id,
                        "line_start": ind.line_start,
                        "line_end": ind.line_end,
                        "breakdown": [_quote_dict(q) for q in ind.breakdown],
                        "in_guide": ind.in_guide,
                        "guide_wording": _quote_dict(ind.guide_wording) if ind.guide_wording else None,
                        "wording_differs": ind.wording_differs,
                        "definition": [_quote_dict(d, kind=d.kind) for d in ind.definition],
                        "context": [_quote_dict(q) for q in ind.context],
                        "note": ind.note,
                    }
                )
    return out


def reporting_calendar(referentiel: Referentiel | None = None) -> list[dict]:
    """The reporting and evaluation calendar, each step with its quote and lines."""
    ref = referentiel or load_referentiel()
    return [_quote_dict(r, kind=r.kind, label=r.label) for r in ref.reporting]


def indicators_payload(axe: int | None = None, referentiel: Referentiel | None = None) -> dict:
    """What `pacte indicators --json` prints."""
    ref = referentiel or load_referentiel()
    return {
        "indicators": list_indicators(axe, ref),
        "calendar": reporting_calendar(ref),
    }


# --------------------------------------------------------------------------------------------------
# Text rendering (French)
# --------------------------------------------------------------------------------------------------


def _lines(start: int, end: int) -> str:
    return f"l. {start}" if start == end else f"l. {start}-{end}"


def _cite(q: dict) -> str:
    return f"« {plain(q['text'])} » [{q['doc_id']}, {_lines(q['line_start'], q['line_end'])}]"


def render_text(axe: int | None = None, referentiel: Referentiel | None = None) -> str:
    axes = AXES if axe is None else (check_axis(axe),)
    ref = referentiel or load_referentiel()
    items = list_indicators(axe, ref)
    by_section: dict[str, list[dict]] = {}
    for item in items:
        by_section.setdefault(item["section_id"], []).append(item)
    shown: dict[str, str] = {}  # indicator id -> section where its definition was printed
    out = [
        "Indicateurs nationaux des pactes locaux des solidarités",
        f"Source : {ref.doc_id} (référentiels, annexes 1 à 4 ; guide des indicateurs nationaux, annexe 6, "
        f"{_lines(*ref.guide_span)}).",
    ]
    for a in ref.axes:
        if a.axis not in axes:
            continue
        out += ["", f"AXE {a.axis} — {a.title} ({a.annex}, {_lines(a.line_start, a.line_end)})"]
        for s in a.sections:
            out += ["", f"  Section {s.heading} ({_lines(s.line_start, s.line_end)})"]
            section_items = by_section.get(s.id, [])
            if not section_items:
                out.append("    Pas d'indicateur national dans le référentiel pour cette section.")
            for item in section_items:
                out += _render_indicator(item, shown)
    out += ["", "CALENDRIER DE SUIVI ET DE REMONTÉE"]
    current = None
    for step in reporting_calendar(ref):
        if step["kind"] != current:
            current = step["kind"]
            out.append(f"  {_calendar_title(current)}")
        out.append(f"    - {step['label']} : {_cite(step)}")
    return "\n".join(out)


def _render_indicator(item: dict, shown: dict[str, str]) -> list[str]:
    lines = [f"    Indicateur national : {_cite(_as_quote(item))}"]
    for cat in item["breakdown"]:
        lines.append(f"      - {_cite(cat)}")
    first_section = shown.get(item["indicator_id"])
    if first_section:
        lines.append(f"      Définition : voir la section {first_section} ci-dessus.")
        return lines
    shown[item["indicator_id"]] = item["section"].split(" ")[0]
    if not item["in_guide"]:
        if item["note"]:
            lines.append(f"      Remarque : {item['note']}")
        return lines
    guide = item["guide_wording"]
    differs = " (libellé différent de celui du référentiel)" if item["wording_differs"] else ""
    lines.append(f"      Libellé du guide (annexe 6){differs} : {_cite(guide)}")
    for kind, title in KIND_TITLES.items():
        paras = [d for d in item["definition"] if d["kind"] == kind]
        if paras:
            lines.append(f"      {title} :")
            lines += [f"        - {_cite(d)}" for d in paras]
    for q in item["context"]:
        lines.append(f"      Dans le référentiel : {_cite(q)}")
    if item["note"]:
        lines.append(f"      Remarque : {item['note']}")
    first, last = _contract_years()
    lines.append(f"      Remontée : chaque année en mars, de mars {first + 1} (année {first}) à mars {last + 1} "
                 f"(année {last}) ; voir le calendrier ci-dessous.")
    return lines


def _as_quote(item: dict) -> dict:
    return {k: item[k] for k in ("doc_id", "line_start", "line_end")} | {"text": item["indicator"]}


@click.command("indicators")
@click.option("--axe", "axe", default=None, metavar="N", help="Limiter à un axe (1 à 4).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON : {\"indicators\": [...], \"calendar\": [...]}.")
def indicators_cmd(axe: str | None, as_json: bool) -> None:
    """Indicateurs nationaux par section de référentiel : libellé exact, définition (annexe 6) et calendrier."""
    axis = None if axe is None else check_axis(axe)  # InvalidInput -> "Erreur : ..." and exit 2
    if as_json:
        click.echo(json.dumps(indicators_payload(axis), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(axis))
