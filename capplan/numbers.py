"""Numbers in the engine's sentences. Pure; no I/O."""


def plain(x: float, digits: int = 6) -> str:
    """`x` to `digits` significant digits as `format(x, ",.6g")` gives it, but a number of a
    million or more in plain digits (245,126,123, not 2.45126e+08): the sentences go to the
    page, the terminal and the JSON as they are."""
    if abs(x) >= 10 ** digits and abs(x) != float("inf"):
        return f"{x:,.0f}"
    return f"{x:,.{digits}g}"
