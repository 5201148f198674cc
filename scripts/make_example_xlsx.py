"""Generate examples/pas-de-calais-2024.xlsx and .csv from examples/pas-de-calais-2024.yaml.

The spreadsheet follows the layout of the instruction's Annexe 10 « Prévisionnel » table (lines 1949-1967),
as the Pas-de-Calais filled it in its Annexe 3 (lines 4613-4751 of its file), plus two columns
(Statut, Dispositifs) that the checks use. Amounts, sub-totals and totals are copied from the YAML as
declared, never recomputed. What Annexe 10 has no column for, the volets of each fiche action and the
indicators of Annexe 1, follows in extra tables (sheets « Volets » and « Indicateurs » of the workbook,
blocks after a blank line in the CSV file): the three files carry the same contract and get the same report.

    .venv/bin/python scripts/make_example_xlsx.py [--check]

--check: exit 1 if the CSV on disk differs from what would be generated (the XLSX embeds zip
timestamps, so only its cell values are compared).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.rules.contract import load_contract  # noqa: E402
from assistant.rules.tables import extra_rows, table_rows, write_csv, write_xlsx  # noqa: E402

SOURCE = ROOT / "examples" / "pas-de-calais-2024.yaml"
TITLE = ("TABLEAU FINANCIER DU CONTRAT LOCAL DES SOLIDARITÉS - Région HDF - Département du Pas-de-Calais "
         "Prévisionnel Année 2024")  # the title of the source table (l. 4805-4817)


def generate(out_dir: Path) -> tuple[Path, Path]:
    contract = load_contract(SOURCE)
    rows, extras = table_rows(contract, TITLE), extra_rows(contract)
    xlsx, csv_path = out_dir / "pas-de-calais-2024.xlsx", out_dir / "pas-de-calais-2024.csv"
    write_xlsx(rows, xlsx, extras=extras)
    write_csv(rows, csv_path, extras=extras)
    return xlsx, csv_path


def _cells(path: Path) -> list[tuple]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return [(sheet.title, tuple(row)) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    args = parser.parse_args(argv)
    examples = ROOT / "examples"
    if not args.check:
        xlsx, csv_path = generate(examples)
        print(f"écrit : {xlsx.relative_to(ROOT)}, {csv_path.relative_to(ROOT)}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        xlsx, csv_path = generate(Path(tmp))
        same = (csv_path.read_bytes() == (examples / csv_path.name).read_bytes()
                and _cells(xlsx) == _cells(examples / xlsx.name))
    print("à jour" if same else "différent : relancez scripts/make_example_xlsx.py")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
