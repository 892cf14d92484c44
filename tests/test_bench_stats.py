"""The interval bench/analyze_year.py quotes for the median of its paired ratios, against the
binomial worked out by hand (the sign test's order statistics)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from analyze_year import median_interval, verdict  # noqa: E402


def test_21_rounds_give_the_6th_and_16th_ratios():
    # P(X <= 5) for X ~ Bin(21, 1/2) = (1 + 21 + 210 + 1330 + 5985 + 20349) / 2**21 = 0.013302;
    # P(X <= 6) adds 54264 / 2**21 and passes 0.025: the 6th and the 16th of 21, at 97.34%.
    low, high, conf = median_interval([i / 10 for i in range(21, 0, -1)])
    assert (low, high) == (0.6, 1.6)
    assert conf == pytest.approx(1 - 2 * 27896 / 2 ** 21)


def test_too_few_rounds_have_no_interval():
    assert median_interval([0.9] * 5) is None  # P(X <= 0) = 1/32 > 0.025
    low, high, conf = median_interval([0.5, 0.6, 0.7, 0.8, 0.9, 1.2])  # 1/64 <= 0.025
    assert (low, high, conf) == (0.5, 1.2, 1 - 2 / 64)


def test_verdict_says_which_side_of_1x():
    assert "all below 1x" in verdict([0.9] * 20 + [1.1])
    assert "on both sides of 1x" in verdict([0.9] * 14 + [1.1] * 7)
    assert "all above 1x" in verdict([1.1] * 21)
    assert verdict([0.9] * 20 + [1.1]).startswith("capplan faster in 20 of 21 rounds")
