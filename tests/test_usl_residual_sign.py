"""usl.json residuals are measured - fitted, as R's usl package (tests/residuals.Rout.save)."""
import json

import numpy as np

from capplan.usl import fit_usl

# SPEC SDM91 (Gunther, GCaP table 5.1), inline so the test needs no data directory.
N = [1, 18, 36, 72, 108, 144, 216]
X = [64.9, 995.9, 1652.4, 1853.2, 1828.9, 1775, 1702.2]
R_RESIDUALS = [-25.10, -81.66, 111.09, 3.05, -49.99, -46.60, 56.00]  # R usl: y - fitted


def test_residuals_are_measured_minus_fitted_as_r():
    f = fit_usl(N, X)
    assert np.allclose(f.residuals, R_RESIDUALS, atol=0.02)
    fitted = np.array([f.model.throughput(n) for n in N])
    assert np.allclose(f.residuals, np.array(X) - fitted)


def test_usl_json_residuals_keep_r_sign(tmp_path):
    from capplan.outputs.usl_json import usl_doc

    doc = json.loads(json.dumps(usl_doc(fit_usl(N, X))))
    assert np.allclose(doc["residuals"], R_RESIDUALS, atol=0.02)


def test_residuals_per_hour_input_are_r_values_per_second(tmp_path):
    import capplan

    csv = tmp_path / "sdm91.csv"
    csv.write_text("load,throughput\n" + "".join(f"{n},{x}\n" for n, x in zip(N, X)))
    doc = capplan.fit_usl(str(csv), throughput_unit="hour").to_dict()
    # usl.json throughputs are per second: R's per-hour residuals / 3600.
    assert np.allclose(np.array(doc["residuals"]) * 3600, R_RESIDUALS, atol=0.02)
