"""README's notebook section runs as written, and says what it shows."""
import json
import math
import os
import re


from conftest import ROOT


def notebook_code() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## From a notebook or another program", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


def test_readme_notebook_section_runs(tmp_path, monkeypatch):
    (tmp_path / "inputs").symlink_to(ROOT / "inputs")
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(notebook_code(), "README.md (notebook section)", "exec"), names)
    # What its comments promise, checked by hand or against the written file.
    month5 = names["w"].months.query("scenario == 'nominal' and month == 5").iloc[0]
    assert round(month5["peak"]) == 16105 and month5["instances"] == math.ceil(16105.1 / 750) == 22
    written = tmp_path / "outputs" / "notebook" / "plan.json"
    assert written.read_text() == names["p"].to_json()
    assert [r["name"] for r in json.loads(written.read_text())["events"]] == ["launch"]
    summary = names["a"].summary().set_index("statistic")["value"]
    assert summary["peak"] == names["df"]["value"].max()
    assert list(names["u"].summary()["coefficient"]) == ["sigma", "kappa", "lambda"]
    visible = [n for n in os.listdir(tmp_path / "outputs" / "notebook") if not n.startswith(".")]
    assert visible == ["plan.json"]  # reports=False: the JSON alone
