"""Reading inputs a user would expect to be read: numeric dates in the order the whole column
tells, text dates in a workbook, --sheet only for workbooks, and a counter warning true to the
data. Expected values come from how each file is built (dates written with strftime from a known
range; falls counted from the construction), never from capplan's own output."""
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from capplan.errors import CapplanError
from capplan.ingest import read_traffic
from capplan.ingest.rates import decide_kind, parse_unit
from conftest import run_cli

HOURS = pd.date_range("2024-01-01", periods=1440, freq="h")  # 1 Jan 00:00 .. 29 Feb 23:00


def hourly_csv(path, fmt, times=HOURS):
    values = [f"{1000 + 500 * np.sin(i / 24 * 6.283):.2f}" for i in range(len(times))]
    path.write_text("time,rps\n" + "".join(f"{t:{fmt}},{v}\n" for t, v in zip(times, values)))
    return path


# -- 1. the order of numeric dates ---------------------------------------------------------

def test_day_first_file_is_read_day_first(tmp_path):
    # The trial's file: the first 12 days of January look month-first (01/02/2024 could be
    # 2 January or 1 February); the 13th day on is day-first only, so the whole column is.
    t = read_traffic(hourly_csv(tmp_path / "ddmm.csv", "%d/%m/%Y %H:%M"))
    q = t.quality
    assert (q.rows_read, q.rows_used) == (1440, 1440)
    assert q.first == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    assert q.last == pd.Timestamp("2024-02-29 23:00", tz="UTC")
    assert q.dropped == () and q.gaps == 0
    assert (t.rate.index == HOURS.tz_localize("UTC")).all()
    assert not any("month-first" in n for n in q.notes)


def test_month_first_file_with_days_above_12_reads_as_before(tmp_path):
    t = read_traffic(hourly_csv(tmp_path / "mmdd.csv", "%m/%d/%Y %H:%M"))
    q = t.quality
    assert (q.rows_used, q.dropped) == (1440, ())
    assert (t.rate.index == HOURS.tz_localize("UTC")).all()
    assert not any("month-first" in n for n in q.notes)


def test_day_first_two_digit_years_and_dots(tmp_path):
    # No format is guessed for two-digit years (each value is parsed alone): the order must
    # still be the column's, not each value's (03/01/24 is 3 January, as 13/01/24 is 13 Jan).
    times = pd.date_range("2024-01-01", periods=20 * 24, freq="h")
    t = read_traffic(hourly_csv(tmp_path / "yy.csv", "%d/%m/%y %H:%M", times))
    assert (t.rate.index == times.tz_localize("UTC")).all()
    t = read_traffic(hourly_csv(tmp_path / "dots.csv", "%d.%m.%Y %H:%M", times))
    assert (t.rate.index == times.tz_localize("UTC")).all()


def test_mixed_orders_are_refused_with_one_row_of_each(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_text("time,rps\n01/02/2024 00:00,5\n13/02/2024 01:00,6\n02/14/2024 02:00,7\n"
                 "02/15/2024 03:00,8\n")
    with pytest.raises(CapplanError) as err:
        read_traffic(p)
    msg = str(err.value)
    assert str(p) in msg and "'time'" in msg
    # The day-first row is file line 3, the month-first one line 4 (line 1 is the header).
    assert "line 3: '13/02/2024 01:00'" in msg and "line 4: '02/14/2024 02:00'" in msg
    assert "ISO 8601" in msg and "\n" not in msg
    code, out, errs = run_cli("analyze", p, "-o", tmp_path / "out")
    assert code == 2 and not (tmp_path / "out").exists()
    assert errs.strip().count("\n") == 0 and "line 3" in errs and "Traceback" not in errs


def test_ambiguous_dates_keep_month_first_with_a_note(tmp_path):
    # Every field is 12 or less: 03/04/2024 may be 4 March or 3 April; capplan reads it
    # month-first as it always did, and says so.
    times = pd.date_range("2024-03-04", periods=24, freq="h")
    t = read_traffic(hourly_csv(tmp_path / "amb.csv", "%m/%d/%Y %H:%M", times))
    assert t.quality.first == pd.Timestamp("2024-03-04", tz="UTC")
    note = [n for n in t.quality.notes if "month-first" in n]
    assert len(note) == 1
    assert "'03/04/2024 00:00' is 4 March, not 3 April" in note[0]
    assert "above 12" in note[0] and not note[0].startswith("warning")


def test_same_day_and_month_needs_no_note(tmp_path):
    # 03/03/2024 reads alike in both orders: nothing was assumed.
    times = pd.date_range("2024-03-03", periods=24, freq="h")
    t = read_traffic(hourly_csv(tmp_path / "same.csv", "%d/%m/%Y %H:%M", times))
    assert t.quality.first == pd.Timestamp("2024-03-03", tz="UTC")
    assert not any("month-first" in n for n in t.quality.notes)


def test_no_library_warning_reaches_the_user(tmp_path):
    # A small day-first file whose first values are above 12: pandas' format guesser warned
    # "Parsing dates in %d/%m/%Y format when dayfirst=False" on stderr.
    times = pd.date_range("2024-01-13", periods=96, freq="h")
    p = hourly_csv(tmp_path / "small.csv", "%d/%m/%Y %H:%M", times)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = read_traffic(p)
    assert (t.rate.index == times.tz_localize("UTC")).all()
    code, out, errs = run_cli("analyze", p, "-o", tmp_path / "out")
    assert code == 0 and "Warning" not in errs and "warning" not in errs.lower()
    code, out, errs = run_cli("analyze", hourly_csv(tmp_path / "ddmm.csv", "%d/%m/%Y %H:%M"),
                              "-o", tmp_path / "out2")
    assert code == 0 and "Warning" not in errs
    assert "1,440 rows read, 1,440 used; 2024-01-01 00:00 to 2024-02-29 23:00 UTC" in out
    assert "dropped" not in out


# -- 2. the counter warning ----------------------------------------------------------------

def _counter_note(values, name="rps"):
    kind, notes = decide_kind(None, parse_unit(None), name, np.asarray(values, float), 60.0)
    assert kind == "rate"
    return [n for n in notes if "counter" in n]


def test_sawtooth_is_not_said_to_only_ever_rise():
    saw = np.arange(1440) % 100 + 1.5
    falls = int((np.diff(saw) < 0).sum())
    assert falls == 14  # by construction: a fall after every 100th value, 1439 steps
    notes = _counter_note(saw)
    assert notes and "only ever rises" not in notes[0] and "never falls over" not in notes[0]
    # Each fall is 100.5 -> 1.5, under half the value before it: reset-shaped, said so.
    assert "never falls but at 14 of its 1,439 steps, each a fall to under half" in notes[0]


def test_counter_with_resets_and_a_counter_without():
    rng = np.random.default_rng(7)
    inc = rng.uniform(50, 70, 1440)
    total = np.cumsum(inc)
    restarted = total.copy()
    restarted[600:] -= total[599]  # two restarts: counting from zero again
    restarted[1200:] -= total[1199] - total[599]
    assert (np.diff(restarted) < 0).sum() == 2
    note = _counter_note(restarted)
    assert len(note) == 1 and "never falls but at 2 of its 1,439 steps, each a fall" in note[0]
    note = _counter_note(total)
    assert len(note) == 1 and "never falls over its 1,440 values" in note[0]


def test_rising_rate_with_small_dips_is_not_counter_like():
    # A growing rate that dips 1% now and then (0.5% of steps): mostly rising, but no fall is a
    # reset, so nothing here is like a counter.
    v = np.linspace(1000, 2000, 1440) + 0.25
    v[::200] *= 0.99
    assert 0 < (np.diff(v) < 0).mean() <= 0.01
    assert _counter_note(v) == []


# -- 3. text dates in a workbook -----------------------------------------------------------

def _workbook(path, rows, title="S"):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_workbook_text_dates_are_read_as_in_a_csv(tmp_path):
    times = pd.date_range("2024-01-01", periods=48, freq="h")
    values = [100.0 + (i % 7) + 0.5 for i in range(48)]
    xlsx = _workbook(tmp_path / "s.xlsx", [["time", "rps"]] +
                     [[f"{t:%Y-%m-%d %H:%M}", v] for t, v in zip(times, values)])
    csv = tmp_path / "s.csv"
    csv.write_text("time,rps\n" + "".join(f"{t:%Y-%m-%d %H:%M},{v}\n"
                                          for t, v in zip(times, values)))
    a, b = read_traffic(xlsx), read_traffic(csv)
    assert a.source.sheet == "S" and a.quality.rows_used == 48
    assert (a.rate.index == times.tz_localize("UTC")).all()
    assert np.array_equal(a.rate.to_numpy(), np.array(values))
    pd.testing.assert_series_equal(a.rate, b.rate)


def test_workbook_text_dates_day_first(tmp_path):
    times = pd.date_range("2024-01-01", periods=20 * 24, freq="h")
    xlsx = _workbook(tmp_path / "d.xlsx", [["when", "rps"]] +
                     [[f"{t:%d/%m/%Y %H:%M}", 10.5] for t in times])
    t = read_traffic(xlsx)
    assert (t.rate.index == times.tz_localize("UTC")).all()


def test_one_sheet_without_dates_says_what_is_missing(tmp_path):
    xlsx = _workbook(tmp_path / "n.xlsx", [["time", "rps"]] + [[f"t{i}", i] for i in range(9)])
    with pytest.raises(CapplanError) as err:
        read_traffic(xlsx)
    msg = str(err.value)
    assert "--sheet" not in msg and "sheet 'S'" in msg and "no cell holds a date" in msg
    only_text = _workbook(tmp_path / "t.xlsx", [["time", "rps"]] +
                          [["2024-01-01 00:00", "many"]] * 3)
    with pytest.raises(CapplanError, match="no cell holds a number") as err:
        read_traffic(only_text)
    assert "--sheet" not in str(err.value)


def test_several_sheets_still_point_at_sheet(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "A"
    wb.active.append(["x"])
    wb.create_sheet("B").append(["y"])
    wb.save(tmp_path / "two.xlsx")
    with pytest.raises(CapplanError, match=re.escape("pick the sheet with --sheet")):
        read_traffic(tmp_path / "two.xlsx")


# -- 4. --sheet beside a file that has no sheets -------------------------------------------

def test_sheet_with_a_csv_is_refused(tmp_path):
    import capplan

    p = hourly_csv(tmp_path / "a.csv", "%Y-%m-%d %H:%M", HOURS[:48])
    code, out, errs = run_cli("analyze", p, "--sheet", "data2", "-o", tmp_path / "out")
    assert code == 2 and not (tmp_path / "out").exists()
    line = errs.strip()
    assert "\n" not in line and "--sheet" in line and ".xlsx" in line and str(p) in line
    assert "CSV" in line and "drop --sheet" in line
    with pytest.raises(CapplanError, match="drop --sheet"):
        capplan.analyze(p, sheet="data2")
    with pytest.raises(CapplanError, match="drop --sheet"):
        read_traffic(p, sheet="data2")


def test_sheet_names_the_workbook_among_metrics_files(tmp_path):
    # capplan capacity: --sheet is the sheet of every workbook among the files; a CSV beside a
    # workbook takes none.
    from capplan.ingest.metrics import MetricSpec, read_metrics

    times = pd.date_range("2024-01-01", periods=48, freq="h")
    xlsx = _workbook(tmp_path / "m.xlsx", [["time", "rps"]] +
                     [[t.to_pydatetime(), 100.0 + i] for i, t in enumerate(times)], title="M")
    csv = tmp_path / "cpu.csv"
    csv.write_text("time,cpu\n" + "".join(f"{t:%Y-%m-%d %H:%M},{0.2 + i / 1000}\n"
                                          for i, t in enumerate(times)))
    table = read_metrics(MetricSpec("throughput", "rps", str(xlsx)),
                         [MetricSpec("cpu", "cpu", str(csv))], sheet="M")
    assert len(table.frame) == 48
    with pytest.raises(CapplanError, match="drop --sheet"):
        read_metrics(MetricSpec("throughput", "cpu", str(csv)),
                     [MetricSpec("cpu", "cpu", str(csv))], sheet="M")


def test_year_first_file_unchanged(tmp_path):
    # 2024/01/13: year first, no day/month question; read as always.
    t = read_traffic(hourly_csv(tmp_path / "ymd.csv", "%Y/%m/%d %H:%M", HOURS[:400]))
    assert (t.rate.index == HOURS[:400].tz_localize("UTC")).all()
    assert not any("month-first" in n for n in t.quality.notes)


def test_impossible_day_first_date_is_unparsable_not_out_of_range(tmp_path):
    # 31/02/2024 (no 31 February) failed to parse; the year check then read its "31" as a year
    # and dropped it as outside 1970-2100. Its year is 2024: the reason is the parse.
    p = tmp_path / "feb.csv"
    p.write_text("time,rps\n" + "".join(f"{d:02d}/01/2024 00:00,5.5\n" for d in range(13, 25)) +
                 "31/02/2024 00:00,5.5\n")
    t = read_traffic(p)
    assert t.quality.first == pd.Timestamp("2024-01-13", tz="UTC")
    assert t.quality.last == pd.Timestamp("2024-01-24", tz="UTC")
    assert [(d.reason, d.count, d.first_lines) for d in t.quality.dropped] == [
        ("unparsable timestamp", 1, (14,))]
