"""What the PDF and plan.html say, without a browser: page 1's texts from plan.json, the charts'
figures against the plan's numbers, numbers and dates for people."""
import datetime as dt
import json

import pytest

from capplan.outputs import charts, fmt, view

TODAY = dt.date(2026, 11, 24)


def what_if(**flags) -> dict:
    from capplan.outputs import report
    from capplan.pipeline import Settings, plan_from_numbers

    peak = flags.pop("peak")
    result = plan_from_numbers(Settings(**flags), peak=peak, today=TODAY)
    return json.loads(json.dumps(report.plan_json(result, Settings(**flags))))


@pytest.fixture(scope="module")
def seed():
    return what_if(peak=10000, instances=20, utilization=0.40, target_utilization=0.60,
                   growth="10%/month", months=12, spare=1, zones=3, cost_per_instance=250,
                   currency="EUR", lead_time=30, events=("bf:2027-01-20:48h:3x",))


@pytest.fixture(scope="module")
def late():
    # an event the day after tomorrow, 14 days' lead time: the order is late
    return what_if(peak=10000, instances=20, utilization=0.40, target_utilization=0.60,
                   growth="10%/month", months=6, lead_time=14,
                   events=("sale:2026-11-26:48h:3x",))


def test_numbers_and_dates_for_people():
    assert fmt.short(28804) == "28.8k" and fmt.short(1_250_000) == "1.25M"
    assert fmt.short(950) == "950" and fmt.short(0.5) == "0.5"
    assert fmt.day("2014-11-02") == "2 Nov 2014"
    assert fmt.moment("2014-11-02T01:00:00+00:00") == "2 Nov 2014 01:00 UTC"
    assert fmt.moment("2014-11-02T01:00:00") == "2 Nov 2014 01:00 UTC"
    assert fmt.moment("2014-11-02T01:00:00-05:00") == "2 Nov 2014 01:00 UTC-05:00"
    assert fmt.money(104250.0, "EUR") == "104,250 EUR" and fmt.money(7750, None) == "7,750"
    assert fmt.days(1) == "1 day" and fmt.days(18) == "18 days"


def test_page_one_says_what_a_reviewer_asks(seed):
    p = view.page_one(seed)
    nom = seed["scenarios"]["nominal"]
    # worked by hand: 10,000 x 1.1^t crosses what 20 instances carry with a zone and the spare
    # lost (6 a zone: 12 x 1,000 = 12,000) at t = ln 1.2 / ln 1.1 = 1.913 months = 58.2 days;
    # but the 3x event on 2027-01-20 (day 57) comes first: the runway, in service a week before
    # (2027-01-13), ordered 30 days before that (2026-12-14).
    assert nom["runway"] == "2027-01-20" and nom["order_by"] == "2026-12-14"
    sentence = p["scenarios"][0]["sentence"]
    assert "run out on 20 Jan 2027 at the bf event" in sentence
    assert "in service by 13 Jan 2027, order by 14 Dec 2026 (30 days lead time)" in sentence
    assert p["scenarios"][1]["label"] == "worst case = nominal (give --worst-growth)"
    assert p["scenarios"][0]["total_cost"] == f"{nom['total_cost']:,.0f} EUR"
    assert p["utilization"].startswith("Sized for today's planning peak (10,000 req/s: 16 "
                                       "instances): 50% utilization in normal running, 80% after "
                                       "losing a zone (of 3) or the 1 spare(s) (allowed: 80%)")
    assert p["limits"][0] == ("Binding limit: the utilization target 60% of 1,250 = 750 req/s an "
                              "instance. No latency objective given (--latency-slo).")
    ev = p["events"][0]
    assert (ev["in_service_by"], ev["order_by"]) == ("13 Jan 2027", "14 Dec 2026")
    assert ev["peak"] == f"{seed['events'][0]['scenarios']['nominal']['peak']:,.0f}"
    assert "Cost: 250 EUR an instance a month" in p["cost"]
    assert any(a.startswith("Worst case = nominal (give --worst-growth)") for a in p["assumptions"])


def test_a_late_order_is_never_a_past_date(late):
    p = view.page_one(late)
    s = late["scenarios"]["nominal"]
    assert s["order_late_days"] > 0 and s["order_by"] == "2026-11-24"
    assert p["scenarios"][0]["order_by"] == f"now: {s['order_late_days']} days late"
    assert f"order now, {s['order_late_days']} days late" in p["scenarios"][0]["sentence"]
    # the event's in-service date (a week before 26 Nov) has passed: said so
    assert p["events"][0]["in_service_by"] == "19 Nov 2026 (passed)"
    rows = [r for r in p["months"] if r["nominal"]["order_by"]]
    assert rows[0]["nominal"]["order_by"].startswith("now: ")


def test_the_demand_chart_draws_the_table_s_paths(seed):
    fig = charts.demand_figure(seed)
    by_name = {t.get("name"): t for t in fig["data"]}
    path = seed["scenarios"]["nominal"]["path"]
    nominal = by_name["nominal path"]
    assert nominal["y"][1:] == [r["peak"] for r in path]  # the same steps, events included
    marks = by_name["month peak, nominal (the table)"]
    assert marks["y"] == [m["peak"] for m in seed["scenarios"]["nominal"]["months"]]
    assert max(nominal["y"]) == max(m["peak"] for m in seed["scenarios"]["nominal"]["months"])
    # the worst case equals the nominal here: one line, no band, said in its label
    assert "worst-case path" not in by_name


def test_every_band_and_grey_series_has_a_legend_entry():
    doc = what_if(peak=10000, instances=20, utilization=0.40, growth="10%/month",
                  worst_growth="14%/month", months=6, events=("bf:2027-01-20:48h:3x",))
    for name, fig in charts.report_figures(doc).items():
        for t in fig["data"]:
            grey = charts.GREY in json.dumps(t.get("line", {})) or t.get("fill")
            if grey:
                assert t.get("name") and t.get("showlegend", True), (name, t)
        if fig["layout"].get("shapes"):  # event windows: a legend entry stands for them
            assert any(t.get("name") == "event window" for t in fig["data"]), name
    fig = charts.demand_figure(doc)
    names = [t.get("name") for t in fig["data"]]
    assert "nominal to worst case" in names and "worst-case path" in names


def test_axes_and_labels_in_plain_units(seed):
    text = json.dumps(charts.report_figures(seed))
    assert "e+0" not in text and "e+1" not in text
    for fig in charts.report_figures(seed).values():
        assert fig["layout"]["yaxis"]["exponentformat"] == "SI"
        assert fig["layout"]["yaxis"]["separatethousands"] is True


def test_the_usl_curve_marks_extrapolation_past_the_measured_range():
    u = {"sigma": 0.05, "kappa": 0.001, "lambda": 100.0, "n_star": 30.8, "x_max": 903.6,
         "max_measured_n": 16.0, "measurements": [{"n": n, "x": 100.0 * n} for n in (1, 8, 16)]}
    fig = charts.usl_chart(u, "t")
    fit, extra = fig["data"][0], fig["data"][1]
    assert max(fit["x"]) == 16.0 and min(extra["x"]) == 16.0
    assert extra["line"]["dash"] == "dot" and "extrapolated" in extra["name"]
    assert any(t["name"].startswith("N* = 30.8") for t in fig["data"])


def test_the_appendix_hashes_every_input(tmp_path):
    import hashlib

    from capplan.outputs.report import input_hashes
    from capplan.pipeline import Settings

    files = {}
    for name in ("service.toml", "loadtest.csv", "fleet.csv", "events.csv"):
        p = tmp_path / name
        p.write_text(f"{name}\n")
        files[name] = p
    s = Settings(load_test=str(files["loadtest.csv"]), fleet_usl=str(files["fleet.csv"]),
                 events_file=str(files["events.csv"]))
    doc = {"input": {"path": "traffic.csv", "sha256": "ab" * 32}}
    got = {i["role"]: i for i in input_hashes(doc, s, files["service.toml"])}
    assert got["traffic"]["sha256"] == "ab" * 32
    for role, name in (("config", "service.toml"), ("load test", "loadtest.csv"),
                       ("scale-out test", "fleet.csv"), ("events file", "events.csv")):
        assert got[role]["sha256"] == hashlib.sha256(f"{name}\n".encode()).hexdigest()


def test_iso_dates_in_sentences_as_people_write_them():
    """The display-side rewrite, exact: dates and times in running text become human; a date
    inside a file name, an event's name or a flag's value stays as typed; a non-date stays."""
    d = fmt.dates_in_text
    assert (d("the highest daily peak of the last 28 day(s) (2015-01-04 to 2015-01-31).")
            == "the highest daily peak of the last 28 day(s) (4 Jan 2015 to 31 Jan 2015).")
    assert d("peak at 2014-11-02T01:00:00+00:00, then") == "peak at 2 Nov 2014 01:00 UTC, then"
    assert d("at 2014-11-02T01:00:00Z") == "at 2 Nov 2014 01:00 UTC"
    assert d("at 2014-11-02 01:30 UTC.") == "at 2 Nov 2014 01:30 UTC."
    assert d("at 2014-11-02T01:00:00-05:00") == "at 2 Nov 2014 01:00 UTC-05:00"
    assert d("ends on 2015-01-31.") == "ends on 31 Jan 2015."
    for kept in ("traffic_2015-01-31.csv", "x 2015-01-31.csv", "bf-2015-11-27 event",
                 "--event sale:2027-03-10:48h:2x", "--exclude=2015-01-01", "a/2015-01-01/b",
                 "2015-13-45 is no date", "12015-01-01", "2015-01-0123", "v2.0.1", "sha256 ab12"):
        assert d(kept) == kept, kept


def test_report_page_rewrites_dates_but_prints_names_and_the_command_as_typed(seed):
    """The template's finalize: an engine sentence's ISO date is human on the page; the command
    line, an input's file name and an event's name are printed verbatim."""
    import copy

    from capplan.outputs import pdf

    doc = copy.deepcopy(seed)
    doc["notes"] = ["a note about 2027-01-20 and 2027-01-22T06:00:00+00:00"]
    doc["events"][0]["name"] = "bf-2027-01-20"
    page = pdf.render_html(doc, {}, title="t 2027-01-01", paper="A4",
                           generated="24 Nov 2026", command="capplan plan --event "
                           "bf:2027-01-20:48h:3x --out out/2027-01-20", versions="capplan 0.1.0",
                           inputs=[{"role": "events file", "path": "ev/2027-01-20.csv",
                                    "sha256": "0" * 64}])
    assert "a note about 20 Jan 2027 and 22 Jan 2027 06:00 UTC" in page
    assert "--event bf:2027-01-20:48h:3x --out out/2027-01-20" in page  # the appendix's command
    assert "ev/2027-01-20.csv" in page and ">bf-2027-01-20<" in page
    assert "<h1>t 2027-01-01</h1>" in page  # the title the user gave


def test_cost_without_a_currency_says_so():
    doc = what_if(peak=10000, instances=20, utilization=0.40, target_utilization=0.60,
                  growth="10%/month", months=3, cost_per_instance=250)
    p = view.page_one(doc)
    assert p["cost"].startswith("Cost: 250 an instance a month (no currency given: --currency);")
    assert p["cost_header"] == "cost"
    with_eur = what_if(peak=10000, instances=20, utilization=0.40, target_utilization=0.60,
                       growth="10%/month", months=3, cost_per_instance=250, currency="EUR")
    assert view.page_one(with_eur)["cost"].startswith("Cost: 250 EUR an instance a month; over")


def test_event_labels_close_in_time_are_stacked():
    """Labels whose events are days apart on a 13-month axis take separate rows; one far away
    goes back to the first row (widths at the narrowest chart: ~5.8 px a character over 598 px)."""
    labels = [("2015-03-20T00:00", "black-friday ×2"), ("2015-04-15T00:00", "spring-launch ×1.5"),
              ("2015-04-20T00:00", "flash ×1.2"), ("2015-07-01T00:00", "summer ×1.5")]
    # 395 days over 598 px: "black-friday ×2" (15 chars, 91 px) spans 60 days, to 19 May
    assert charts.event_label_rows(labels, "2014-07-01T00:00", "2015-07-31T00:00") == [0, 1, 2, 0]
    assert charts.event_label_rows([], "2014-07-01T00:00", "2015-07-31T00:00") == []
