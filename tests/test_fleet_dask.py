"""The Dask path: a LocalCluster of two workers on loopback TCP, inside the suite. Same services
and flags give the same fleet.json as --jobs 1."""
import json
import logging

import pytest

from test_fleet import daily_csv, wavy

from capplan.fleet import DaskExecutor, FleetSettings, LocalExecutor, plan_fleet
from capplan.outputs import fleet_json

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    # Threads in this process, talking over loopback TCP like a real cluster: starts in ~1 s.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        yield c


def test_dask_gives_the_same_fleet_json_as_one_process(tmp_path, cluster):
    for i, level in enumerate((120, 480)):
        daily_csv(tmp_path / f"s{i}.csv", wavy(30, level, seed=i))
    (tmp_path / "s1.toml").write_text('instances = 8\nutilization = 0.5\ngrowth = "5%"\n')
    (tmp_path / "broken.csv").write_text("not,a,series\n")
    flags = FleetSettings(flags=(("months", 3),))
    address = cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    on_dask = plan_fleet(tmp_path, flags, DaskExecutor(address))
    local = plan_fleet(tmp_path, flags, LocalExecutor(1))
    assert fleet_json.dumps(on_dask) == fleet_json.dumps(local)
    doc = json.loads(fleet_json.dumps(on_dask))
    assert doc["services_planned"] == 2 and [f["name"] for f in doc["failed"]] == ["broken"]
    # The workers are released: nothing of this run is left on the cluster.
    with distributed.Client(address) as client:
        assert not client.who_has()


def test_unreachable_scheduler_is_one_line(tmp_path):
    from capplan.errors import CapplanError

    daily_csv(tmp_path / "a.csv", [10.0] * 10)
    with pytest.raises(CapplanError, match="cannot connect"):
        plan_fleet(tmp_path, FleetSettings(), DaskExecutor("tcp://127.0.0.1:9", timeout=1))
    with pytest.raises(CapplanError, match="tcp://host:8786"):
        plan_fleet(tmp_path, FleetSettings(), DaskExecutor("10.0.0.5:8786"))
