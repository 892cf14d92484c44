"""Bad flags and folders fail before any work: before the report browser starts (so in well under
a second), and an --out the file system refuses (a read-only mount; root passes os.access) is
found by a probe that leaves nothing behind."""
import errno
import os
import tempfile

import pytest

from capplan.errors import CapplanError
from capplan.numbers import plain
from conftest import ROOT, run_cli


@pytest.mark.parametrize("flags", [["--growth", "10"], ["--months", "0"], ["--event", "bad"]])
def test_a_bad_flag_fails_before_the_browser_starts(flags, tmp_path, monkeypatch):
    from capplan.outputs import browser

    def launch(*a, **k):
        raise AssertionError("the browser started before the flags were checked")

    monkeypatch.setattr(browser.Browser, "launch", launch)
    from typer.testing import CliRunner

    from capplan.cli import app

    result = CliRunner().invoke(app, ["forecast", str(ROOT / "inputs" / "nyc_taxi.csv"), "-o",
                                      str(tmp_path / "out"), *flags])
    # the CLI's main() turns this error into one line and exit code 2 (tested in test_cli)
    assert isinstance(result.exception, CapplanError), result.exception
    assert not (tmp_path / "out").exists()


def test_an_out_folder_the_file_system_refuses_fails_first(tmp_path, monkeypatch):
    from capplan.api import check_output_folder

    def refuse(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(CapplanError, match="Read-only file system"):
        check_output_folder(str(tmp_path / "plan"))
    monkeypatch.undo()
    assert check_output_folder(str(tmp_path / "plan")) == tmp_path / "plan"
    assert list(tmp_path.iterdir()) == []  # the probe left nothing


def test_growth_syntax_error_names_only_accepted_forms():
    code, out, err = run_cli("plan", "--peak", 100, "--growth", "10%/fortnight", "--no-report")
    assert code == 2 and "10%/month" in err and "0.1" not in err


@pytest.mark.parametrize("x, text", [(1e6, "1,000,000"), (245_126_123.4, "245,126,123"),
                                     (999_999.4, "999,999"), (1234.5678, "1,234.57"),
                                     (0.000123456789, "0.000123457"), (-3e7, "-30,000,000")])
def test_plain_numbers_never_in_scientific_notation(x, text):
    assert plain(x) == text


@pytest.mark.parametrize("seconds, text", [(0.25, "250 ms"), (1.84, "1.84 s"), (40.0, "40 s"),
                                           (1234.4, "1,234 s"), (5.89e-19, "under 0.001 ms"),
                                           (0.0, "0 ms"), (0.0123456, "12.35 ms"),
                                           (1.15, "1.15 s")])
def test_durations_never_in_scientific_notation(seconds, text):
    from capplan.numbers import duration

    assert duration(seconds) == text


def test_worksheet_far_below_saturation_says_the_wait_in_words():
    """M/M/c, 4 servers of 100 ms at 1 req/s an instance: a = 0.1, rho = 0.025; Erlang C gives
    P(wait) ~ a^4/4! = 4.2e-6, so the mean wait is ~4.2e-6 x 0.1 / 3.9 = 1.1e-7 s (printed as a
    number it read in scientific notation), and the p99 response is the service time's:
    0.1 x ln(100) = 460.5 ms."""
    from capplan.queueing import worksheet

    w = worksheet(mean_rate=2, peak_rate=4, service_time=0.1, instances=4,
                  target_utilization=0.6, servers_per_instance=4)
    assert w.at_peak[-1] == ("without a limit the peak runs at 2% utilization: mean wait "
                             "under 0.001 ms, p99 response 460.5 ms")
