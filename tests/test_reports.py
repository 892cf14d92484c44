"""The PDF, the workbook and the HTML as people use them; outputs written as a set."""
import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler not installed")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    code, so, se = run_cli("forecast", ROOT / "inputs" / "nyc_taxi.csv", "--config",
                           ROOT / "inputs" / "service.toml", "--out", out, "--paper", "Letter")
    assert code == 0, se
    return out


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    code, so, se = run_cli("plan", "--peak", 10000, "--instances", 20, "--utilization", 0.40,
                           "--target-utilization", 0.60, "--growth", "10%/month", "--months", 12,
                           "--spare", 1, "--zones", 3, "--cost-per-instance", 100,
                           "--currency", "EUR", "--event", "sale:2027-03-10:48h:2x",
                           "--out", out)
    assert code == 0, se
    return out


EVENTS_CSV = ("name,start,duration,multiplier\nblack-friday,2015-03-20,48h,2x\n"
              "summer-sale,2015-06-01,72h,1.5x\n")


@pytest.fixture(scope="module")
def events_slo(tmp_path_factory):
    """The sample with an events file, a flag's event, a latency SLO and M/M/c: page 1's
    summary grows past one page (three event-cost notes), the trial's near-empty page 2. The
    events file's name and the --event flag hold ISO dates the appendix must print as typed."""
    out = tmp_path_factory.mktemp("events_slo")
    events = out / "events-2015-03-20.csv"
    events.write_text(EVENTS_CSV)
    code, so, se = run_cli("forecast", ROOT / "inputs" / "nyc_taxi.csv", "--config",
                           ROOT / "inputs" / "service.toml", "--latency-slo", "0.2s",
                           "--service-time", "0.05s", "--events", events,
                           "--event", "flash:2015-05-10:24h:1.2x", "--out", out / "r")
    assert code == 0, se
    return out / "r", so


def pdftext(path: Path, page: int | None = None, layout: bool = True) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    mode = ["-layout"] if layout else []
    return subprocess.run(["pdftotext", *mode, *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_page_one_answers_the_reviewer(seed):
    from capplan.outputs import fmt

    plan = json.loads((seed / "plan.json").read_text())
    raw = flat(pdftext(seed / "plan.pdf", 1, layout=False))  # reading order
    lines = [flat(l) for l in pdftext(seed / "plan.pdf", 1).splitlines()]  # as laid out
    nom, wc = plan["scenarios"]["nominal"], plan["scenarios"]["worst_case"]
    # the cards: instances today, at the horizon per scenario, the runway, the cost
    horizon = f"{nom['months'][-1]['instances']} / {wc['months'][-1]['instances']}"
    assert (f"INSTANCES TODAY NEEDED AT MONTH 12 RUNWAY (NOMINAL) COST OVER 12 MONTHS 20 "
            f"{horizon} {fmt.day(nom['runway'])} {nom['total_cost']:,.0f} EUR") in raw
    assert f"run out on {fmt.day(nom['runway'])}" in raw  # the runway, a human date
    assert f"order by {fmt.day(nom['order_by'])}" in raw
    assert "worst case = nominal (give --worst-growth)" in raw.lower()
    ev = plan["events"][0]["scenarios"]["nominal"]
    assert (f"sale 10 Mar 2027 00:00 UTC, 48 h ×2 nominal {ev['peak']:,.0f} {ev['instances']} "
            f"{ev['add']} {fmt.day(ev['in_service_by'])} {fmt.day(ev['order_by'])}") in lines
    assert "Binding limit: the utilization target 60% of 1,250 = 750 req/s an instance" in raw
    assert "50% utilization in normal running, 80% after losing a zone (of 3)" in raw
    assert "cost (EUR)" in raw
    for m in nom["months"]:  # the month table: one line a month, both scenarios, the costs
        w = wc["months"][m["month"] - 1]
        assert any(l.startswith(f"{m['month']} {fmt.day(m['date'])}")
                   and f"{m['peak']:,.0f} {m['instances']} {m['add']}" in l
                   and f"{w['peak']:,.0f} {w['instances']} {w['add']}" in l
                   and l.endswith(f"{m['cost']:,.0f} {w['cost']:,.0f}") for l in lines), m


def test_pdf_holds_the_load_the_model_the_charts_and_every_input_hash(sample):
    import hashlib

    plan = json.loads((sample / "plan.json").read_text())
    text = pdftext(sample / "plan.pdf")
    squeezed = text.replace("\n", "").replace(" ", "")
    for name in ("nyc_taxi.csv", "service.toml", "loadtest_specsdm91.csv"):
        digest = hashlib.sha256((ROOT / "inputs" / name).read_bytes()).hexdigest()
        assert digest in squeezed, name
    assert plan["input"]["sha256"] in squeezed
    for title in ("Demand: ", "Instances needed per month", "Traffic over time", "Daily peaks",
                  "Mean rate by weekday and hour", "Per-instance load test: USL fit"):
        assert title in text, title
    assert "2 Nov 2014 01:00 UTC" in text  # the peak's time, as people write it
    assert "e+0" not in text and "e+1" not in text  # plain units everywhere
    assert "page 1 of" in text
    info = subprocess.run(["pdfinfo", str(sample / "plan.pdf")], capture_output=True,
                          text=True).stdout
    n_pages = int(next(l for l in info.splitlines() if l.startswith("Pages:")).split()[1])
    assert 4 <= n_pages <= 8
    assert "612 x 792" in info  # --paper Letter


SECTIONS = ("1. Demand", "2. The load", "3. The capacity", "2. The capacity", "Appendix")


def page_fill(pdf: Path) -> list[tuple[float, str]]:
    """Per page: how far down the printable area its content reaches (0-1), and its first
    line of content (below the running header)."""
    import re

    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                         text=True, check=True).stdout
    out = []
    for page in re.findall(r"<page width=\"[\d.]+\" height=\"([\d.]+)\">(.*?)</page>", xml,
                           re.S):
        height, body = float(page[0]), page[1]
        top, bottom = 16 / 25.4 * 72, height - 14 / 25.4 * 72  # report.css @page margins
        lines = [(float(y0), float(y1), " ".join(re.findall(r">([^<]+)</word>", words)))
                 for y0, y1, words in re.findall(
                     r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)'
                     r"</line>", body, re.S)]
        content = sorted((l for l in lines if top < l[0] and l[1] < bottom), key=lambda l: l[0])
        reach = max((l[1] for l in content), default=top)
        out.append(((reach - top) / (bottom - top), content[0][2] if content else ""))
    return out


def test_no_page_is_less_than_half_full_unless_a_section_ends_there(sample, seed, events_slo):
    for pdf in (sample / "plan.pdf", seed / "plan.pdf", events_slo[0] / "plan.pdf"):
        pages = page_fill(pdf)
        for i, (fill, _) in enumerate(pages[:-1]):
            section_ends = pages[i + 1][1].startswith(SECTIONS)
            assert fill >= 0.5 or section_ends, (pdf.parent.name, i + 1, fill, pages[i + 1][1])


def test_only_page_one_ends_early_the_sections_follow_on(sample, seed, events_slo):
    """Page 1 (the summary) stands alone and section 1 starts the next page; every other section
    follows on where the last one ended (a section that ended high on a page left it 80% blank,
    the trial's TfL page 4), so only page 1, when "1. Demand" starts page 2, and the last may be
    under half. A summary longer than a page (events, SLO, cost notes) does not leave its last
    few lines alone on page 2: section 1 follows them (the trial's 4-line page 2)."""
    for pdf in (sample / "plan.pdf", seed / "plan.pdf", events_slo[0] / "plan.pdf"):
        pages = page_fill(pdf)
        for i, (fill, _) in enumerate(pages[:-1]):
            assert fill >= 0.5 or (i == 0 and pages[1][1].startswith("1. Demand")), \
                (pdf.parent.name, i + 1, fill, pages[i + 1][1])
    pages = page_fill(events_slo[0] / "plan.pdf")
    assert not pages[1][1].startswith("1. Demand")  # the summary did spill onto page 2 ...
    assert "1. Demand and instances" in pdftext(events_slo[0] / "plan.pdf", 2)  # ... and 1 follows


ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _page_text(html_page: str) -> str:
    import html as _html
    import re

    body = re.sub(r"<(script|style)\b.*?</\1>", "", html_page, flags=re.S)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_pdf_and_html_write_dates_as_people_do_plan_json_keeps_iso(events_slo):
    """Every date in the PDF's and the HTML's text is human (4 Jan 2015; with its time, 2 Nov 2014
    01:00 UTC), the engine's sentences included, the running header too; only the appendix's
    file names and command line keep what was typed. plan.json keeps ISO for scripts."""
    import re

    out, _ = events_slo
    plan = json.loads((out / "plan.json").read_text())
    method = plan["load"]["planning_peak"]["method"]
    assert "(2015-01-04 to 2015-01-31)" in method  # the engine's sentence, ISO in plan.json
    human = method.replace("(2015-01-04 to 2015-01-31)", "(4 Jan 2015 to 31 Jan 2015)")
    text = flat(pdftext(out / "plan.pdf", layout=False))
    body, appendix = text.split("Inputs and reproducibility")
    assert re.findall(ISO_DATE, body) == []
    assert human in text and "from data up to 31 Jan 2015" in text
    assert "2 Nov 2014 01:00 UTC" in text and "(2 Nov 2014)" in text  # the peak, the spike
    # pdftotext's reading-order mode drops a hyphen that ends a line ("--service-" + "time"
    # reads "--servicetime"), so the appendix is read in layout mode, whitespace squeezed out:
    # where the line breaks depends on the length of the temporary folder's path.
    laid_out = pdftext(out / "plan.pdf", layout=True).split("Inputs and reproducibility")[1]
    squeezed = "".join(laid_out.split())
    assert "events-2015-03-20.csv" in squeezed and "flash:2015-05-10:24h:1.2x" in squeezed
    page = _page_text((out / "plan.html").read_text())
    body, appendix = page.split("Inputs and reproducibility")
    assert re.findall(ISO_DATE, body) == [] and human in page
    assert "events-2015-03-20.csv" in appendix and "flash:2015-05-10:24h:1.2x" in appendix


def test_sample_costs_carry_its_currency_everywhere(events_slo):
    """The sample's service file states USD: page 1, the month table, the cost line, the
    workbook's cost cells and the terminal all carry it (no "no currency given")."""
    import openpyxl

    out, terminal = events_slo
    plan = json.loads((out / "plan.json").read_text())
    assert plan["currency"] == "USD" and plan["cost_per_instance"] == 250
    nom, wc = plan["scenarios"]["nominal"], plan["scenarios"]["worst_case"]
    want = (f"Cost: 250 USD an instance a month; over 6 months {nom['total_cost']:,.0f} USD "
            f"nominal, {wc['total_cost']:,.0f} USD worst case.")
    text = flat(pdftext(out / "plan.pdf", layout=False))
    for shown in (text, _page_text((out / "plan.html").read_text())):
        assert want in shown and "cost (USD)" in shown and "no currency" not in shown
        assert f"{nom['total_cost']:,.0f} USD" in shown
    assert "USD" in terminal and "no currency" not in terminal
    # the terminal writes a cost as the page does (250 USD), not the other way round
    flat_terminal = flat(terminal)
    assert f"{nom['total_cost']:,.0f} USD" in flat_terminal and "USD 250" not in flat_terminal
    wb = openpyxl.load_workbook(out / "plan.xlsx")
    formats = {c.number_format for ws in wb for row in ws.iter_rows() for c in row
               if c.number_format and "USD" in c.number_format}
    assert formats  # the cost cells are formatted with the currency
    inputs = [[c.value for c in row] for row in wb["Inputs"].iter_rows()]
    assert ["Currency", "USD"] in [r[:2] for r in inputs]


def test_html_wide_tables_scroll_in_their_own_box(events_slo):
    """At 700 px the months and events tables are wider than the window: each table sits in a
    box that scrolls sideways on screen (nothing cut off), and only on screen."""
    import re

    page = (events_slo[0] / "plan.html").read_text()
    tables = re.findall(r"(.{0,20})<table\b", page)
    assert len(tables) >= 6 and all(t.endswith('<div class="wide">') for t in tables), tables
    assert page.count("</table></div>") == len(tables)
    screen = page.split("@media screen {")[1].split("}\n}")[0]
    assert re.search(r"\.wide \{ overflow-x: auto;", screen)
    assert ".wide" not in page.split("@media screen {")[0]  # print: tables as they were


def test_html_is_one_offline_page_with_page_one_s_texts(sample):
    from capplan.outputs import fmt, view

    plan = json.loads((sample / "plan.json").read_text())
    page = (sample / "plan.html").read_text()
    import re

    assert not re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="', page)  # nothing fetched
    assert page.count("plotly.js v") == 1  # plotly.js inlined once
    figures = json.loads(page.split('id="capplan-figures">')[1].split("</script>")[0])
    assert len(figures) == 6 and all(f'id="chart-{name}"' in page for name in figures)
    assert "responsive: true" in page
    import html as _html

    text = _html.unescape(re.sub(r"<[^>]+>", "", page))
    p = view.page_one(plan)
    for s in p["scenarios"]:
        assert s["sentence"] in text
    for a in p["assumptions"] + p["limits"]:  # as on page 1: their ISO dates as people write them
        assert fmt.dates_in_text(a) in text, a


def _instances_by_hand(peak: float) -> int:
    """1,250 req/s an instance at 100%; target 0.6, survivors at 0.8 after losing one of 3 zones
    (or the spare): D = ceil(P / 1,000) survive, ceil(D / 2) a zone, 3 zones + 1 spare, raised
    to ceil(P / 750) for normal running (capacity.py's rule, worked by hand)."""
    import math

    d = math.ceil(peak / 1000 - 1e-9)
    n = math.ceil(d / 2) * 3 + 1
    b = math.ceil(peak / 750 - 1e-9)
    return n if n >= b else math.ceil((b - 1) / 3) * 3 + 1


def test_seed_plan_json_by_hand(seed):
    """The same plan's JSON, by hand: the rule, the sale's step, the costs, the order dates."""
    import datetime as dt

    plan = json.loads((seed / "plan.json").read_text())
    nom = plan["scenarios"]["nominal"]
    assert plan["start"] == "2026-11-24"
    want = [_instances_by_hand(max(10000 * 1.1 ** m,
                                   10000 * 1.1 ** (108 / 30.4375) * 2 if m == 4 else 0))
            for m in range(1, 13)]
    assert [r["instances"] for r in nom["months"]] == want
    assert nom["total_cost"] == sum(want) * 100
    # Month 2 is the first over today's 20; the path crosses what 20 carry (6 a zone: 12 x 1,000
    # = 12,000 after the loss) at 1.1^t = 1.2, t = 1.913 months = 58.2 days: 2027-01-21.
    t = math.log(1.2) / math.log(1.1) * 30.4375
    runway = dt.date(2026, 11, 24) + dt.timedelta(days=math.floor(t))
    assert nom["runway"] == runway.isoformat() == "2027-01-21"
    assert nom["months"][1]["order_by"] == runway.isoformat()  # no lead time
    ev = plan["events"][0]["scenarios"]["nominal"]
    assert ev["in_service_by"] == "2027-03-03" and ev["instances"] == 46


def test_workbook_writes_input_text_as_text(tmp_path):
    import openpyxl

    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--title", "=1+1",
                          "--event", "=cmd|x:2030-01-01:1h:2x", "--months", 2,
                          "--out", tmp_path)
    assert code == 0, se
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert wb["Inputs"]["A1"].value == "=1+1" and wb["Inputs"]["A1"].data_type == "s"


def test_failed_run_leaves_earlier_set_untouched(seed, tmp_path):
    target = tmp_path / "keep"
    shutil.copytree(seed, target, symlinks=True)  # the set as written: links and version folder

    def files():  # every entry, hidden ones too: a failed run must not touch any
        return {p.relative_to(target): p.read_bytes() if p.is_file() else
                os.readlink(p) if p.is_symlink() else "folder" for p in sorted(target.rglob("*"))}

    before = files()
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--paper", "A7",
                          "--out", target)
    assert code == 2 and "--paper" in se
    assert files() == before
    # A successful run replaces the whole set: the JSON and the workbook come from one run.
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--months", 2,
                          "--out", target)
    assert code == 0, se
    plan = json.loads((target / "plan.json").read_text())
    assert plan["months"] == 2 and sorted(p.name for p in target.iterdir()
                                          if not p.name.startswith(".")) == [
        "plan.html", "plan.json", "plan.pdf", "plan.xlsx"]
    # The --no-report run that follows leaves plan.json alone: no stale PDF beside it.
    code, _, se = run_cli("plan", "--peak", 100, "--per-instance", 50, "--months", 3,
                          "--no-report", "--out", target)
    assert code == 0, se
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == ["plan.json"]


def test_same_flags_same_files(tmp_path):
    import hashlib

    args = ("plan", "--peak", 1000, "--per-instance", 100, "--months", 2, "--growth", "5%",
            "--out", tmp_path / "o")
    digests = []
    for _ in range(2):
        code, _, se = run_cli(*args)
        assert code == 0, se
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                        for p in sorted((tmp_path / "o").iterdir()) if not p.name.startswith(".")})
    assert digests[0] == digests[1] and len(digests[0]) == 4
