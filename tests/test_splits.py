"""The measurement protocol (eval/datasets/README.md): no train or dev item duplicates or nearly duplicates a test
item, and no training text (train split, hypothetical questions of corpus/questions) is copied from test."""

from __future__ import annotations

import subprocess
import sys

from assistant.config import PROJECT_ROOT


def test_no_item_leaks_between_the_splits():
    proc = subprocess.run([sys.executable, "scripts/check_splits.py"], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "0 leak(s) between splits" in proc.stdout
