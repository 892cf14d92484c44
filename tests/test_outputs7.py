"""Output defects from a fresh-eyes trial: error values in a recalculated scale-out workbook,
shown month costs that do not add up to the shown total, numbers cut off in terminal tables,
headers broken inside a word, the PDF month table's blank-versus-dash, and the usl summary's
throughputs without a unit."""
import datetime as dt
import json
import math
import shutil
from pathlib import Path

import pytest

from conftest import ROOT

TODAY = dt.date(2026, 11, 24)
ERRORS = ("#VALUE!", "#DIV/0!", "#NAME?", "#REF!", "#N/A", "#NUM!", "#NULL!", "Err:")
soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")


def _usl_x(n, sigma=0.05, kappa=0.001, lam=100.0):
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))


# ---- 1. no error values in a recalculated workbook ---------------------------------------------

@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The trial's scale-out plan (the peak past what one fleet of N* carries from month 1, no
    cell alternative in month 1) and plans of other shapes, recalculated in one call."""
    from test_workbook import recalc, what_if

    tmp = tmp_path_factory.mktemp("o7books")
    usl = str(ROOT / "inputs" / "scaleout_usl.csv")
    docs = {
        "scaleout": what_if(tmp, "scaleout", peak=586, fleet_usl=usl, growth="5%/month",
                            cost_per_instance=100, currency="EUR", months=24, instances=8),
        # no fleet today, no cost: every cell fed by them is blank
        "bare_usl": what_if(tmp, "bare_usl", peak=586, fleet_usl=usl, growth="5%/month",
                            months=6, events=("sale:2027-02-10:24h:3x",)),
        "bare": what_if(tmp, "bare", peak=1000, per_instance=100, growth="5%/month", months=6,
                        events=("sale:2027-02-10:24h:3x", "gone:2020-01-01:24h:2x")),
        "redundant": what_if(tmp, "redundant", peak=586, fleet_usl=usl, growth="8%/month",
                             months=12, instances=14, zones=3, spare=1, cost_per_instance=99.99,
                             events=("promo:2027-03-01:24h:2x",)),
    }
    return docs, recalc(tmp, list(docs))


@soffice
@pytest.mark.parametrize("name", ["scaleout", "bare_usl", "bare", "redundant"])
def test_no_cell_of_a_recalculated_workbook_is_an_error(books, name):
    _, got = books
    bad = [f"{ws.title}!{c.coordinate}={c.value}" for ws in got[name] for row in ws.iter_rows()
           for c in row if isinstance(c.value, str) and c.value.startswith(ERRORS)]
    assert bad == []


@soffice
def test_the_alternative_cells_that_apply_agree_with_plan_json_and_by_hand(books):
    from test_workbook import _table

    docs, got = books
    for key, label in (("nominal", "Nominal"), ("worst_case", "Worst case")):
        months = docs["scaleout"]["scenarios"][key]["months"]
        rows = _table(got["scaleout"][label], 5)
        for m, row in zip(months, rows):
            alt = m["cell_alternative"]
            want = (None, None, None) if alt is None else (alt["cell_size"], alt["instances"],
                                                           alt["saving"])
            have = (row["alternative: cell size"], row["alternative: instances"],
                    row["alternative: saving"])
            assert have[:2] == want[:2] and (want[2] is None) == (have[2] is None), m["month"]
            if want[2] is not None:
                assert math.isclose(have[2], want[2], rel_tol=1e-9)
    rows = _table(got["scaleout"]["Nominal"], 5)
    # By hand, on the test's USL (sigma 0.05, kappa 0.001, lambda 100), target 60%, one zone:
    # month 12's peak 586 x 1.05^12 = 1,052.4; one instance carries 0.6 x 100 = 60, so 18
    # cells of 1; two cells of 23 carry it (X(22) = 875.8 < 1,052.4 / 2 / 0.6 = 877.0 <=
    # X(23) = 882.6): 46 instances, a saving of 1 - 18 / 46.
    peak12 = 586 * 1.05 ** 12
    assert math.ceil(peak12 / 60) == 18
    assert _usl_x(22) < peak12 / 2 / 0.6 <= _usl_x(23)
    assert rows[11]["alternative: instances"] == 18 and rows[11]["instances"] == 46
    assert math.isclose(rows[11]["alternative: saving"], 1 - 18 / 46, rel_tol=1e-6)
    # Month 1: 615.3 / 60 = 10.3, 11 cells of 1 against 2 x 7 = 14 saves 21%, under 25%: blank.
    assert _usl_x(6) < 615.3 / 2 / 0.6 <= _usl_x(7)
    assert rows[0]["instances"] == 14 and rows[0]["alternative: instances"] is None
    assert rows[0]["alternative: cell size"] is None
