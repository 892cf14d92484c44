"""The library's wrong arguments are one CapplanError naming the argument and what to give, as
the command line's flags are: a path option given data, a misspelt keyword (did you mean)."""
import pandas as pd
import pytest

import capplan
from capplan.errors import CapplanError


def _frame():
    idx = pd.date_range("2026-01-01", periods=24 * 28, freq="h", tz="UTC")
    return pd.DataFrame({"rps": [100.0 + (i % 24) for i in range(len(idx))]}, index=idx)


@pytest.mark.parametrize("value, shown", [("frame", "DataFrame"), (5, "int")])
def test_path_option_given_data_names_the_keyword(value, shown):
    df = _frame()
    with pytest.raises(CapplanError, match=rf"capacity_from={shown}: give the path of a file.*"
                                           "--capacity-from"):
        capplan.forecast(df, capacity_from=df if value == "frame" else value, per_instance=100)


def test_config_given_a_number_names_config():
    with pytest.raises(CapplanError, match=r"config=int: give the path of a file.*--config"):
        capplan.forecast(_frame(), config=5)


@pytest.mark.parametrize("call, suggestion", [
    (lambda: capplan.fit_usl([1, 2, 4, 8, 16, 32], [1, 2, 4, 7, 11, 14],
                             throughput_units="hour"),
     r"capplan\.fit_usl: no option 'throughput_units': did you mean throughput_unit=\?"),
    (lambda: capplan.usl_what_if(0.1, 0.001, lamda=100),
     r"capplan\.usl_what_if: no option 'lamda': did you mean lambda_=\?"),
    (lambda: capplan.plan(peak=100, per_instance=10).write("unused", report=False),
     r"capplan\.PlanResult\.write: no option 'report': did you mean reports=\?"),
    (lambda: capplan.usl_what_if(0.1, 0.001),
     r"capplan\.usl_what_if: missing a required argument: 'lambda_'"),
])
def test_misspelt_keyword_suggests_the_name(call, suggestion, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CapplanError, match=suggestion):
        call()
    assert not (tmp_path / "unused").exists()
