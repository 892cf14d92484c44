"""The one exception type users see.

A `CapplanError` carries a one-line message that names the file, row or column at fault and says
what to do about it. The CLI prints it on one line and exits with status 2; anything else that
escapes is a bug.
"""


class CapplanError(Exception):
    """A user-facing, one-line error: what is wrong, where, and how to fix it."""

    def __init__(self, message: str) -> None:
        # Keep it to one line whatever the caller passed: the CLI promises a one-line error.
        super().__init__(" ".join(str(message).split()))

    @property
    def message(self) -> str:
        return str(self)
