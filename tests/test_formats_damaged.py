"""A damaged file of every new format: one line on stderr, exit status 2, nothing written.

Each file is a sample from tests/data (see inputs/SOURCES.md) cut short or with a field spoiled,
run through `capplan.cli.main` in-process (the same code path as the installed command).
"""
import gzip
import sys
from pathlib import Path

import pytest

from capplan.cli import main

HERE = Path(__file__).parent / "data"


def cut(rel, keep):
    return (HERE / rel).read_bytes()[:keep]


DAMAGED = {
    # monitoring JSON
    "cloudwatch.json": ("analyze", cut("formats/cloudwatch_get_metric_statistics.json", 300)),
    "metric_data.json": ("analyze", b'{"MetricDataResults": [{"Id": "m1", "Timestamps": ["x"], '
                                    b'"Values": "many"}]}'),
    "gcp.json": ("analyze", cut("formats/gcp_timeseries_delta.json", 900)),
    "gcp_types.json": ("analyze", b'{"timeSeries": [{"metricKind": "DELTA", "points": [7]}]}'),
    "azure.json": ("analyze", b'{"interval": "PT1M", "value": [{"timeseries": [{"data": '
                              b'[{"timeStamp": 5, "total": "lots"}]}]}]}'),
    "nested.json": ("analyze", b'{"data": {"resultType": "matrix", "result": ' + b"[" * 100_000),
    # access logs
    "alb.log.gz": ("analyze", gzip.compress((HERE / "formats/alb_access.log").read_bytes() * 40)
                   [:-40]),
    "elb.log": ("analyze", b"0995-05-06T09:01:30.000000Z shop 198.51.100.7:40000 10.0.0.3:80 "
                           b"0.1 0.1 0.1 200 200 0 10 \"GET http://x/ HTTP/1.1\" \"curl\" - -\n"
                           * 5),
    "cloudfront.log": ("analyze", b"#Version: 1.0\n#Fields: date time x-edge-location sc-bytes\n"),
    "caddy.log": ("analyze", b'{"level":"info","ts":1e400,"msg":"handled request",'
                             b'"request":{"method":"GET"},"status":200}\n' * 3),
    # load tests
    "jmeter.jtl": ("usl", cut("loadtests/jmeter_stepping.jtl", 400)),
    "k6.csv": ("usl", cut("loadtests/k6_ramping.csv", 500)),
    "k6.json": ("usl", b'{"metrics": {"http_reqs": {"values": {"count": 5}}}}'),
    "locust_stats_history.csv": ("usl", cut("loadtests/locust_stats_history.csv", 700)),
    "wrk.txt": ("usl", b"Running 30s test @ http://x/\n  2 threads and 10 connections\n"
                       b"Requests/sec: lots\n"),
    "hey_c8.txt": ("usl", b"Summary:\n  Total:\t20 secs\n  Requests/sec:\tnone\n"),
    "steps.csv": ("usl", b"connections,requests_per_sec\n1,10\n2,x\n"),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_file_one_line_exit_2_nothing_written(name, tmp_path, monkeypatch, capsys):
    command, data = DAMAGED[name]
    p = tmp_path / name
    p.write_bytes(data)
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["capplan", command, str(p), "--out", str(out)])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert err.startswith("capplan: error: ") and err.count("\n") == 1, err
    assert not out.exists()
