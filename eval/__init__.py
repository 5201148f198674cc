"""Evaluation suite of Pacte Assistant (`pacte eval`): deterministic scores of any system's answers.

- eval/schemas.py: gold datasets and output formats (pydantic, validated on load)
- eval/normalize.py, eval/metrics.py: key-fact normalisation and pure metric functions
- eval/scoring.py: gold + outputs + corpus files -> per-item scores and summary.json
- eval/compare.py, eval/report.py: run comparison and the self-contained HTML report
- eval/runner.py, eval/cli.py: running systems, the regression gate (eval/thresholds.yaml), the CLI
"""
