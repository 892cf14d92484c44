"""The USL fit's own bounded least squares (numpy Levenberg-Marquardt on the box and its faces,
so that a plan does not import scipy.optimize, ~0.4 s) against scipy.optimize.least_squares:
MINPACK's Levenberg-Marquardt (method "lm", analytic Jacobian, tolerances at machine precision)
where the optimum is inside the bounds, and the trust-region reflective fit capplan used before,
whose sum of squares ours must never exceed (in a flat valley TRF stops up to ~4e-5 relative
short of the optimum in sigma or kappa; on specsdm91 2.8e-6)."""
import numpy as np
import pytest
from scipy.optimize import least_squares

from capplan.usl import _start, fit_usl, read_load_test
from conftest import data


def resid(n, x):
    return lambda p: p[2] * n / (1 + p[0] * (n - 1) + p[1] * n * (n - 1)) - x


def trf_fit(n, x):
    """The fit as capplan did it before: trust-region reflective with bounds, tolerances 1e-15,
    finite-difference Jacobian: the coefficients, their standard errors, the sum of squares."""
    lam0, s0, k0 = _start(n, x)
    res = least_squares(resid(n, x), x0=[s0, k0, lam0], bounds=([0, 0, 0], [1, 1, np.inf]),
                        method="trf", x_scale="jac", xtol=1e-15, ftol=1e-15, gtol=1e-15,
                        max_nfev=20000)
    p = res.x.copy()
    p[0] = 0.0 if p[0] < 1e-12 else p[0]
    p[1] = 0.0 if p[1] < 1e-15 else p[1]
    s2 = res.fun @ res.fun / (n.size - 3)
    se = np.sqrt(np.diag(np.linalg.pinv(res.jac.T @ res.jac) * s2))
    return p, se, float(res.fun @ res.fun)


def minpack_fit(n, x):
    """The unbounded optimum by MINPACK (analytic Jacobian written out here again)."""
    def jac(p):
        d = 1 + p[0] * (n - 1) + p[1] * n * (n - 1)
        g = n / d
        return np.column_stack([-p[2] * g * (n - 1) / d, -p[2] * g * (n - 1) * n / d, g])

    lam0, s0, k0 = _start(n, x)
    res = least_squares(resid(n, x), x0=[s0, k0, lam0], jac=jac, method="lm", xtol=2.3e-16,
                        ftol=2.3e-16, gtol=2.3e-16, max_nfev=100_000)
    return res.x


def ours(n, x):
    f = fit_usl(n, x)
    p = np.array([f.model.sigma, f.model.kappa, f.model.lambda_])
    se = np.array([f.stderr[k] for k in ("sigma", "kappa", "lambda")])
    return p, se, float(np.sum(np.square(f.residuals)))


def published(name):
    n, x, *_ = read_load_test(str(data(f"usl/{name}")))
    return np.asarray(n, float), np.asarray(x, float)


@pytest.mark.parametrize("name", ["specsdm91.csv", "codahale_usl_example.csv"])
def test_interior_optimum_matches_minpack(name):
    n, x = published(name)
    p, se, sse = ours(n, x)
    assert p == pytest.approx(minpack_fit(n, x), rel=1e-7)
    p_trf, se_trf, sse_trf = trf_fit(n, x)
    assert sse <= sse_trf * (1 + 1e-12)
    assert p == pytest.approx(p_trf, rel=1e-5)  # the old fit: equal to its own precision
    # TRF's finite-difference Jacobian against ours, analytic, at two optima 3e-6 apart
    assert se == pytest.approx(se_trf, rel=1e-4)


def test_kappa_on_its_bound_as_before():
    n, x = published("raytracer.csv")  # unbounded, kappa would be negative
    assert minpack_fit(n, x)[1] < 0
    p, se, sse = ours(n, x)
    p_trf, se_trf, sse_trf = trf_fit(n, x)
    assert p[1] == 0.0 and p_trf[1] == 0.0
    assert p == pytest.approx(p_trf, rel=1e-7)
    assert se == pytest.approx(se_trf, rel=1e-4)
    assert sse <= sse_trf * (1 + 1e-12)


def synthetic(seed):
    rng = np.random.default_rng(seed)
    sigma = float(rng.choice([0.0, rng.uniform(0, 0.3)]))
    kappa = float(rng.choice([0.0, 10 ** rng.uniform(-6, -2)]))
    lam = 10 ** rng.uniform(0, 3)
    n = np.unique(np.round(rng.uniform(1, 200, rng.integers(8, 20))))
    x = lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    return n, np.clip(x * (1 + rng.normal(0, rng.choice([0.001, 0.02, 0.1]), n.size)), 0, None)


@pytest.mark.parametrize("seed", range(40))
def test_random_load_tests_never_a_worse_optimum(seed):
    n, x = synthetic(seed)
    p, _, sse = ours(n, x)
    _, _, sse_trf = trf_fit(n, x)
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p[:2] <= 1)
    assert sse <= sse_trf * (1 + 1e-12)
    unbounded = minpack_fit(n, x)
    if np.all(unbounded[:2] > 0) and np.all(unbounded[:2] < 1):
        assert p == pytest.approx(unbounded, rel=1e-6)


def test_noise_free_curve_recovered():
    n = np.array([1, 2, 4, 8, 16, 32, 48, 64, 96, 128], float)
    x = 50 * n / (1 + 0.03 * (n - 1) + 2e-4 * n * (n - 1))
    p, _, sse = ours(n, x)
    assert p == pytest.approx([0.03, 2e-4, 50], rel=1e-9)
    assert sse < 1e-16 * float(x @ x)


def test_t_quantile_matches_scipy():
    from scipy.special import stdtrit

    from capplan.usl import t_quantile

    for dof in [*range(1, 120), 333, 1000, 1999, 2000, 2001, 50_000]:
        for q in (0.75, 0.9, 0.95, 0.975, 0.995, 0.9995):
            assert t_quantile(q, dof) == pytest.approx(float(stdtrit(dof, q)), rel=1e-12)
    # by hand: dof 1 is Cauchy, tan(pi (q - 1/2)); dof 2 has t = (2q-1) sqrt(2 / (1 - (2q-1)^2))
    assert t_quantile(0.975, 1) == pytest.approx(np.tan(np.pi * 0.475), rel=1e-14)
    assert t_quantile(0.975, 2) == pytest.approx(0.95 * np.sqrt(2 / (1 - 0.95 ** 2)), rel=1e-14)
