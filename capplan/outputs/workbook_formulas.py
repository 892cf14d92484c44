"""The workbook's formulas: capplan's sizing rule (capacity.py) written as spreadsheet formulas over
the named cells of the Inputs sheet, so that a recalculated workbook reproduces every number of the
plan and follows any edit.

A table is a row of named columns (`Columns`); a formula is a template whose `{name}` fields are the
same row's cells and `{prev_name}` the row above. `sizing` adds the columns that turn a peak into
instances: one fleet (normal running at the binding per-instance limit, the survivors of the loss
at the degraded utilization, z per zone in each of Z zones plus k spares), or, with a scale-out USL
fit, cells past what one fleet up to N* carries.

Names used (defined on the Inputs sheet): current_peak, per_instance_limit, target_utilization,
usable_per_instance, degraded_utilization, zones, spare, redundant (1 when zones > 1 or spare > 0),
usl_sigma, usl_kappa, usl_lambda, usl_n_max, cell_overhead, cell_capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EPS = "1E-9"  # capacity.EPS: a peak on an exact multiple of the usable rate needs no extra instance


def col_letter(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class Column:
    name: str
    header: str
    template: str | None  # None: a value written by the caller
    number_format: str | None = None
    width: float = 12
    kind: str = "formula"  # formula | input | printed (capplan's number, for comparison) | helper


@dataclass
class Columns:
    """The columns of one table, left to right from `first` (1 = A)."""

    first: int = 1
    cols: list[Column] = field(default_factory=list)
    _at: dict = field(default_factory=dict)
    _compiled: dict = field(default_factory=dict)

    def add(self, name: str, header: str, template: str | None = None, number_format=None,
            width: float = 12, kind: str = "formula") -> Column:
        if name in self._at:
            raise ValueError(f"column {name} twice")
        c = Column(name, header, template, number_format, width, kind)
        self._at[name] = self.first + len(self.cols)
        self.cols.append(c)
        self._compiled.clear()
        return c

    def index(self, name: str) -> int:
        return self._at[name]

    def letter(self, name: str) -> str:
        return col_letter(self.index(name))

    def ref(self, name: str, row: int) -> str:
        return f"{self.letter(name)}{row}"

    def fill(self, template: str, row: int) -> str:
        """The template at `row`: the column letters are resolved once per template, the row
        numbers per call (a workbook has thousands of rows)."""
        parts = self._compiled.get(template)
        if parts is None:
            parts = template.format_map(_Refs(self)).split("\x00")
            self._compiled[template] = parts
        if len(parts) == 1:
            return parts[0]
        this, prev = str(row), str(row - 1)
        out = [parts[0]]
        for piece in parts[1:]:
            out.append(prev + piece[1:] if piece[:1] == "\x01" else this + piece)
        return "".join(out)


class _Refs(dict):
    """Column letters followed by a row marker: \\x00 this row, \\x00\\x01 the row above."""

    def __init__(self, cols: Columns):
        super().__init__()
        self.cols = cols

    def __missing__(self, key: str) -> str:
        if key.startswith("prev_"):
            return self.cols.letter(key[5:]) + "\x00\x01"
        return self.cols.letter(key) + "\x00"


def usl_x(n: str) -> str:
    """X(N) of the scale-out fit, Gunther's equation."""
    return (f"(usl_lambda*({n})/(1+usl_sigma*(({n})-1)+usl_kappa*({n})*(({n})-1)))")


def _usl_root(x: str) -> str:
    """N(X): the smaller N with X(N) = x (usl.USL.concurrency_at_throughput), "" past X(N*) or
    when x is blank."""
    b = f"({x}*usl_sigma-{x}*usl_kappa-usl_lambda)"
    disc = f"({b}^2-4*{x}*usl_kappa*{x}*(1-usl_sigma))"
    return (f'=IF(NOT(ISNUMBER({x})),"",IF(usl_kappa=0,IF(usl_lambda-{x}*usl_sigma<=0,"",'
            f'{x}*(1-usl_sigma)/(usl_lambda-{x}*usl_sigma)),IF({disc}<0,"",(-{b}-SQRT({disc}))/'
            f'(2*{x}*usl_kappa))))')


def _usl_fewest(cols: Columns, p: str, peak: str, divisor: str, key: str, label: str) -> str:
    """Columns for usl.USL.instances_for(peak / divisor, limit=N*): the fewest N with X(N) >= it,
    never past N* ("" when none, or when the peak is blank: no alternative, say); returns the
    result column's name."""
    # A blank peak stays blank all along the row: "" fed into arithmetic is #VALUE!.
    cols.add(f"{p}x_{key}", f"X needed, {label}",
             f'=IF(ISNUMBER({peak}),{peak}/{divisor},"")', "#,##0.0", kind="helper")
    cols.add(f"{p}root_{key}", f"N(X), {label}", _usl_root("{" + f"{p}x_{key}" + "}"), "0.000",
             kind="helper")
    xr, root = "{" + f"{p}x_{key}" + "}", "{" + f"{p}root_{key}" + "}"
    cols.add(f"{p}cand_{key}", f"ceil N(X), {label}",
             f'=IF(ISNUMBER({root}),MAX(1,ROUNDUP({root}-{EPS},0)),"")', "0", kind="helper")
    c = "{" + f"{p}cand_{key}" + "}"
    # one step up when rounding left X(N) a hair short (the engine's loop, which never needs more)
    bumped = f"IF({usl_x(c)}<{xr}*(1-1E-12),{c}+1,{c})"
    cols.add(f"{p}n_{key}", f"instances, {label}",
             f'=IF(NOT(ISNUMBER({xr})),"",IF({xr}<=0,0,IF({xr}<=usl_lambda,1,IF(ISNUMBER({c}),'
             f'IF({bumped}>usl_n_max,"",{bumped}),""))))', "0", kind="helper")
    return f"{p}n_{key}"


def _fleet(cols: Columns, p: str, peak: str, usl: bool, label: str) -> str:
    """Columns for CapacityModel.fleet_layout(peak): one fleet ("" past N*); returns its name."""
    if usl:
        normal = _usl_fewest(cols, p, peak, "target_utilization", "normal", f"normal{label}")
        survive = _usl_fewest(cols, p, peak, "degraded_utilization", "loss", f"after loss{label}")
    else:
        normal, survive = f"{p}n_normal", f"{p}n_loss"
        cols.add(normal, f"instances, normal running{label}",
                 f'=IF(NOT(ISNUMBER({peak})),"",IF({peak}<=0,0,MAX(1,ROUNDUP({peak}/'
                 f'usable_per_instance-{EPS},0))))', "0", kind="helper")
        cols.add(survive, f"instances, after the loss{label}",
                 f'=IF(NOT(ISNUMBER({peak})),"",IF({peak}<=0,0,MAX(1,ROUNDUP({peak}/'
                 f'(per_instance_limit*degraded_utilization)-{EPS},0))))', "0", kind="helper")
    n, d = "{" + normal + "}", "{" + survive + "}"
    cols.add(f"{p}per_zone", f"per zone{label}",
             f'=IF(OR(NOT(ISNUMBER({n})),AND(redundant=1,NOT(ISNUMBER({d})))),"",'
             f"IF(redundant=1,IF(zones>1,ROUNDUP({d}/(zones-1),0),{d}),{n}))", "0", kind="helper")
    z = "{" + f"{p}per_zone" + "}"
    fleet = (f"IF(zones*{z}+spare<{n},zones*ROUNDUP(({n}-spare)/zones,0)+spare,zones*{z}+spare)")
    limit = f"IF({fleet}>usl_n_max,\"\",{fleet})" if usl else fleet
    cols.add(f"{p}fleet", f"one fleet{label}", f'=IF(ISNUMBER({z}),{limit},"")', "0",
             kind="helper")
    return f"{p}fleet"


def sizing(cols: Columns, peak_col: str, *, usl: bool, prefix: str = "") -> dict:
    """Add the columns that size `peak_col`; returns the names of the results: instances, cells,
    cell_size, utilization, utilization_after_loss."""
    p = prefix
    peak = "{" + peak_col + "}"
    fleet = "{" + _fleet(cols, p, peak, usl, "") + "}"
    if usl:
        cols.add(f"{p}cells", "cells", f'=IF(ISNUMBER({fleet}),"",MAX(1,ROUNDUP({peak}/'
                 f'cell_capacity-{EPS},0)))', "0")
        cells = "{" + f"{p}cells" + "}"
        cols.add(f"{p}share", "peak a cell carries", f"=IF(ISNUMBER({cells}),{peak}/{cells},{peak})",
                 "#,##0.0", kind="helper")
        cfleet = "{" + _fleet(cols, f"{p}c_", "{" + f"{p}share" + "}", usl, " (a cell)") + "}"
        cols.add(f"{p}cell_size", "cell size", f'=IF(ISNUMBER({cells}),{cfleet}+cell_overhead,"")',
                 "0")
        size = "{" + f"{p}cell_size" + "}"
        cols.add(f"{p}instances", "instances",
                 f'=IF(ISNUMBER({fleet}),{fleet},IF(ISNUMBER({size}),{cells}*{size},""))',
                 "#,##0")
        cols.add(f"{p}serving", "serving instances (a fleet or a cell)",
                 f"=IF(ISNUMBER({fleet}),{fleet},{cfleet})", "0", kind="helper")
        share = "{" + f"{p}share" + "}"
    else:
        cols.add(f"{p}instances", "instances", f"={fleet}", "#,##0")
        cols.add(f"{p}serving", "serving instances", f"={fleet}", "0", kind="helper")
        share = peak
    serving = "{" + f"{p}serving" + "}"
    cols.add(f"{p}survivors", "survivors of the loss",
             f'=IF(AND(redundant=1,ISNUMBER({serving})),IF(zones>1,(zones-1)*({serving}-spare)'
             f'/zones,({serving}-spare)/zones),"")', "0", kind="helper")
    surv = "{" + f"{p}survivors" + "}"

    def full(n):
        return usl_x(n) if usl else f"(({n})*per_instance_limit)"

    cols.add(f"{p}utilization", "utilization, normal running",
             f'=IF(N({serving})>0,{share}/{full(serving)},"")', "0.0%")
    cols.add(f"{p}utilization_after_loss", "utilization after the loss",
             f'=IF(AND(ISNUMBER({surv}),N({surv})>0),{share}/{full(surv)},"")', "0.0%")
    return {"instances": f"{p}instances", "cells": f"{p}cells" if usl else None,
            "cell_size": f"{p}cell_size" if usl else None, "utilization": f"{p}utilization",
            "utilization_after_loss": f"{p}utilization_after_loss"}


def alternative(cols: Columns, peak_col: str, cells_col: str, instances_col: str) -> None:
    """The cell alternative for a given number of cells (capplan's search finds the count; the
    size, instances and saving follow from it by the sizing rule)."""
    peak, cells = "{" + peak_col + "}", "{" + cells_col + "}"
    cols.add("alt_share", "alternative: peak a cell carries",
             f'=IF(ISNUMBER({cells}),{peak}/{cells},"")', "#,##0.0", kind="helper")
    fleet = "{" + _fleet(cols, "alt_", "{alt_share}", True, " (alternative cell)") + "}"
    cols.add("alt_cell_size", "alternative: cell size",
             f'=IF(AND(ISNUMBER({cells}),ISNUMBER({fleet})),{fleet}+cell_overhead,"")', "0")
    cols.add("alt_instances", "alternative: instances",
             f'=IF(ISNUMBER({{alt_cell_size}}),{cells}*{{alt_cell_size}},"")', "#,##0")
    cols.add("alt_saving", "alternative: saving",
             f'=IF(ISNUMBER({{alt_instances}}),1-{{alt_instances}}/{{{instances_col}}},"")', "0%")


def carried_by(n: str, usl: bool) -> str:
    """CapacityModel._carried_by_lattice(n) as one formula: the highest peak n instances carry as
    one fleet at the normal limit, with the survivors of the loss at the degraded utilization."""
    z = f"IF(redundant=1,INT((({n})-spare)/zones),({n}))"
    total = f"(zones*{z}+spare)"
    surv = f"IF(zones>1,(zones-1)*{z},{z})"
    if usl:
        normal = f"{usl_x(total)}*target_utilization"
        loss = f"{usl_x(surv)}*degraded_utilization"
    else:
        normal = f"{total}*usable_per_instance"
        loss = f"{surv}*per_instance_limit*degraded_utilization"
    return f"IF({z}<=0,0,IF(redundant=1,MIN({normal},{loss}),{normal}))"
