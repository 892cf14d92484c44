"""The command line: parse flags, call the library, print, write. No arithmetic of its own.

Bad input ends with one line on stderr and exit status 2 (`CapplanError`); nothing is written.
One module per command registers it on the shared Typer `app` (`common.py`).
"""

from __future__ import annotations

import os
import sys

from capplan.cli import analyze as _analyze  # noqa: F401 - registers the command
from capplan.cli import forecast as _forecast  # noqa: F401
from capplan.cli import usl as _usl  # noqa: F401
from capplan.cli.common import app
from capplan.errors import CapplanError

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except CapplanError as exc:
        print(f"capplan: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("capplan: interrupted; nothing written", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, and the traceback on request
        if os.environ.get("CAPPLAN_DEBUG"):
            raise
        print(f"capplan: internal error: {type(exc).__name__}: {exc} (nothing written; rerun "
              "with CAPPLAN_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
