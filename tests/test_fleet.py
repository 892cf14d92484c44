"""capplan.fleet as a library: each source form, the roll-up against sums worked out here, each
service's plan against `capplan forecast`'s own calls, failures that stop nobody else."""
import datetime as dt
import json
import math
import shutil

import pytest

from conftest import daily_csv, data

from capplan.fleet import FleetSettings, LocalExecutor, plan_fleet, read_sources
from capplan.outputs import fleet_json

START = dt.date(2024, 1, 1)
DAYS_PER_MONTH = 30.4375


def wavy(n, level, trend=0.004, seed=0):
    """A daily series with a weekly shape and a trend: something growth models can fit."""
    return [round(level * (1 + trend * i) * (1 + 0.15 * math.sin(2 * math.pi * (i + seed) / 7)),
                  2) for i in range(n)]


def plan_of(result, name):
    return next(s for s in result.services if s.name == name)


@pytest.fixture(scope="module")
def flat_fleet(tmp_path_factory):
    """Three services with flat daily peaks, planned at a stated 10% a month: every number can be
    worked out by hand. `api` and `web` have capacity facts beside them; `batch` has none."""
    d = tmp_path_factory.mktemp("flat")
    daily_csv(d / "api.csv", [500.0] * 30)
    (d / "api.toml").write_text("per_instance = 100\ninstances = 10\ncost_per_instance = 20\n")
    daily_csv(d / "web.csv", [1200.0] * 30)
    (d / "web.toml").write_text("[capacity]\nper_instance = 50\ninstances = 50\n"
                                "cost_per_instance = 7.5\n")
    daily_csv(d / "batch.csv", [80.0] * 30)
    (d / "README.md").write_text("not an export")
    settings = FleetSettings(flags=(("growth", "10%/month"),))
    return d, plan_fleet(d, settings, LocalExecutor(1))


def test_folder_roll_up_by_hand(flat_fleet):
    _, result = flat_fleet
    assert [s.name for s in result.services] == ["api", "batch", "web"]
    assert not result.failed and result.months == 6
    # By hand: month m's peak is P x 1.1^m; instances = ceil(peak / (limit x 0.6)).
    api = [math.ceil(500 * 1.1 ** m / 60) for m in range(1, 7)]
    web = [math.ceil(1200 * 1.1 ** m / 30) for m in range(1, 7)]
    assert api == [10, 11, 12, 13, 14, 15] and web[0] == 44 and web[-1] == 71
    nom = result.rollup["nominal"]
    assert [r.instances for r in nom] == [a + w for a, w in zip(api, web)]
    assert [r.add for r in nom] == [max(a - 10, 0) + max(w - 50, 0) for a, w in zip(api, web)]
    assert [r.cost for r in nom] == pytest.approx([a * 20 + w * 7.5 for a, w in zip(api, web)])
    assert all(r.services_sized == 2 and r.services_costed == 2 for r in nom)
    # The data end on 2024-01-30: month m ends m x 30.4375 days later.
    end = START + dt.timedelta(days=29)
    assert [r.date for r in nom] == [str(end + dt.timedelta(days=m * DAYS_PER_MONTH))
                                     for m in range(1, 7)]
    # api runs out when 500 x 1.1^t passes 10 x 60 = 600: t = ln 1.2 / ln 1.1 months; web when
    # 1200 x 1.1^t passes 50 x 30 = 1500: t = ln 1.25 / ln 1.1.
    risk = {(a.name, a.scenario): a for a in result.at_risk}
    assert risk[("api", "nominal")].runway_months == pytest.approx(math.log(1.2) / math.log(1.1))
    assert risk[("web", "nominal")].runway_months == pytest.approx(
        math.log(1500 / 1200) / math.log(1.1))
    assert [a.name for a in result.at_risk][:2] == ["api", "api"]  # earliest first
    assert [a.runway for a in result.at_risk] == sorted(a.runway for a in result.at_risk)
    assert "batch" not in {a.name for a in result.at_risk}
    batch = plan_of(result, "batch").summary
    assert not batch.sized and [m.peak for m in batch.scenarios["nominal"].months] == \
        pytest.approx([80 * 1.1 ** m for m in range(1, 7)])
    assert any("README.md" in n for n in result.notes)
    roles = {(i.service, i.role) for i in result.inputs}
    assert {("api", "export"), ("api", "service file"), ("web", "service file"),
            ("batch", "export")} <= roles


def test_fleet_json_is_the_sum_of_its_plans(flat_fleet):
    _, result = flat_fleet
    doc = json.loads(fleet_json.dumps(result))
    assert doc["services_total"] == 3 and doc["services_failed"] == 0 and doc["failed"] == []
    plans = {s["name"]: s["plan"] for s in doc["services"]}
    for scenario in ("nominal", "worst_case"):
        for i, row in enumerate(doc["rollup"][scenario]["months"]):
            months = [p["scenarios"][scenario]["months"][i] for p in plans.values()]
            sized = [m for m in months if m["instances"] is not None]
            assert row["instances"] == sum(m["instances"] for m in sized)
            assert row["add"] == sum(m["add"] for m in sized)
            assert row["cost"] == pytest.approx(sum(m["cost"] for m in sized))
    assert doc["rollup"]["current_instances"] == 60
    assert [(a["name"], a["scenario"]) for a in doc["at_risk"]] == \
        [(a.name, a.scenario) for a in result.at_risk]
    assert plans["batch"]["capacity"]["per_instance_limit"] is None


def test_each_plan_is_what_capplan_forecast_makes(tmp_path):
    """A folder service goes through exactly forecast's calls with its TOML's facts; the fitted
    growth model, the backtest and every month agree to the last digit."""
    from capplan.config import read_config
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, forecast
    from capplan.fleet.worker import compact_json

    daily_csv(tmp_path / "shop.csv", wavy(45, 900))
    (tmp_path / "shop.toml").write_text("instances = 12\nutilization = 0.45\nlead_time = 14\n")
    result = plan_fleet(tmp_path, FleetSettings(flags=(("months", 4),)), LocalExecutor(1))
    facts = read_config(tmp_path / "shop.toml")
    settings = Settings.from_dict({**facts, "months": 4})
    alone = forecast(str(tmp_path / "shop.csv"), settings)
    # As `capplan forecast shop.csv --config shop.toml --months 4`: its inputs name the TOML too.
    mine = plan_of(result, "shop").plan()
    assert mine == json.loads(compact_json(plan_json(alone, settings, tmp_path / "shop.toml")))
    assert [i["role"] for i in mine["inputs"]] == ["traffic", "config"]
    assert plan_of(result, "shop").plan()["growth"]["backtest"]  # a fitted model, not a stated rate


def test_multi_series_prometheus_file_is_one_service_per_series(tmp_path):
    """One query_range answer (`sum by (service)`): each series is planned as `capplan forecast
    FILE --series '{service="..."}'` plans it, the file read once."""
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, forecast
    from capplan.fleet.worker import compact_json

    t0 = 1704067200  # 2024-01-01 UTC
    result_rows = []
    for k, (svc, level) in enumerate((("cart", 40), ("search", 250), ("auth", 90))):
        values = [[t0 + h * 3600, str(round(level * (1 + 0.3 * math.sin(h / 24 * 2 * math.pi))
                                            * (1 + 0.002 * h / 24), 3))] for h in range(24 * 35)]
        result_rows.append({"metric": {"service": svc}, "values": values})
    f = tmp_path / "all.json"
    f.write_text(json.dumps({"status": "success",
                             "data": {"resultType": "matrix", "result": result_rows}}))
    source = read_sources(f)
    assert source.form == "multi-series file" and [t.name for t in source.tasks] == \
        ["auth", "cart", "search"]
    flags = (("per_instance", 30.0), ("months", 3), ("growth", "4%/month"))
    result = plan_fleet(source, FleetSettings(flags=flags), LocalExecutor(1))
    assert not result.failed
    label = '{service="search"}'
    alone = json.loads(compact_json(plan_json(forecast(str(f), Settings(series=label,
                                                                       **dict(flags))))))
    mine = plan_of(result, "search").plan()
    # Reading the whole file for one series notes the rows of the others it left; the fleet
    # plans the others as services of their own, so its plan has no such note.
    assert any("other series" in n for n in alone["quality"].pop("notes"))
    assert mine["quality"].pop("notes") == []
    assert mine == alone
    assert plan_of(result, "search").plan()["input"]["series"] == label
    exports = [i for i in result.inputs if i.role == "export"]
    assert len(exports) == 1 and exports[0].service is None  # one file behind three services


def test_long_csv_by_service_column_names_original_lines(tmp_path):
    rows = ["time,service,requests"]
    for i in range(30):
        day = START + dt.timedelta(days=i)
        rows.append(f"{day},alpha,{100 + i}")
        rows.append(f"{day},beta,{'oops' if i == 4 else 50 + i}")
    f = tmp_path / "long.csv"
    f.write_text("\n".join(rows) + "\n")
    result = plan_fleet(read_sources(f, service_column="service"),
                        FleetSettings(flags=(("growth", "3%"),)), LocalExecutor(1))
    assert [s.name for s in result.services] == ["alpha", "beta"] and not result.failed
    beta = plan_of(result, "beta").plan()
    dropped = beta["quality"]["dropped"]
    # 'oops' is day 5's beta row: line 1 is the header, day i's rows are lines 2 + 2i and 3 + 2i.
    assert dropped[0]["count"] == 1 and dropped[0]["first_lines"] == [3 + 2 * 4]
    assert rows[3 + 2 * 4 - 1].endswith("oops")
    assert beta["input"]["path"] == str(f) and beta["input"]["series"] == "beta"
    assert plan_of(result, "alpha").plan()["load"]["peak"] == 129
    with pytest.raises(Exception, match="no column 'team' for --service-column"):
        read_sources(f, service_column="team")


def test_fleet_toml_defaults_service_tables_and_flags(tmp_path):
    daily_csv(tmp_path / "a.csv", [600.0] * 20)
    daily_csv(tmp_path / "b.csv", [600.0] * 20)
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[defaults]\ntarget_utilization = 0.5\nper_instance = 100\n'
                     'growth = "0%/month"\n\n'
                     '[[service]]\nname = "alpha"\nfile = "a.csv"\n[service.capacity]\n'
                     'target_utilization = 0.75\n\n'
                     '[[service]]\nfile = "b.csv"\n')
    source = read_sources(fleet)
    assert [t.name for t in source.tasks] == ["alpha", "b"] and source.form == "fleet.toml"
    result = plan_fleet(source, FleetSettings(), LocalExecutor(1))
    # 600 / (100 x 0.75) = 8 for alpha (its own table wins); 600 / (100 x 0.5) = 12 for b.
    assert plan_of(result, "alpha").summary.scenarios["nominal"].months[0].instances == 8
    assert plan_of(result, "b").summary.scenarios["nominal"].months[0].instances == 12
    # A flag wins over both: 600 / (100 x 0.6) = 10.
    result = plan_fleet(source, FleetSettings(flags=(("target_utilization", 0.6),)),
                        LocalExecutor(1))
    assert {s.summary.scenarios["nominal"].months[0].instances for s in result.services} == {10}
    assert [i.role for i in result.inputs][0] == "fleet file"


def test_fleet_toml_errors_name_the_file_and_table(tmp_path):
    from capplan.errors import CapplanError

    daily_csv(tmp_path / "a.csv", [600.0] * 20)
    fleet = tmp_path / "fleet.toml"
    for text, words in (('[[service]]\nname = "x"\n', "has no file"),
                        ('[defaults]\ntarget_utilization = 60\n[[service]]\nfile = "a.csv"\n',
                         "[defaults] target_utilization = 60"),
                        ('[[service]]\nfile = "a.csv"\n[[service]]\nfile = "a.csv"\n',
                         "two services named 'a'"),
                        ('services = 1\n', "unknown top-level key"),
                        ('[[service]\n', "not valid TOML")):
        fleet.write_text(text)
        with pytest.raises(CapplanError, match=words.replace("[", r"\[")):
            read_sources(fleet)
    # A bad value in one service's table fails that service only.
    fleet.write_text('[[service]]\nfile = "a.csv"\nper_instance = 100\n'
                     '[[service]]\nname = "bad"\nfile = "a.csv"\nzones = 0\n')
    result = plan_fleet(read_sources(fleet), FleetSettings(flags=(("growth", "1%"),)),
                        LocalExecutor(1))
    assert [s.name for s in result.planned] == ["a"]
    assert "[[service]] 2 (bad) zones = 0" in plan_of(result, "bad").error


def test_one_broken_service_among_good_ones(tmp_path):
    daily_csv(tmp_path / "good.csv", [100.0] * 20)
    (tmp_path / "empty.csv").write_text("date,value\n")
    daily_csv(tmp_path / "short.csv", [100.0])
    daily_csv(tmp_path / "badfacts.csv", [100.0] * 20)
    (tmp_path / "badfacts.toml").write_text("target_utilization = 7\n")
    result = plan_fleet(tmp_path, FleetSettings(flags=(("growth", "2%"),)), LocalExecutor(1))
    assert [s.name for s in result.planned] == ["good"]
    errors = {s.name: s.error for s in result.failed}
    assert str(tmp_path / "empty.csv") in errors["empty"] and "no data rows" in errors["empty"]
    assert "badfacts.toml" in errors["badfacts"] and "target_utilization" in errors["badfacts"]
    assert errors["short"]
    assert all("\n" not in e for e in errors.values())
    # Failed services are not in the totals; their inputs are still listed with their sha256.
    assert {i.service for i in result.inputs if i.role == "export"} == \
        {"good", "empty", "short", "badfacts"}
    doc = json.loads(fleet_json.dumps(result))
    assert {f["name"] for f in doc["failed"]} == {"empty", "short", "badfacts"}
    assert [s["name"] for s in doc["services"] if "error" in s] == ["badfacts", "empty", "short"]


def test_same_fleet_json_with_one_or_two_processes(tmp_path):
    for i, level in enumerate((120, 480)):
        daily_csv(tmp_path / f"s{i}.csv", wavy(30, level, seed=i))
    (tmp_path / "s1.toml").write_text('instances = 8\nutilization = 0.5\ngrowth = "5%"\n')
    (tmp_path / "broken.csv").write_text("not,a,series\n")
    one = fleet_json.dumps(plan_fleet(tmp_path, FleetSettings(), LocalExecutor(1)))
    two = fleet_json.dumps(plan_fleet(tmp_path, FleetSettings(), LocalExecutor(2)))
    assert one == two
    assert json.loads(one)["services_planned"] == 2


def test_real_exports_folder(tmp_path):
    """Three real exports of ../shared/data as three services (two intraday, one daily)."""
    for rel in ("traffic/nab_nyc_taxi.csv", "traffic/nab_elb_request_count_8c0756.csv",
                "forecasting/prophet_example_wp_log_peyton_manning.csv"):
        shutil.copy(data(rel), tmp_path)
    result = plan_fleet(tmp_path, FleetSettings(flags=(("months", 3), ("growth", "1%"))),
                        LocalExecutor(1))
    assert not result.failed
    taxi = plan_of(result, "nab_nyc_taxi").plan()
    assert taxi["input"]["rows"] == 10320  # ../shared/data/README.md: 10,320 rows
    assert plan_of(result, "nab_elb_request_count_8c0756").plan()["quality"]["gaps"] == 8


def test_rule_between_a_flag_and_a_service_file(tmp_path):
    """--worst-growth 5% for the fleet and growth = "10%" in one service's file: that service
    fails with the rule's message; the other is planned."""
    daily_csv(tmp_path / "a.csv", [100.0] * 20)
    daily_csv(tmp_path / "b.csv", [100.0] * 20)
    (tmp_path / "b.toml").write_text('growth = "10%"\n')
    result = plan_fleet(tmp_path, FleetSettings(flags=(("worst_growth", "5%"),)),
                        LocalExecutor(1))
    assert [s.name for s in result.failed] == ["b"]
    bad = result.failed[0]
    assert bad.name == "b" and "worst case must grow at least as fast" in bad.error


def test_compact_json_is_the_contract_text():
    """The fast path gives the text of outputs.json's own walk (numpy scalars, NaN to null)."""
    import numpy as np

    from capplan.fleet.worker import compact_json
    from capplan.outputs.json import _clean

    for doc in ({"a": np.float64(1.5), "b": [np.int64(3), np.bool_(True), None, "x"],
                 "c": {"d": 2.0, "e": (1, 2)}},
                {"a": float("nan"), "b": [np.float64("inf"), 1.0]}):
        want = json.dumps(_clean(doc), separators=(",", ":"), allow_nan=False).encode()
        assert compact_json(doc) == want


def test_a_service_file_with_capacity_from_is_planned_as_forecast_plans_it(tmp_path):
    """`capacity_from` in a service's TOML (a path relative to that file) fits the limit from the
    service's production metrics inside the worker, exactly as `capplan forecast FILE --config
    NAME.toml` does: the same plan, the binding resource the metrics say (cpu: 10% + 0.4 points
    per req/s reaches the 60% target at (0.6 - 0.1) / 0.004 = 125 req/s, memory only at 200)."""
    from capplan.config import read_config
    from capplan.fleet.worker import compact_json
    from capplan.outputs.report import plan_json
    from capplan.pipeline import Settings, forecast
    from test_resources_plan import write_metrics, write_traffic

    (tmp_path / "metrics").mkdir()
    write_metrics(tmp_path / "metrics" / "api.csv")
    write_traffic(tmp_path / "api.csv")
    (tmp_path / "api.toml").write_text(
        'capacity_from = "metrics/api.csv"\nthroughput = "rps"\nresources = ["cpu=cpu", '
        '"mem=mem"]\ninstances = 4\ntarget_utilization = 0.6\ngrowth = "5%/month"\n')
    result = plan_fleet(tmp_path, FleetSettings(flags=(("months", 4),)), LocalExecutor(1))
    assert not result.failed
    mine = plan_of(result, "api").plan()
    facts = read_config(tmp_path / "api.toml")
    alone = forecast(str(tmp_path / "api.csv"), Settings.from_dict({**facts, "months": 4}))
    assert mine == json.loads(compact_json(plan_json(alone, Settings.from_dict(
        {**facts, "months": 4}), tmp_path / "api.toml")))
    cap = mine["capacity"]
    assert cap["binding"] == "cpu"
    assert cap["per_instance_limit"] == pytest.approx(125 / 0.6, rel=0.05)
    assert [(i["role"], i["path"]) for i in mine["inputs"]] == [
        ("traffic", str(tmp_path / "api.csv")), ("config", str(tmp_path / "api.toml")),
        ("metrics (throughput)", str(tmp_path / "metrics" / "api.csv"))]
