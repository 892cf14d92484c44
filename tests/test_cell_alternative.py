"""The cell alternative is the cheapest layout in more cells, checked against a brute-force search
over every cell count and cell size written here from Gunther's equation."""
import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from capplan.capacity import build_capacity
from capplan.growth import fixed_growth
from capplan.plan import build_plan
from capplan.usl import USL

SIGMA, KAPPA, LAMBDA = 0.05, 0.001, 100.0  # inputs/scaleout_usl.csv: N* = 30.8


def x(n):
    return LAMBDA * n / (1 + SIGMA * (n - 1) + KAPPA * n * (n - 1))


def cheapest(peak, more_than, target=0.6):
    """(instances, cells, size): the fewest instances in more than `more_than` cells, each the
    smallest fleet (1..30) whose X(n) x target carries its share; ties to fewer cells."""
    best = None
    for cells in range(more_than + 1, 400):
        size = next((n for n in range(1, 31) if target * x(n) >= peak / cells), None)
        if size is not None and (best is None or cells * size < best[0]):
            best = (cells * size, cells, size)
    return best


def test_the_alternative_is_the_cheapest_not_the_first_that_saves_enough():
    cap = build_capacity(planning_peak=None, fleet_usl=USL(SIGMA, KAPPA, LAMBDA))
    peak = 785.3  # month 6 of `capplan plan --peak 586 --growth 5%/month`
    lay = cap.layout_for(peak)
    # Two cells of 11: 0.6 X(11) = 0.6 x 100 x 11 / (1.5 + 0.11) = 409.9 >= 392.65 > 0.6 X(10).
    assert (lay.cells, lay.cell_size, lay.instances) == (2, 11, 22)
    alt = cap.cell_alternative(peak, lay)
    # 7 cells of 2 carry 7 x 0.6 x 190.1 = 798.5 >= 785.3 (4 cells of 4 need 16; 14 of 1 tie
    # at 14 with more cells).
    assert cheapest(peak, 2) == (14, 7, 2)
    assert (alt.instances, alt.cells, alt.cell_size) == (14, 7, 2)
    assert alt.saving == 1 - 14 / 22
    for p in (615.3, 646.1, 678.4, 712.3, 747.9, 1000.0, 1500.0):
        lay = cap.layout_for(p)
        alt = cap.cell_alternative(p, lay)
        want = cheapest(p, lay.cells or 1)
        if want[0] <= 0.75 * lay.instances:
            assert (alt.instances, alt.cells, alt.cell_size) == want, p
        else:
            assert alt is None, p


def test_the_note_says_more_cells_when_the_plan_already_uses_cells():
    cap = build_capacity(planning_peak=None, fleet_usl=USL(SIGMA, KAPPA, LAMBDA))
    start = dt.date(2026, 1, 1)
    fc = fixed_growth(pd.Timestamp(start), 586, 6, 0.05)
    plan = build_plan(start=start, planning_peak=586, capacity=cap, forecast=fc, months=6)
    note = next(n for n in plan.notes if "would save" in n)
    # The largest saving: month 6, 14 of 22 = 36%.
    assert note.startswith("more, smaller cells would save 36% in month 6: 7 cells of 2 "
                           "(14 instances) instead of 2 cells of 11 (22 instances)"), note


@settings(max_examples=60, deadline=None, derandomize=True)
@given(sigma=st.floats(0.0, 0.2), kappa=st.floats(1e-4, 5e-3), lam=st.floats(1, 1000),
       share=st.floats(0.05, 6.0), overhead=st.integers(0, 2))
def test_the_alternative_is_never_beaten_by_any_cell_count(sigma, kappa, lam, share, overhead):
    """No redundancy, so each cell is the smallest n <= N* with 0.6 X(n) >= its share (Gunther's
    equation written here), plus the overhead: no cell count beats the alternative."""
    usl = USL(sigma, kappa, lam)
    cap = build_capacity(planning_peak=None, fleet_usl=usl, cell_overhead=overhead)
    n_max = usl.n_max()
    peak = share * 0.6 * usl.throughput(n_max)
    lay = cap.layout_for(peak)

    def xs(n):
        return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))

    options = []
    for cells in range((lay.cells or 1) + 1, (lay.cells or 1) + 201):
        size = next((n for n in range(1, n_max + 1) if 0.6 * xs(n) * (1 + 1e-12) >= peak / cells),
                    None)
        if size is not None:
            options.append((cells * (size + overhead), cells))
    alt = cap.cell_alternative(peak, lay)
    best = min(options) if options else None
    if best is None or best[0] > 0.75 * lay.instances + 1e-9:
        assert alt is None
    else:
        assert (alt.instances, alt.cells) == best
