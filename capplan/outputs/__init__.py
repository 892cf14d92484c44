"""Outputs: the only stage that writes. Each writer turns the immutable results into files or text.

- `json.py`: the versioned contract (`schema: 1`), `plan.json`, `analysis.json`, `usl.json`.
- `terminal.py`: the rich summary printed by the CLI.
- `atomic.py`: writes a set of files together or not at all.
- `charts.py`, `pdf.py`, `workbook.py`, `html.py`: the report files.
"""
