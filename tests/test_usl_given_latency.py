"""Latencies given to capplan.fit_usl as numbers: checked, and used exactly as a file's column."""
import pytest

import capplan
from capplan.errors import CapplanError

N = [1, 2, 4, 8, 16, 32, 64]
X = [100, 190, 340, 560, 780, 900, 850]
P99_MS = [12, 14, 18, 25, 45, 120, 400]
# 100 ms is crossed between N = 16 (780 req/s, 45 ms) and N = 32 (900 req/s, 120 ms):
# 780 + (100 - 45) / (120 - 45) x (900 - 780) = 868 req/s, by hand.
BY_HAND = 868.0


def test_given_latency_is_measured_and_matches_the_file(tmp_path):
    csv = tmp_path / "lt.csv"
    csv.write_text("users,rps,latency_p99_ms\n"
                   + "".join(f"{n},{x},{ms}\n" for n, x, ms in zip(N, X, P99_MS)))
    from_file = capplan.fit_usl(str(csv), latency_slo=0.1).to_dict()["at_latency_slo"]
    given = capplan.fit_usl(N, X, [ms / 1000 for ms in P99_MS], latency_slo=0.1,
                            latency_statistic="p99").to_dict()["at_latency_slo"]
    assert from_file["throughput"] == pytest.approx(BY_HAND)
    assert given["throughput"] == pytest.approx(BY_HAND)
    assert given["method"] == from_file["method"] == "measured"
    assert "no measured latency" not in given["description"]


def test_given_latency_without_statistic_is_measured_and_says_unstated():
    doc = capplan.fit_usl(N, X, [ms / 1000 for ms in P99_MS],
                          latency_slo=0.1).to_dict()["at_latency_slo"]
    assert doc["throughput"] == pytest.approx(BY_HAND)
    assert doc["statistic"].startswith("unstated")


@pytest.mark.parametrize("latency", [[0.012] * 5, [0.012] * 8])
def test_latency_of_the_wrong_length_is_refused(latency):
    with pytest.raises(CapplanError, match=rf"{len(latency)} latency value\(s\) for 7 "
                                           "measurement"):
        capplan.fit_usl(N, X, latency)


def test_bad_statistic_and_misplaced_latency_are_refused(tmp_path):
    with pytest.raises(CapplanError, match="latency_statistic='fast'"):
        capplan.fit_usl(N, X, [0.01] * 7, latency_statistic="fast")
    with pytest.raises(CapplanError, match="give latency= too"):
        capplan.fit_usl(N, X, latency_statistic="p99")
