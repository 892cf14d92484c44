"""Numbers in the engine's sentences. Pure; no I/O."""


def plain(x: float, digits: int = 6) -> str:
    """`x` to `digits` significant digits as `format(x, ",.6g")` gives it, but a number of a
    million or more in plain digits (245,126,123, not 2.45126e+08): the sentences go to the
    page, the terminal and the JSON as they are."""
    if abs(x) >= 10 ** digits and abs(x) != float("inf"):
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}"


def rate(x: float) -> str:
    """A rate as the reports print it (`outputs.fmt.rate`): whole from 100 up, two decimals from
    1, three significant digits below; so a sentence and the table beside it give one number
    (the recommended rate limit 500, not 500.2 in one place and 500 in the other)."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return plain(x, 3)


def duration(seconds: float) -> str:
    """A response, wait or service time in words: 250 ms, 1.84 s, 40 s, 1,234 s; a wait under a
    microsecond is "under 0.001 ms" (M/M/c's mean wait far below saturation is ~1e-16 s, which
    as a number would read 5.89e-13 ms)."""
    if seconds >= 1:
        return f"{seconds:,.3g} s" if seconds < 1000 else f"{seconds:,.0f} s"
    ms = seconds * 1000
    if ms <= 0:
        return "0 ms"
    if ms < 0.001:
        return "under 0.001 ms"
    return f"{ms:,.4g} ms"
