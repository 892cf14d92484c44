"""The command line: parse flags, call the library, print, write. No arithmetic of its own.

Bad input ends with one line on stderr and exit status 2 (`CapplanError`); nothing is written.
One module per command registers it on the shared Typer `app` (`common.py`).
"""

from __future__ import annotations

import copy
import os
import sys

from capplan.cli import analyze as _analyze  # noqa: F401 - registers the command
from capplan.cli import capacity as _capacity  # noqa: F401
from capplan.cli import fleet as _fleet  # noqa: F401
from capplan.cli import forecast as _forecast  # noqa: F401
from capplan.cli import usl as _usl  # noqa: F401
from capplan.cli.common import app
from capplan.errors import CapplanError

__all__ = ["app", "main", "run"]


def run() -> None:
    """The command line as the console script runs it (`capplan.startup.console`, which sets the
    process up first): `main()`, then `leave` with its exit status. (`main` itself ends with
    SystemExit, as notebooks and the tests call it.)"""
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    leave(code)


def leave(code) -> None:
    """Exit with `code` as `sys.exit` would, without the interpreter's teardown: with pandas and
    pyarrow loaded it frees their modules one by one for about a quarter of a second (as long as
    `capplan analyze` takes to read a year of minutes), and a finished run needs none of it: every
    output is written, closed and renamed into place by then. What a normal exit does that matters
    still happens: the atexit handlers run (temporary folders, logging, dask, the browser's
    cleanup) and the streams are flushed. A thread still at work (not a daemon) and an exit with a
    message get the normal exit."""
    import atexit
    import threading

    workers = [t for t in threading.enumerate()
               if t is not threading.main_thread() and not t.daemon and t.is_alive()]
    if workers or not (code is None or isinstance(code, int)):
        sys.exit(code)
    atexit._run_exitfuncs()  # run once and cleared, as at a normal exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a reader that went away: Python's own exit reports it
        sys.exit(code)
    os._exit(code or 0)


def main() -> None:
    try:
        # usage errors come back here, to print on one line
        code = app_for(sys.argv[1:])(standalone_mode=False)
    except CapplanError as exc:
        print(f"capplan: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:  # noqa: BLE001 - a usage error, or a bug
        if _is_click_error(exc):
            _usage_error(exc)
        if os.environ.get("CAPPLAN_DEBUG"):
            raise
        print(f"capplan: internal error: {type(exc).__name__}: {str(exc)[:200]} (nothing written; "
              "rerun with CAPPLAN_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        sys.exit(1)
    if code == 130:
        print("capplan: interrupted; nothing written", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)


def app_for(args: list[str]):
    """The app that parses `args`: `app` itself, or when the first argument names a command, a
    copy of it holding only that command.

    Typer turns every registered command into a Click command (reading each one's parameters and
    their annotations) before it parses a word; for one run that is most of the start-up. The
    root takes no argument and only eager options (--help, --version), so when the first argument
    is a command's name nothing before it can change how the rest is parsed, and the group with
    that one command parses, helps and errs word for word as the whole one. Anything else (no
    argument, --help, --version, a misspelt command) gets the whole app: its help lists every
    command and its errors suggest the nearest name. Built afresh on every call: nothing is kept
    between runs."""
    from typer.main import get_command_name

    if not args:
        return app
    chosen = [c for c in app.registered_commands
              if (c.name or get_command_name(c.callback.__name__)) == args[0]]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    return one


def _is_click_error(exc: BaseException) -> bool:
    # Typer raises Click's exceptions (vendored in recent Typer): matched by name, not module.
    return any(c.__name__ == "ClickException" for c in type(exc).__mro__)


def _usage_error(exc) -> None:
    """A flag Typer cannot parse (`--months x`, `--bogus`): one line and exit 2, like ours."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `capplan plan` alone: the help, as before
        exc.show()
        sys.exit(exc.exit_code)
    ctx = getattr(exc, "ctx", None)
    where = f" (see {ctx.command_path} --help)" if ctx is not None else ""
    # Typer 0.28 names the type "int"; the word a user reads is "integer".
    text = exc.format_message().replace(" is not a valid int.", " is not a valid integer.")
    message = CapplanError(text + where)
    print(f"capplan: error: {message}", file=sys.stderr)
    sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
