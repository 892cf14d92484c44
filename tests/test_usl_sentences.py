"""Every USL sentence is true of its numbers: no Amdahl ceiling when sigma = 0, no flag that
`capplan usl` lacks, and exactly linear data are linear, not superlinear."""
import json

import pytest

from capplan import api
from capplan.usl import USL, fit_usl, what_if
from conftest import run_cli

N = [1, 2, 4, 8, 16, 32]


def test_linear_what_if_has_no_ceiling_sentence():
    fit = what_if(USL(0.0, 0.0, 100.0))
    assert fit.model.amdahl_ceiling is None
    text = " ".join(fit.warnings)
    assert "Amdahl" not in text and "no ceiling" in text


def test_amdahl_what_if_keeps_its_ceiling_sentence():
    # sigma 0.05, kappa 0: X(N) -> lambda / sigma = 100 / 0.05 = 2000.
    fit = what_if(USL(0.05, 0.0, 100.0))
    assert fit.model.amdahl_ceiling == pytest.approx(2000)
    assert any("Amdahl ceiling" in w for w in fit.warnings)


def test_linear_what_if_with_objective_names_no_missing_flag(tmp_path):
    code, so, se = run_cli("usl", "--sigma", 0, "--kappa", 0, "--lambda", 100, "--latency-slo",
                           "50ms", "--out", tmp_path / "w")
    assert code == 0, se
    assert "--per-instance" not in so + se
    assert "Amdahl" not in so + se
    doc = json.loads((tmp_path / "w" / "usl.json").read_text())
    assert doc["amdahl_ceiling"] is None and doc["at_latency_slo"]["throughput"] is None


def test_exactly_linear_data_are_linear_not_superlinear():
    fit = fit_usl(N, [100 * n for n in N])
    assert fit.model.sigma == 0 and fit.model.kappa == 0
    assert fit.model.lambda_ == pytest.approx(100)
    text = " ".join(fit.warnings)
    assert "superlinear" not in text and "Amdahl" not in text
    assert "linearly" in text


def test_superlinear_data_still_say_superlinear():
    # X = 100 N^1.1: per-unit throughput grows with N, so sigma would go below 0 if it could.
    fit = fit_usl(N, [100 * n ** 1.1 for n in N])
    assert fit.model.sigma == 0
    assert any("superlinear" in w for w in fit.warnings)


def test_notebook_what_if_linear_summary_has_no_ceiling():
    doc = api.usl_what_if(0, 0, 100).to_dict()
    assert doc["amdahl_ceiling"] is None
    assert not any("Amdahl" in w for w in doc["warnings"])
