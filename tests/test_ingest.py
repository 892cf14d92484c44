"""Ingest: formats, column detection, time parsing, the quality account; every real series."""
import gzip

import numpy as np
import pandas as pd
import pytest

from capplan.errors import CapplanError
from capplan.ingest import read_traffic
from conftest import data


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


# Reference values: ../shared/data/README.md (rows, first/last, gaps) per file.
REAL = [
    ("traffic/nab_nyc_taxi.csv", 10320, "2014-07-01 00:00", "2015-01-31 23:30", 1800, 0),
    ("traffic/nab_elb_request_count_8c0756.csv", 4032, "2014-04-10 00:04", "2014-04-24 00:39", 300, 8),
    ("traffic/nab_ec2_network_in_257a54.csv", 4032, "2014-04-10 00:04", "2014-04-24 00:09", 300, 2),
    ("traffic/nab_twitter_volume_AMZN.csv", 15831, "2015-02-26 21:42:53", "2015-04-22 20:52:53", 300, 0),
    ("forecasting/prophet_example_wp_log_peyton_manning.csv", 2905, "2007-12-10", "2016-01-20", 86400,
     29),  # README: 20 + 5 + 2 + 1 + 1 = 29 gaps of 2 to 20 days
    ("forecasting/prophet_example_retail_sales.csv", 293, "1992-01-01", "2016-05-01", None, 0),
    ("excel/tfl-daily-cycle-hires.xlsx", 4963, "2010-07-30", "2024-02-29", 86400, 0),
]


@pytest.mark.parametrize("rel,rows,first,last,interval,gaps", REAL)
def test_real_series_load_with_no_flags(rel, rows, first, last, interval, gaps):
    t = read_traffic(data(rel))
    q = t.quality
    assert q.rows_read == rows and q.rows_used == rows and q.rows_dropped == 0
    assert q.first == pd.Timestamp(first, tz="UTC") and q.last == pd.Timestamp(last, tz="UTC")
    if interval:
        assert t.interval_seconds == interval
    assert q.gaps == gaps
    assert t.rate.index.is_monotonic_increasing and t.rate.index.is_unique


def test_pedestrians_needs_series_and_lists_names():
    p = data("traffic/prophet_example_pedestrians_multivariate.csv")
    with pytest.raises(CapplanError, match="location_4, location_41.*--series"):
        read_traffic(p)
    t = read_traffic(p, series="location_41")
    assert t.rate.max() == 4682 and len(t.rate) == 720  # README: location_41 max 4,682


def test_yosemite_nan_strings_are_dropped_and_counted():
    t = read_traffic(data("forecasting/prophet_example_yosemite_temps.csv"))
    reasons = {d.reason: d for d in t.quality.dropped}
    assert reasons["missing or non-numeric value"].count == 12  # README: 12 literal NaN rows
    # 2017-06-10 14:05 is data row 11,690 (288 rows a day from 2017-05-01): line 11,691.
    assert reasons["missing or non-numeric value"].first_lines[0] == 11691


def test_grafana_wide_export_with_series(tmp_path):
    p = write(tmp_path, "grafana.csv",
              '"Time","api-1","api-2"\n"2024-03-01 00:00:00",10,20\n"2024-03-01 00:01:00",11,21\n'
              '"2024-03-01 00:02:00",12,22\n')
    with pytest.raises(CapplanError, match="api-1, api-2"):
        read_traffic(p)
    t = read_traffic(p, series="api-2")
    assert list(t.rate) == [20, 21, 22] and t.interval_seconds == 60


def test_grafana_long_export_semicolon(tmp_path):
    p = write(tmp_path, "long.csv", "Series;Time;Value\nweb;2024-03-01T00:00:00+01:00;5\n"
              "web;2024-03-01T00:05:00+01:00;7\ndb;2024-03-01T00:00:00+01:00;1\n")
    with pytest.raises(CapplanError, match="web, db"):  # in file order
        read_traffic(p)
    t = read_traffic(p, series="web")
    assert list(t.rate) == [5, 7]
    assert t.rate.index[0] == pd.Timestamp("2024-02-29 23:00", tz="UTC")  # offset honoured


def test_epoch_seconds_and_milliseconds(tmp_path):
    s = write(tmp_path, "s.csv", "timestamp,value\n1700000000,1\n1700000060,2\n")
    ms = write(tmp_path, "ms.csv", "time,rps\n1700000000000,1\n1700000060000,2\n")
    for p in (s, ms):
        t = read_traffic(p)
        assert t.rate.index[0] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
        assert t.interval_seconds == 60


def test_naive_times_in_a_timezone_become_utc(tmp_path):
    p = write(tmp_path, "ny.csv", "timestamp,value\n2024-07-01 12:00,1\n2024-07-01 13:00,2\n")
    t = read_traffic(p, timezone="America/New_York")
    assert t.rate.index[0] == pd.Timestamp("2024-07-01 16:00", tz="UTC")  # EDT = UTC-4
    assert t.quality.timezone_assumed == "America/New_York"


def test_tsv_gzip_and_cr_line_endings(tmp_path):
    p = tmp_path / "x.tsv.gz"
    p.write_bytes(gzip.compress(b"ds\ty\r2024-01-01\t5\r2024-01-02\t6\r2024-01-03\t7"))
    t = read_traffic(p)
    assert list(t.rate) == [5, 6, 7] and t.source.format == "gzip tsv"


def test_quality_account_duplicates_unsorted_negative_gaps(tmp_path):
    p = write(tmp_path, "q.csv", "timestamp,value\n2024-01-01 00:02,3\n2024-01-01 00:00,1\n"
              "2024-01-01 00:01,2\n2024-01-01 00:01,9\nbad,4\n2024-01-01 00:03,-1\n"
              "2024-01-01 00:04,x\n2024-01-01 00:10,5\n")
    t = read_traffic(p)
    q = t.quality
    assert q.rows_read == 8
    reasons = {d.reason: (d.count, d.first_lines) for d in q.dropped}
    assert reasons == {"unparsable timestamp": (1, (6,)), "negative value": (1, (7,)),
                       "missing or non-numeric value": (1, (8,))}
    assert q.duplicate_timestamps == 1 and t.rate.loc["2024-01-01 00:01"].item() == 9
    assert q.sorted_by_capplan
    assert t.interval_seconds == 60
    # 00:02 -> 00:10 is one gap of 8 minutes, 7 of them missing.
    assert q.gaps == 1 and q.longest_gap_seconds == 420 and q.missing_seconds == 420


def test_per_interval_and_counter(tmp_path):
    p = write(tmp_path, "c.csv", "timestamp,value\n2024-01-01 00:00,600\n2024-01-01 00:05,1200\n"
              "2024-01-01 00:10,1500\n")
    t = read_traffic(p, per_interval=True)
    assert list(t.rate) == [2.0, 4.0, 5.0]  # counts per 300 s
    c = write(tmp_path, "ctr.csv", "timestamp,value\n2024-01-01 00:00,100\n2024-01-01 00:01,160\n"
              "2024-01-01 00:02,220\n2024-01-01 00:03,30\n2024-01-01 00:04,90\n")
    t = read_traffic(c, counter=True)
    # (160-100)/60, (220-160)/60, reset: 30/60, (90-30)/60
    assert np.allclose(t.rate.to_numpy(), [1.0, 1.0, 0.5, 1.0])


BAD = [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"timestamp,value\n", "no data rows"),
    ("nonum.csv", b"when,what\nyesterday,lots\ntoday,more\n", "column"),
    ("notime.csv", b"a,b,c\n1,2,3\n4,5,6\n", "timestamp column"),
    ("badtimes.csv", b"timestamp,value\nnot-a-date,1\nalso-bad,2\n", "unparsable timestamp"),
    ("one.csv", b"timestamp,value\n2024-01-01 00:00:00,1\n", "at least 2"),
    ("fake.xlsx", b"PK\x03\x04garbage", "Excel"),
    ("trunc.csv.gz", gzip.compress(b"timestamp,value\n2024-01-01,1\n")[:20], "gzip"),
    ("bin.csv", bytes(range(256)) * 10, "binary"),
]


@pytest.mark.parametrize("name,content,words", BAD)
def test_bad_files_give_one_line_naming_the_file(tmp_path, name, content, words):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(CapplanError) as e:
        read_traffic(p)
    msg = str(e.value)
    assert "\n" not in msg and str(p) in msg and words.lower() in msg.lower()


def test_missing_file(tmp_path):
    with pytest.raises(CapplanError, match="no such file"):
        read_traffic(tmp_path / "nope.csv")


def test_dst_fold_rows_are_named_not_unparsable(tmp_path):
    # 2014-11-02 01:30 happened twice in New York; 2014-03-09 02:30 never happened.
    p = write(tmp_path, "dst.csv", "timestamp,value\n2014-11-02 00:30,1\n2014-11-02 01:30,2\n"
              "2014-11-02 02:30,3\n2014-03-09 02:30,4\n2014-11-02 03:30,5\n")
    t = read_traffic(p, timezone="America/New_York")
    reasons = {d.reason.split(" (")[0]: (d.count, d.first_lines) for d in t.quality.dropped}
    assert reasons == {"local time repeated or skipped by a daylight-saving change in "
                       "America/New_York": (2, (3, 5))}
    assert len(t.rate) == 3


def test_access_logs_become_request_rates():
    t = read_traffic(data("access_logs/nasa_access_log_Aug95_first20000.log"))
    counts = t.rate * 60
    assert t.quality.rows_used == 20000 and counts.sum() == 20000
    # README: requests per hour (-0400) 00: 1,642 ... 10: 3,773; busiest minute 10:44, 164.
    hourly = counts.groupby(counts.index.floor("h")).sum().tolist()
    assert hourly == [1642, 1385, 993, 1219, 985, 1146, 1022, 1778, 2858, 3199, 3773]
    assert counts.idxmax() == pd.Timestamp("1995-08-01 14:44", tz="UTC") and counts.max() == 164
    combined = read_traffic(data("access_logs/elastic_examples_apache_logs_combined.log"))
    assert (combined.rate * 60).sum() == 10000 and combined.source.format == "access log (CLF)"


def test_access_log_bad_lines_counted(tmp_path):
    p = write(tmp_path, "a.log", '1.2.3.4 - - [01/Aug/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 1\n'
              "garbage line\n"
              '1.2.3.4 - - [01/Aug/1995:00:01:30 -0400] "GET / HTTP/1.0" 200 1\n'
              '1.2.3.4 - - [01/Aug/1995:00:01:31 -0400] "GET / HTTP/1.0" 200 1\n'
              '1.2.3.4 - - [01/Aug/1995:00:01:32 -0400] "GET / HTTP/1.0" 200 1\n'
              '1.2.3.4 - - [01/Aug/1995:00:01:33 -0400] "GET / HTTP/1.0" 200 1\n')
    t = read_traffic(p)
    assert t.quality.dropped[0].count == 1 and t.quality.dropped[0].first_lines == (2,)
    assert list(t.rate * 60) == [1, 4]


def test_decimal_comma_with_semicolons_and_thousands_with_commas(tmp_path):
    eu = write(tmp_path, "eu.csv", "Zeit;Anfragen\n2024-01-01 00:00;1.234,5\n2024-01-01 00:01;2,25\n")
    assert list(read_traffic(eu).rate) == [1234.5, 2.25]
    us = write(tmp_path, "us.csv", 'timestamp,value\n2024-01-01 00:00,"1,234.5"\n2024-01-01 00:01,2.25\n')
    assert list(read_traffic(us).rate) == [1234.5, 2.25]


def test_prometheus_and_datadog_json(tmp_path):
    import json as _json

    prom = {"status": "success", "data": {"resultType": "matrix", "result": [
        {"metric": {"job": "api"}, "values": [[1700000000, "1.5"], [1700000060, "2.5"],
                                              [1700000120, "NaN"]]},
        {"metric": {"job": "db"}, "values": [[1700000000, "9"], [1700000060, "8"]]}]}}
    p = tmp_path / "prom.json"
    p.write_text(_json.dumps(prom))
    with pytest.raises(CapplanError, match='job="api"'):
        read_traffic(p)
    t = read_traffic(p, series='{job="api"}')
    assert list(t.rate) == [1.5, 2.5] and t.interval_seconds == 60
    assert t.quality.dropped[0].count == 1  # the NaN sample, counted
    assert t.rate.index[0] == pd.Timestamp(1700000000, unit="s", tz="UTC")
    dd = {"series": [{"metric": "nginx.requests", "scope": "host:web1",
                      "pointlist": [[1700000000000.0, 10.0], [1700000300000.0, 12.0]]}]}
    q = tmp_path / "dd.json"
    q.write_text(_json.dumps(dd))
    t = read_traffic(q)
    assert list(t.rate) == [10.0, 12.0] and t.interval_seconds == 300
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(CapplanError, match="does not parse"):
        read_traffic(bad)
