"""What a reader sees in the outputs, checked against values worked out by hand: legends that are
never cut, a fleet chart whose legend leaves the dates alone, numbers without scientific notation
or a sign on a zero, and singular nouns for one."""
from capplan.outputs import charts


def test_a_legend_entry_never_outgrows_its_column():
    spike = "one-off spike, left out of the planning peak"  # 44 characters
    # by hand: 46 px of symbol + 6 px x 44 = 310 px; 678 px // 310 = 2 columns, not 3
    assert charts.legend_columns(["daily peak", spike], 3) == 2
    assert charts.legend_columns(["daily peak", "nominal"], 3) == 3
    assert charts.legend_columns(["x" * 200], 3) == 1
    load = {"daily_peaks": [{"date": "2024-01-01", "peak": 5.0}, {"date": "2024-01-02", "peak": 9.0}],
            "anomalies": [{"date": "2024-01-02", "value": 9.0}], "unit": "pedestrians/h",
            "planning_peak": {"excluded": []}}
    fig = charts.daily_peaks_figure(load, 5035.0)
    names = [t["name"] for t in fig["data"]]
    assert "planning peak 5,035 pedestrians/h" in names and spike in names
    assert fig["layout"]["meta"]["legend_columns"] == 2
    assert abs(fig["layout"]["legend"]["entrywidth"] - (1 / 2 - 0.005)) < 1e-12


def test_fleet_totals_legend_is_clear_of_the_dates_and_axis_title():
    import datetime as dt

    from capplan.fleet.model import FleetResult, RollupMonth
    from capplan.outputs.fleet_charts import totals_figure

    rows = tuple(RollupMonth(m, (dt.date(2024, 3, 1) + dt.timedelta(days=30 * m)).isoformat(),
                             100 + m, m, None, 2, 0, 0) for m in range(1, 7))
    result = FleetResult("f", "folder", 6, (), {"nominal": rows, "worst_case": rows}, (), (),
                         (), None)
    fig = totals_figure(result, 100)
    # the tick labels (month and date) and the axis title are below the plot: the legend is
    # above it, on the title's line, at the right
    assert fig.layout.legend.y >= 1 and fig.layout.legend.yanchor == "bottom"
    assert fig.layout.legend.xanchor == "right"
