"""Reading YAML and JSON safely and fast: size, depth and alias limits, and a lean YAML constructor.

Every failure is an InvalidInput with a French message; nothing here can crash the process on a
hostile file (libyaml's composer overflows the C stack on very deep nesting: refused beforehand).
"""

from __future__ import annotations

import contextlib
import gc
import json
import re

import yaml
from yaml.nodes import ScalarNode, SequenceNode

from ..errors import InvalidInput

try:  # libyaml is ~10x faster on large files; the pure-Python loader behaves the same
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader

_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_STR, _INT = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"
_SEQ, _MAP = "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _YamlLoader(_SafeLoader):
    """SafeLoader with a faster tag resolver, for the same tags.

    PyYAML tries its implicit-type regexes on every plain scalar (~3 µs each): most of the time spent
    reading a 500-action contract. Plain digits are ints and words that cannot be a bool or null are
    strings, whatever the regexes say; everything else goes through PyYAML's own resolvers.
    """

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if implicit[0]:
                if value.isdigit() and value.isascii() and (value[0] != "0" or value == "0"):
                    return _INT
                first = value[:1]
                if first.isalpha() and first not in "yYnNtTfFoO":
                    return _STR
                for tag, regexp in _IMPLICIT.get(first, ()):
                    if regexp.match(value):
                        return tag
            return _STR
        if self.yaml_path_resolvers:  # pragma: no cover - not used by the safe loader
            return super().resolve(kind, value, implicit)
        return _SEQ if kind is SequenceNode else _MAP


# A YAML file whose aliases expand into more nodes than this is refused (« billion laughs »).
MAX_NODES = 300_000
# No amount, year or axis needs more digits. Longer integers are refused where they are read: Python refuses to
# convert more than 4,300 digits (sys.get_int_max_str_digits) with an English ValueError, and formatting one fails too.
MAX_DIGITS = 30


def too_many_digits(count: int, where: str = "") -> InvalidInput:
    return InvalidInput(
        f"nombre trop grand{where} : {count:,} chiffres ({MAX_DIGITS} au plus)".replace(",", "\u202f")
    )


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building many small objects.

    A 500-action file makes ~100 000 nodes and dicts; the collector's repeated passes over this
    growing heap tripled the YAML parse time (35 -> 110 ms). The objects form trees, which
    reference counting frees anyway.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()




def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"le fichier n'est pas un texte UTF-8 (octet invalide à la position {exc.start}) : "
            "un contrat YAML, JSON, XLSX ou CSV est attendu"
        ) from None


_YAML_PROBLEMS = {
    "mapping values are not allowed here": "« : » inattendu (guillemets manquants autour d'un texte ?)",
    "could not find expected ':'": "« : » attendu",
    "found undefined alias": "alias non défini",
    "expected <block end>, but found '-'": "indentation incohérente d'une liste",
    "found duplicate anchor": "ancre en double",
}


def _yaml_error(exc: yaml.YAMLError, text: str = "") -> InvalidInput:
    mark = getattr(exc, "problem_mark", None)
    where = f" à la ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
    problem = str(getattr(exc, "problem", "") or "")
    detail = next((fr for en, fr in _YAML_PROBLEMS.items() if problem.startswith(en)), "")
    # libyaml does not name the character ("found character that cannot start any token"), PyYAML does: read it
    # from the text, so the message is the same with or without libyaml.
    if problem.startswith("found character") and mark is not None and text[mark.index : mark.index + 1] == "\t":
        detail = "tabulation interdite en YAML (utilisez des espaces)"
    return InvalidInput(f"YAML invalide{where}" + (f" : {detail}" if detail else ""))


def _check_size(value) -> None:
    """Refuse structures that aliases blow up beyond MAX_NODES (shared nodes are counted each time)."""
    stack, count = [value], 0
    while stack:
        item = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InvalidInput(f"structure trop volumineuse (plus de {MAX_NODES} éléments)")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def _pyyaml_scalar(node, loader):
    """Other scalars (0x1F, 1_000, dates…) by PyYAML's constructor, whose ValueErrors (a date that does not exist,
    an integer past Python's digit limit) are not YAML errors."""
    if node.tag == _INT and sum(c.isdigit() for c in node.value) > MAX_DIGITS:
        raise too_many_digits(sum(c.isdigit() for c in node.value), f" à la ligne {node.start_mark.line + 1}")
    try:
        return loader.construct_object(node, deep=True)
    except ValueError:
        shown = node.value if len(node.value) <= 40 else node.value[:39] + "…"
        raise InvalidInput(f"YAML invalide à la ligne {node.start_mark.line + 1} : valeur illisible (« {shown} »)") from None


def _construct(node, loader, memo: dict):
    """Python objects from composed YAML nodes, like SafeLoader but without its per-node overhead.

    PyYAML's constructor costs ~70 ms on a 500-action contract; this walk gives the same objects
    (tags are resolved by libyaml's composer as usual) in a fraction of it. Anything unusual
    (timestamps, merge keys, sets, binary…) is handed back to PyYAML's own SafeConstructor.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, ScalarNode):
        tag, value = node.tag, node.value
        if tag == _STR:
            return value
        if tag == _INT and value.isdigit() and value.isascii() and (value[0] != "0" or value == "0"):
            if len(value) > MAX_DIGITS:
                raise too_many_digits(len(value), f" à la ligne {node.start_mark.line + 1}")
            return int(value)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return _BOOLS[value.lower()]
        return _pyyaml_scalar(node, loader)
    if isinstance(node, SequenceNode):
        out: list = []
        memo[key] = out
        out.extend(_construct(child, loader, memo) for child in node.value)
        return out
    if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value) or node.tag != "tag:yaml.org,2002:map":
        return loader.construct_object(node, deep=True)
    out_map: dict = {}
    memo[key] = out_map
    for key_node, value_node in node.value:
        out_map[_construct(key_node, loader, memo)] = _construct(value_node, loader, memo)
    return out_map


# libyaml's composer recurses in C: some 50 000 nested collections overflow the C stack and kill the
# process (no Python exception). A contract nests ~6 levels; deeper files are refused before composing.
MAX_DEPTH = 100
_FLOW_BRACKETS = re.compile(r"[\[\]{}]")
_INDENT = re.compile(r"^ +", re.MULTILINE)
_COMPACT = re.compile(r"^ *(?:[-?] +)+", re.MULTILINE)


def _depth_bound(text: str) -> int:
    """A cheap upper bound of the nesting depth (brackets inside strings and indentation both count)."""
    depth = flow = 0
    for match in _FLOW_BRACKETS.finditer(text):
        depth = depth + 1 if match.group() in "[{" else max(0, depth - 1)
        flow = max(flow, depth)
    indent = max((len(m) for m in _INDENT.findall(text)), default=0)
    compact = max((len(m) for m in _COMPACT.findall(text)), default=0)
    return flow + 2 * indent + compact


def _check_depth(text: str) -> None:
    if _depth_bound(text) <= MAX_DEPTH:
        return
    # Exact depth from the pure-Python parser's events: it is iterative and has no nesting limit of its
    # own, whereas some libyaml builds stop at 1,000 levels with their own message, which would make
    # ours depend on the machine. Only files whose cheap bound is over the limit pay for it.
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InvalidInput(f"YAML trop profondément imbriqué (plus de {MAX_DEPTH} niveaux)")
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text) from None


def parse_yaml(text: str):
    _check_depth(text)
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else _construct(node, loader, {})
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, text) from None
    except TypeError:  # a list or a mapping used as a key
        raise InvalidInput("YAML invalide : une liste ou un objet est utilisé comme clé") from None
    except RecursionError:
        raise InvalidInput("YAML trop profondément imbriqué") from None
    finally:
        loader.dispose()
    if "*" in text:  # without aliases, the 2 MB size limit already bounds the structure
        _check_size(data)
    return data


_LONG_NUMBER = re.compile(r"\d{%d,}" % (MAX_DIGITS + 1))


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise _TooManyDigits
    return int(digits)


class _TooManyDigits(Exception):
    pass


def parse_json(text: str):
    try:
        data = json.loads(text, parse_int=_json_int)
    except _TooManyDigits:
        found = _LONG_NUMBER.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else 0
        raise too_many_digits(len(found.group()) if found else MAX_DIGITS + 1, f" à la ligne {line}" if line else "") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"JSON invalide à la ligne {exc.lineno}, colonne {exc.colno}") from None
    except RecursionError:
        raise InvalidInput("JSON trop profondément imbriqué") from None
    _check_size(data)
    return data
