"""`print_table`: a rich table on the terminal that never cuts a number nor breaks a header
word, whatever the terminal's width (rich alone would ellipsize or fold cells to fit)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

FOLD = 20  # a name (an event's, a model's) longer than this folds onto the next line


def print_table(console: Console, table: Table) -> None:
    """Print `table` without cutting a number or breaking a header word (rich would fold or
    ellipsize cells to fit the terminal: `1,302,137,…`, `scenar` / `io`). A number is one word
    and a column is at least as wide as its longest word (a no_wrap column: its whole cell);
    text wraps at spaces; a name (a left-aligned column's cell) folds past FOLD characters.
    When that is wider than the terminal the columns are one space apart, then names fold
    down to their header's width; when it is still wider, the table is printed at the
    width it needs (the terminal wraps its lines): a number is never cut."""
    from rich.measure import Measurement

    wide = console.options.update_width(10**6)
    heads, lows, highs, names = [], [], [], []
    for col in table.columns:
        name = col.justify == "left" and not col.no_wrap
        if name:
            col.overflow = "fold"
        m = Measurement.get(console, wide, col.header)
        head = m.maximum if col.no_wrap else m.minimum
        low, high = head, m.maximum
        for cell in col.cells:
            m = Measurement.get(console, wide, cell)
            word = m.maximum if col.no_wrap else m.minimum
            low = max(low, min(word, FOLD) if name else word)
            high = max(high, m.maximum)
        heads.append(head)
        lows.append(low)
        highs.append(max(high, low))
        names.append(name)

    def room() -> int:  # the terminal's width less the borders and padding
        for col in table.columns:
            col.width = 1
        return console.width - Measurement.get(console, wide, table).maximum + len(lows)

    left = room()
    if sum(lows) > left:  # one space between columns
        table.padding = (0, 0)
        left = room()
    over = sum(lows) - left
    for i in (i for i, name in enumerate(names) if name and over > 0):
        cut = min(over, lows[i] - heads[i])
        lows[i] -= cut
        over -= cut
    if sum(highs) <= left:
        widths = highs
    elif sum(lows) <= left:
        # the room past the words goes to the columns that wrap, as far as their longest line
        spare, slack = left - sum(lows), [h - lo for lo, h in zip(lows, highs)]
        widths = [lo + spare * s // sum(slack) for lo, s in zip(lows, slack)]
    else:
        widths = lows
    need = console.width - left + sum(widths)
    for col, w in zip(table.columns, widths):
        col.width = w
    if need <= console.width:
        console.print(table)
        return
    from rich.segment import Segments

    lines = console.render(table, console.options.update_width(need))
    console.print(Segments(lines), crop=False, soft_wrap=True)
