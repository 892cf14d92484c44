"""A fleet service whose export holds several series fails with advice a fleet user can follow
(capplan fleet has no --series): each way the message names is then checked to work."""
import datetime as dt

from capplan.fleet import FleetSettings, LocalExecutor, plan_fleet, read_sources


def _two_series(path):
    rows = ["date,north,south"] + [f"{dt.date(2024, 1, 1) + dt.timedelta(days=i)},{500 + i},{90}"
                                   for i in range(30)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_several_series_in_a_fleet_say_what_a_fleet_user_can_do(tmp_path):
    d = tmp_path / "svc"
    d.mkdir()
    _two_series(d / "gates.csv")
    settings = FleetSettings(flags=(("growth", "0%/month"),))
    failed = plan_fleet(read_sources(d), settings, LocalExecutor(1)).failed
    assert len(failed) == 1
    error = failed[0].error
    assert "--series" not in error and "--aggregate" not in error, error
    assert 'series = "..."' in error and 'aggregate = "sum"' in error
    assert "gates.toml" in error and "[[service]]" in error and "this file alone" in error
    # each way it names works: the service file beside the export ...
    (d / "gates.toml").write_text('series = "north"\n')
    result = plan_fleet(read_sources(d), settings, LocalExecutor(1))
    assert not result.failed and result.planned[0].plan()["input"]["series"] == "north"
    # ... a [[service]] table in a fleet.toml ...
    (d / "gates.toml").unlink()
    fleet = tmp_path / "fleet.toml"
    fleet.write_text('[[service]]\nname = "g"\nfile = "svc/gates.csv"\naggregate = "sum"\n')
    result = plan_fleet(read_sources(fleet), settings, LocalExecutor(1))
    assert not result.failed
    # by hand: the first day is 500 + 90 summed
    assert result.planned[0].plan()["load"]["daily_peaks"][0]["peak"] == 590
    # ... and the file alone: a service per series
    result = plan_fleet(read_sources(d / "gates.csv"), settings, LocalExecutor(1))
    assert sorted(s.name for s in result.planned) == ["north", "south"]
