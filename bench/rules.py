"""Benchmark of the rule engine: a 500-action contract checked end to end (target: <= 100 ms).

    .venv/bin/python bench/rules.py [--actions 500] [--repeat 20]

Prints median times of: reading + validating the YAML file, running every rule, checking an already
loaded contract (what the HTTP API does after its upload parsing), and the whole `check_contract(path)`
call from JSON and from YAML (what `pacte check` does, minus interpreter start-up and printing).
Exit status 1 when the YAML end-to-end time misses the target.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.rules import RULE_ORDER, check_contract, load_contract, run_rules  # noqa: E402

TARGET_MS = 100.0


def synthetic_contract(n_actions: int) -> dict:
    """A métropole contract with n actions spread over the 4 axes, every special case represented."""
    kinds = [
        {},
        {"dispositifs": ["slime"], "cee": 150_000},
        {"dispositifs": ["tarification_cantine"],
         "cantine": {"repas": 20_000, "prix_repas": 0.5, "qf_max": 1000, "aide_etat_par_repas": 1}},
        {"dispositifs": ["ecomobilite_investissement"]},
        {"dispositifs": ["mobilite_demandeurs_emploi"]},
    ]
    actions = []
    for i in range(n_actions):
        axis = i % 4 + 1
        etat = 10_000 + (i * 37) % 5_000
        action = {
            "id": f"{axis}.{i + 1}",
            "axe": axis,
            "intitule": f"Action de test n° {i + 1}",
            "statut": ("nouvelle", "renforcee", "reconduite")[i % 3],
            "financement": {"etat": etat, "collectivite": etat + (i % 2) * 1_000, "autres": {"CAF": 500},
                            "fse_plus": 1_000 if i % 3 == 0 else 0},
            "indicateurs": [{"libelle": "Nombre de personnes accompagnées", "t0": 10,
                             "cibles": {2024: 20, 2025: 30, 2026: 40, 2027: 50}}],
            "volets": [{"libelle": "Volet unique", "montant": 2 * etat + 500}],
        }
        if axis == 4:
            action.update(copy.deepcopy(kinds[(i // 4) % len(kinds)]))  # no shared objects: no YAML aliases
        action["financement"]["total"] = (action["financement"]["etat"] + action["financement"]["collectivite"]
                                          + 500 + action.get("cee", 0))
        actions.append(action)
    return {
        "collectivite": {"nom": "Métropole de test", "type": "metropole"},
        "annee": 2024,
        "plafonds_etat": {1: 2_000_000, 2: 2_000_000, 3: 2_000_000, 4: 2_000_000},
        "actions": actions,
    }


def median_ms(fn, repeat: int) -> float:
    fn()  # warm-up: imports, parameters file, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark de pacte check")
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    data = synthetic_contract(args.actions)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contrat.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        as_json = Path(tmp) / "contrat.json"
        as_json.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        size_kb = path.stat().st_size / 1024
        contract = load_contract(path)
        facts = contract.facts()
        load_ms = median_ms(lambda: load_contract(path), args.repeat)
        rules_ms = median_ms(lambda: run_rules(facts), args.repeat)
        loaded_ms = median_ms(lambda: check_contract(contract), args.repeat)
        json_ms = median_ms(lambda: check_contract(as_json), args.repeat)
        total_ms = median_ms(lambda: check_contract(path), args.repeat)
        results = len(check_contract(path)["results"])
    print(f"contrat synthétique : {args.actions} actions, YAML de {size_kb:.0f} Ko, {results} résultats "
          f"(médianes sur {args.repeat} passes)")
    print(f"  lecture + validation du YAML          : {load_ms:7.1f} ms")
    print(f"  exécution des {len(RULE_ORDER)} règles               : {rules_ms:7.1f} ms")
    print(f"  check_contract(contrat déjà chargé)   : {loaded_ms:7.1f} ms")
    print(f"  check_contract(fichier JSON)          : {json_ms:7.1f} ms")
    print(f"  check_contract(fichier YAML)          : {total_ms:7.1f} ms  (objectif ≤ {TARGET_MS:.0f} ms : "
          f"{'atteint' if total_ms <= TARGET_MS else 'DÉPASSÉ'})")
    return 0 if total_ms <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
