"""Every `capplan` command in the README's examples runs as written (on the frozen day TODAY),
writing into a temporary folder, without the PDF, workbook and HTML (their rendering has its own
tests). In one process (the CLI app through typer's runner): the imports are paid once."""
import re
import shlex

import pytest

from conftest import DATA, ROOT, TODAY


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    commands = []
    for block in re.findall(r"```\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            # capplan fleet's examples exit 1 by design (one export of the folder holds two
            # series): test_fleet_cli runs them with that rule and checks fleet.json.
            if line.startswith("capplan ") and not line.startswith("capplan fleet "):
                commands.append(line)
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_examples():
    assert len(COMMANDS) >= 10 and any("--throughput-unit hour" in c for c in COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=range(len(COMMANDS)))
def test_readme_example_runs(command, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from capplan.cli import app

    args = shlex.split(command)[1:]
    if any("../shared/data" in a for a in args) and not DATA.exists():
        pytest.skip("shared data not present")
    extra = ["--out", str(tmp_path)] + (["--no-report"] if args[0] != "analyze" else [])
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("CAPPLAN_TODAY", TODAY)
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 0, f"{command}: {result.exception!r} {result.output[-500:]}"
    written = {"analyze": "analysis.json", "usl": "usl.json",
               "capacity": "capacity.json"}.get(args[0], "plan.json")
    assert (tmp_path / written).exists()
