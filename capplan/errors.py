"""The one exception type users see, and a helper to keep its messages short.

A `CapplanError` carries a one-line message that names the file, row or column at fault and says
what to do about it. The CLI prints it on one line and exits with status 2; anything else that
escapes is a bug.

Messages are capped at `MAX_MESSAGE` characters: a file with 40,000 column names must not produce
a 100 KB error line. Call sites that list names use `name_list`, which keeps the list short and
says how many it left out; the cap in `CapplanError` is the safety net behind it.
"""

from __future__ import annotations

from collections.abc import Iterable

# With the CLI's "capplan: error: " prefix a line stays under about 300 characters.
MAX_MESSAGE = 280
_ELLIPSIS = " ... "


def _shorten(text: str, width: int) -> str:
    """Cut the middle out of an over-long text: its start names the problem and its end usually
    says how to fix it, so both are kept."""
    if len(text) <= width:
        return text
    head = (width - len(_ELLIPSIS)) * 2 // 3
    tail = width - len(_ELLIPSIS) - head
    return text[:head] + _ELLIPSIS + (text[-tail:] if tail > 0 else "")


def name_list(names: Iterable[object], limit: int = 5, *, width: int = 40) -> str:
    """The first `limit` names joined by commas, then "and N more" for the rest.

    `name_list(["a", "b", "c"])` is "a, b, c"; with 17 names and `limit=3` it is
    "a, b, c and 14 more". Each name is cut to `width` characters (a 10 KB header cell is still
    one name). An empty list gives "(none)".
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    items = [" ".join(str(n).split()) for n in names]
    if not items:
        return "(none)"
    shown = [_shorten(n, width) for n in items[:limit]]
    rest = len(items) - len(shown)
    return ", ".join(shown) + (f" and {rest} more" if rest else "")


class CapplanError(Exception):
    """A user-facing, one-line error: what is wrong, where, and how to fix it."""

    def __init__(self, message: str) -> None:
        # One line whatever the caller passed, and a bounded one: the CLI promises a short
        # one-line error.
        super().__init__(_shorten(" ".join(str(message).split()), MAX_MESSAGE))

    @property
    def message(self) -> str:
        return str(self)


class CapplanBug(RuntimeError):
    """Something capplan computed is impossible (a NaN where a plan needs a number) although its
    inputs met every rule: a bug to report, not the user's to fix. The CLI says so, exit 1."""
