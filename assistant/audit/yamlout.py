"""The extracted contract as a YAML file `pacte check` reads, each value followed by « # l. N », the lines
of the document it was read from (the same mapping as `ExtractedContract.mapping()`)."""

from __future__ import annotations

import json

from .extract import ExtractedContract


def _scalar(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _lines(place: dict | None) -> str:
    if not place:
        return ""
    a, b = place["line_start"], place["line_end"]
    return f"  # l. {a}" if a == b else f"  # l. {a}-{b}"


def _emit(value, path: str, indent: int, sources: dict, out: list[str], key: str | None, bullet: bool = False):
    pad = " " * indent
    lead = pad + ("- " if bullet else "")
    label = f"{key}: " if key is not None else ""
    if isinstance(value, dict):
        if not value:
            out.append(f"{lead}{label}{{}}{_lines(sources.get(path))}")
            return
        items = list(value.items())
        if key is not None:
            out.append(f"{lead}{key}:{_lines(sources.get(path))}")
            inner = indent + (4 if bullet else 2)
            for k, v in items:
                _emit(v, f"{path}.{k}", inner, sources, out, str(k))
            return
        # A mapping as a list item: its first key on the bullet line.
        first = True
        for k, v in items:
            _emit(v, f"{path}.{k}", indent + (0 if first else 2), sources, out, str(k), bullet=first)
            first = False
        return
    if isinstance(value, list):
        if not value:
            out.append(f"{lead}{label}[]")
            return
        out.append(f"{lead}{key}:" if key is not None else lead.rstrip())
        inner = indent + (4 if bullet else 2)
        for i, item in enumerate(value):
            item_path = f"{path}[{i}]"
            if isinstance(item, dict):
                before = len(out)
                _emit(item, item_path, inner, sources, out, None)
                if sources.get(item_path) and len(out) > before and "#" not in out[before]:
                    out[before] += _lines(sources[item_path])
            else:
                out.append(f"{' ' * inner}- {_scalar(item)}{_lines(sources.get(item_path))}")
        return
    out.append(f"{lead}{label}{_scalar(value)}{_lines(sources.get(path))}")


def to_yaml(contract: ExtractedContract, header: str = "") -> str:
    mapping = contract.mapping()
    sources = contract.sources()
    out: list[str] = [f"# {line}" if line else "#" for line in header.splitlines()]
    for key, value in mapping.items():
        _emit(value, key, 0, sources, out, key)
        if key in ("annee", "plafonds_etat", "actions", "sous_totaux"):
            out.append("")
    return "\n".join(out).rstrip() + "\n"
