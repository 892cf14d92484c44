"""The command line: parse flags, call the library, print, write. No arithmetic of its own.

Bad input ends with one line on stderr and exit status 2 (`CapplanError`); nothing is written.
One module per command registers it on the shared Typer `app` (`common.py`).
"""

from __future__ import annotations

import os
import sys

from capplan.cli import analyze as _analyze  # noqa: F401 - registers the command
from capplan.cli import capacity as _capacity  # noqa: F401
from capplan.cli import fleet as _fleet  # noqa: F401
from capplan.cli import forecast as _forecast  # noqa: F401
from capplan.cli import usl as _usl  # noqa: F401
from capplan.cli.common import app
from capplan.errors import CapplanError

__all__ = ["app", "main"]


def main() -> None:
    try:
        code = app(standalone_mode=False)  # usage errors come back here, to print on one line
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
