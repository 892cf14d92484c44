"""The fleet's costs carry their currency and are added only within one currency; the fleet's
PDF and HTML write dates as people do, as the service report does (fleet.json keeps ISO)."""
import datetime as dt
import io
import json
import re

import pytest

from capplan.fleet import FleetSettings, LocalExecutor, plan_fleet, read_sources
from capplan.outputs import fleet_html, fleet_json, fleet_pdf, fleet_workbook
from conftest import daily_csv

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # not the locale's
# Each service: a flat 600 req/s, 100 per instance at 0.6 -> 10 instances (600 / 60) by hand.
NEEDED = 10


def plan(folder, months, **flags):
    """The fleet of folder/fleet.toml planned over `months`, with `flags` as on the command line."""
    return plan_fleet(read_sources(folder / "fleet.toml"),
                      FleetSettings(flags=(("months", months), *flags.items())), LocalExecutor(1))


def fleet(tmp_path, currencies):
    text = ('[defaults]\nper_instance = 100\ninstances = 5\ntarget_utilization = 0.6\n'
            'growth = "0%/month"\ncost_per_instance = 250\n')
    for i, cur in enumerate(currencies):
        daily_csv(tmp_path / f"s{i}.csv", [600] * 20)
        text += f'\n[[service]]\nname = "svc-{i}"\nfile = "s{i}.csv"\n'
        if cur:
            text += f'currency = "{cur}"\n'
    (tmp_path / "fleet.toml").write_text(text)
    return plan(tmp_path, 3)


def pdf_text(result):
    """The fleet PDF's page, as `fleet_pdf.build` makes it, its charts left out."""
    pages = [fleet_pdf.risk_page(s, s.plan(), "data:,") for s in fleet_pdf.at_risk_services(result)]
    assert pages  # every service is short (5 of 10): each has a page of its own
    return fleet_pdf.render_html(fleet_pdf.view(result, "t"), {}, pages, paper="A4",
                                 command="capplan fleet fleet.toml",
                                 versions="v").replace("\u00a0", " ")


def test_one_currency_is_added_and_named(tmp_path):
    result = fleet(tmp_path, ["EUR", "EUR"])
    assert result.currency == "EUR"
    for r in result.rollup["nominal"]:
        assert r.cost == 2 * NEEDED * 250  # 5,000 a month, by hand
    doc = json.loads(fleet_json.dumps(result))
    assert doc["rollup"]["currency"] == "EUR"
    page = pdf_text(result)
    assert "5,000 EUR" in page and "cost (EUR)" in page
    assert "nominal cost (EUR)" in page  # each service's page
    assert "M3 cost (EUR)" in page  # the table of all services: one currency, in its head
    html = fleet_html.render(result, "t").decode()
    assert html.count("<th class=\"\" onclick=\"sortBy(this)\">cost (EUR)</th>") == 2
    assert "month 3 cost (EUR)" in html and "needed today" in html  # as the PDF's table
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fleet_workbook.build(result, "t")))
    heads = [c for row in wb["Totals"].iter_rows(min_row=4, max_row=4, values_only=True)
             for c in row]
    assert "nominal cost (EUR)" in heads
    months = list(wb["Months"].iter_rows(values_only=True))
    cur = months[0].index("currency")
    assert {r[cur] for r in months[1:]} == {"EUR"}
    # dates are date cells, the same days as fleet.json's
    ends = months[0].index("ends")
    assert [r[ends].date().isoformat() for r in months[1:4]] == \
        [m["date"] for m in doc["services"][0]["plan"]["scenarios"]["nominal"]["months"]]
    assert wb["Months"]["C2"].number_format == "d mmm yyyy"
    services = list(wb["Services"].iter_rows(values_only=True))
    runway = services[0].index("runway (nominal)")
    plan = doc["services"][0]["plan"]["scenarios"]["nominal"]
    assert services[1][runway].date().isoformat() == plan["runway"]


def test_a_code_in_lower_case_is_the_same_currency(tmp_path):
    # "usd" and " USD" are one ISO 4217 code: added up, and named in capitals everywhere.
    result = fleet(tmp_path, ["usd", " USD", "Usd"])
    assert result.currency == "USD"
    assert [r.cost for r in result.rollup["nominal"]] == [3 * NEEDED * 250] * 3  # 7,500 by hand
    assert {s.summary.currency for s in result.services} == {"USD"}
    assert "7,500 USD" in pdf_text(result)


def test_a_label_that_is_not_a_code_is_kept_as_given(tmp_path):
    result = fleet(tmp_path, ["US$", "US$"])
    assert result.currency == "US$"
    assert fleet(tmp_path, ["eur", "US$"]).currency is None  # EUR and US$: not added


def test_different_currencies_are_not_added(tmp_path):
    result = fleet(tmp_path, ["EUR", "USD", None])
    assert result.currency is None
    assert all(r.cost is None and r.services_costed == 3 for r in result.rollup["nominal"])
    (note,) = [n for n in result.notes if "currencies" in n]
    assert "(EUR, USD, none stated)" in note
    doc = json.loads(fleet_json.dumps(result))
    assert {m["cost"] for m in doc["rollup"]["nominal"]["months"]} == {None}
    assert doc["rollup"]["currency"] is None
    page = pdf_text(result)
    assert "cost per month at month" not in page  # no fleet total card
    # each service's own cost, in its own currency, in the table of all services
    assert "2,500 EUR" in page and "2,500 USD" in page
    html = fleet_html.render(result, "t").decode()
    assert ">cost<" not in html and ">cost (" not in html  # no totals' cost column
    assert "Costs are not added up" in html
    assert ">2,500 EUR<" in html and ">2,500 USD<" in html
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fleet_workbook.build(result, "t")))
    totals = list(wb["Totals"].iter_rows(min_row=5, values_only=True))
    assert totals[0][4] == "not added: the services' costs are in different currencies"
    assert isinstance(totals[0][2], str) and totals[0][2].startswith("=SUMIFS")


def test_a_load_plan_s_currency_does_not_block_the_total(tmp_path):
    # "load" gives a cost per instance in EUR but no capacity facts: no instances, no cost. Only
    # "sized" has costs, in USD: they are the fleet's total.
    for name in ("load", "sized"):
        daily_csv(tmp_path / f"{name}.csv", [600] * 20)
    (tmp_path / "fleet.toml").write_text(
        '[defaults]\ngrowth = "0%/month"\ncost_per_instance = 250\n\n'
        '[[service]]\nname = "load"\nfile = "load.csv"\ncurrency = "EUR"\n\n'
        '[[service]]\nname = "sized"\nfile = "sized.csv"\ncurrency = "USD"\n'
        'per_instance = 100\ntarget_utilization = 0.6\n')
    result = plan(tmp_path, 2)
    assert result.currency == "USD"
    assert [r.cost for r in result.rollup["nominal"]] == [NEEDED * 250.0] * 2
    assert not [n for n in result.notes if "currencies" in n]
    # No service states today's fleet: nothing to add, blank in the workbook as null in JSON
    # (a SUMIFS over blanks would say 0).
    assert {r.add for r in result.rollup["nominal"]} == {None}
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(fleet_workbook.build(result, "t")))
    heads = next(wb["Totals"].iter_rows(min_row=4, max_row=4, values_only=True))
    first = next(wb["Totals"].iter_rows(min_row=5, max_row=5, values_only=True))
    assert first[heads.index("nominal add")] is None
    assert first[heads.index("nominal instances")].startswith("=SUMIFS")


def test_the_currency_flag_wins_over_the_files(tmp_path):
    fleet(tmp_path, ["EUR", "USD"])  # writes the files
    result = plan(tmp_path, 3, currency="GBP")
    assert result.currency == "GBP"
    assert [r.cost for r in result.rollup["nominal"]] == [2 * NEEDED * 250.0] * 3


def test_no_currency_stated_is_added_without_a_label(tmp_path):
    result = fleet(tmp_path, [None, None])
    assert result.currency is None
    assert [r.cost for r in result.rollup["nominal"]] == [5000.0] * 3
    assert not [n for n in result.notes if "currencies" in n]


ISO = re.compile(r"\b\d{4}-\d\d-\d\d\b")


def test_fleet_pdf_and_html_dates_are_human(tmp_path):
    result = fleet(tmp_path, ["USD"])
    start = result.starts[1]  # ISO in the result and in fleet.json
    assert ISO.fullmatch(start)
    d = dt.date.fromisoformat(start)
    human = f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    page = pdf_text(result)
    visible = re.sub(r"<[^>]+>", " ", page.split("</style>", 1)[1])
    assert human in visible and not ISO.search(visible)
    assert f"data to {human}" in page.split("</style>", 1)[0]  # the running header
    html = fleet_html.render(result, "t").decode()
    assert f"data to {human}" in html
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    assert not ISO.search(text)
    assert f'data-v="{result.rollup["nominal"][0].date}"' in body  # sorted by the ISO date


@pytest.mark.parametrize("name", ["svc-2024-01-05"])
def test_names_and_paths_keep_their_dates(tmp_path, name):
    daily_csv(tmp_path / "export-2024-01-05.csv", [600] * 20)
    (tmp_path / "fleet.toml").write_text(
        '[defaults]\nper_instance = 100\ninstances = 5\ngrowth = "0%/month"\n\n'
        f'[[service]]\nname = "{name}"\nfile = "export-2024-01-05.csv"\n')
    result = plan(tmp_path, 2)
    page = pdf_text(result)
    assert name in page and "export-2024-01-05.csv" in page


def test_fleet_html_wide_tables_scroll_in_their_own_box(tmp_path):
    result = fleet(tmp_path, ["USD", "USD"])
    page = fleet_html.render(result, "t").decode()
    body = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    tables = re.findall(r"(.{0,20})<table\b", body)
    assert len(tables) >= 3 and all(t.endswith('<div class="scroll">') for t in tables), tables
    assert body.count("</table></div>") == len(tables)
    assert ".scroll{overflow-x:auto" in page


def test_the_pdf_tables_stay_inside_the_page_with_long_names(tmp_path):
    """Names with no break in them (and dates in them) once pushed the table of all services,
    and its cost column, past the right edge of the page."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("poppler not installed")
    from capplan.outputs.pdf import pdf_bytes
    from capplan.outputs.pdf import svg_data_uri as pdf_svg

    text = ('[defaults]\nper_instance = 100\ninstances = 5\ngrowth = "0%/month"\n'
            'cost_per_instance = 250\ncurrency = "USD"\nlead_time = 30\n')
    names = ["svc_20230401-2023-04-30T10:00:00Z", "checkout-api-2024-01-05-eu-west-1b"]
    for i, name in enumerate(names):  # data to 29 Feb: month 3 ends 30 May, a wide date
        daily_csv(tmp_path / f"s{i}.csv", [600] * 20, start=dt.date(2024, 2, 10))
        text += f'\n[[service]]\nname = "{name}"\nfile = "s{i}.csv"\n'
    (tmp_path / "fleet.toml").write_text(text)
    result = plan(tmp_path, 3)
    pdf = tmp_path / "fleet.pdf"
    blank = pdf_svg(b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    pages = [fleet_pdf.risk_page(s, s.plan(), blank) for s in fleet_pdf.at_risk_services(result)]
    pdf.write_bytes(pdf_bytes(fleet_pdf.render_html(fleet_pdf.view(result, "t"), {}, pages,
                                                    paper="A4", command="c", versions="v")))
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert right <= 595.3 - 14 / 25.4 * 72 + 1  # A4's width less the 14 mm right margin
    plain = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    assert "(USD)" in plain.split("All services")[1]  # the cost column is on the page
    # Each service page's month table: a month's end is one date on one line ("30 May 202"
    # over "4" once: the dense table let its cells break anywhere).
    for s in result.services:
        for m in s.plan()["scenarios"]["nominal"]["months"]:
            day = dt.date.fromisoformat(m["date"])
            assert f"{day.day} {MONTHS[day.month - 1]} {day.year}" in plain, m["date"]
