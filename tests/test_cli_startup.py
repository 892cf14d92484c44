"""The command line's start-up: one run builds only the command it names, and answers exactly as
the whole app would; the progress reporter imports rich only where a terminal may be listening."""
import io
import os
import subprocess
import sys

import pytest
import typer.main
from rich.console import Console

from capplan import progress
from capplan.cli import app, app_for
from conftest import ROOT

COMMANDS = ["analyze", "forecast", "plan", "usl", "capacity", "fleet"]


@pytest.fixture
def built(monkeypatch):
    """The names of the commands Typer turns into Click commands during a run."""
    names = []
    real = typer.main.get_command_from_info

    def recording(command_info, **kwargs):
        command = real(command_info, **kwargs)
        names.append(command.name)
        return command

    monkeypatch.setattr(typer.main, "get_command_from_info", recording)
    return names


def test_the_app_registers_the_six_commands():
    # The lists below must name every command, or the comparisons would miss one.
    names = [c.name or typer.main.get_command_name(c.callback.__name__)
             for c in app.registered_commands]
    assert sorted(names) == sorted(COMMANDS)


def test_a_run_builds_only_the_command_it_names(cli, built, tmp_path):
    code, out, err = cli("usl", "--sigma", "0.1", "--kappa", "0.001", "--lambda", "100")
    assert code == 0, err
    assert built == ["usl"]
    built.clear()
    code, out, _ = cli("analyze", ROOT / "inputs" / "nyc_taxi.csv", "-o", tmp_path, "-q")
    assert code == 0 and built == ["analyze"] and (tmp_path / "analysis.json").exists()
    built.clear()
    code, out, _ = cli("forecast", "--help")
    assert code == 0 and built == ["forecast"] and "capplan forecast [OPTIONS]" in out


def test_the_root_help_and_misspelt_commands_still_see_every_command(cli, built):
    code, out, _ = cli("--help")
    assert code == 0 and sorted(built) == sorted(COMMANDS)
    for name in COMMANDS:
        assert name in out
    built.clear()
    code, _, err = cli("analyz", "x")
    assert code == 2 and "Did you mean 'analyze'?" in err and sorted(built) == sorted(COMMANDS)


@pytest.mark.parametrize("args", [[], ["--help"], ["--version"], ["--version", "analyze"],
                                  ["-h"], ["analyz"], ["bogus", "plan"], ["--bogus"]])
def test_anything_but_a_command_name_first_gets_the_whole_app(args):
    assert app_for(args) is app


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_name_first_gets_that_command_alone(name):
    one = app_for([name, "--bogus"])
    assert one is not app and [c.callback for c in one.registered_commands] == \
        [c.callback for c in app.registered_commands
         if typer.main.get_command_name(c.callback.__name__) == name]
    assert len(app.registered_commands) == len(COMMANDS)  # the shared app is left whole


CASES = [*([c, "--help"] for c in COMMANDS), *([c, "--bogus"] for c in COMMANDS),
         *([c] for c in COMMANDS), ["analyze", "--version"], ["plan", "--peak", "x"],
         ["plan", "--months", "x", "--peak", "3"], ["analyze", "a.csv", "extra"],
         ["analyze", "a.csv", "--time-column"], ["usl", "--sigma", "0.1"]]


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_one_command_answers_word_for_word_as_the_whole_app(cli, monkeypatch, args):
    # Help, usage errors and their exit codes, with one command built and with all six.
    alone = cli(*args)
    monkeypatch.setattr("capplan.cli.app_for", lambda argv: app)
    whole = cli(*args)
    assert alone == whole
    assert alone[1] + alone[2]  # something was said, so the comparison compared something


STREAMS = {"pipe": io.StringIO, "tty": lambda: _Tty(), "closed": lambda: _closed()}


class _Tty(io.StringIO):
    def isatty(self):
        return True


def _closed():
    s = io.StringIO()
    s.close()
    return s


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("tty_compatible", [None, "", "0", "1", "x"])
@pytest.mark.parametrize("force_color", [None, "", "1"])
def test_the_shortcut_never_contradicts_rich(stream, tty_compatible, force_color):
    # Where the reporter skips rich, rich itself would have found no terminal.
    environ = {k: v for k, v in (("TTY_COMPATIBLE", tty_compatible),
                                 ("FORCE_COLOR", force_color)) if v is not None}
    s = STREAMS[stream]()
    if not progress._may_be_terminal(environ, s):
        assert not Console(file=s, _environ=environ).is_terminal
    if stream == "tty" and tty_compatible != "0":
        assert progress._may_be_terminal(environ, s)


def test_json_and_quiet_runs_off_a_terminal_do_not_import_rich(tmp_path):
    code = ("import sys\nfrom capplan.cli import main\n"
            f"sys.argv = ['capplan', 'analyze', {str(ROOT / 'inputs' / 'nyc_taxi.csv')!r}, "
            f"'-o', {str(tmp_path)!r}, sys.argv[1]]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print('rich' in sys.modules, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    for flag in ("--json", "--quiet"):
        r = subprocess.run([sys.executable, "-c", code, flag], capture_output=True, text=True,
                           env=env, stdin=subprocess.DEVNULL, timeout=120)
        assert r.returncode == 0 and r.stderr.strip() == "False", r.stderr
    assert (tmp_path / "analysis.json").exists()
