"""The Universal Scalability Law: one immutable model, fitted by nonlinear least squares.

Gunther's form (N. J. Gunther, Guerrilla Capacity Planning, Springer 2007, eq. 4.31):

    X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1))

sigma is contention (the serial fraction), kappa coherency (crosstalk), lambda the throughput of
one. kappa = 0 is Amdahl's law. The fit bounds sigma and kappa at zero as the R `usl` package does
(nlxb, bounds 0 <= sigma, kappa <= 1) and reports a coefficient that lands on its bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from capplan.errors import CapplanError
from capplan.numbers import plain

# The readers live with the other readers (capplan.ingest.loadtests); these names stay importable
# from here for the callers that used them before.
from capplan.ingest.loadtests import (  # noqa: F401
    CONCURRENCY_NAMES,
    LATENCY_NAMES,
    THROUGHPUT_NAMES,
    THROUGHPUT_UNITS,
    _is_latency_name,
    check_throughput_unit,
    latency_statistic,
    latency_unit_seconds,
    read_load_test,
    read_load_test_steps,
)

MIN_MEASUREMENTS = 6
NO_PEAK_N_MAX = 1_000_000  # the largest fleet or cell searched when the fit has no peak (kappa = 0)


@dataclass(frozen=True, slots=True)
class USL:
    sigma: float
    kappa: float
    lambda_: float

    def throughput(self, n: float) -> float:
        """X(N), Gunther 2007 eq. 4.31."""
        return self.lambda_ * n / (1 + self.sigma * (n - 1) + self.kappa * n * (n - 1))

    def latency(self, n: float) -> float:
        """R(N) = N / X(N) by Little's Law (N requests in flight at throughput X)."""
        return (1 + self.sigma * (n - 1) + self.kappa * n * (n - 1)) / self.lambda_

    @property
    def n_star(self) -> float | None:
        """Peak concurrency N* = sqrt((1 - sigma) / kappa) (Gunther 2007 eq. 4.33); None when
        kappa = 0 (throughput rises towards the Amdahl ceiling without a peak)."""
        if self.kappa <= 0:
            return None
        return math.sqrt(max(1 - self.sigma, 0.0) / self.kappa)

    @property
    def x_max(self) -> float | None:
        """The highest throughput, X(N*)."""
        n = self.n_star
        return None if n is None else self.throughput(n)

    @property
    def amdahl_ceiling(self) -> float | None:
        """lambda / sigma: the limit of X(N) as N grows when kappa = 0 (Amdahl's law)."""
        return None if self.sigma <= 0 else self.lambda_ / self.sigma

    def throughput_at_latency(self, r: float) -> float:
        """X(R): solve R = (1 + sigma (N-1) + kappa N (N-1)) / lambda for N, then X = N / R.

        kappa N^2 + (sigma - kappa) N + (1 - sigma - lambda R) = 0, the positive root.
        """
        n = self.concurrency_at_latency(r)
        return n / r

    def concurrency_at_latency(self, r: float) -> float:
        s, k, lam = self.sigma, self.kappa, self.lambda_
        if r < 1 / lam:
            raise CapplanError(f"a latency objective of {r:g} s is below the latency of a single "
                               f"request ({1 / lam:g} s): no load meets it")
        if k == 0:
            return (lam * r - 1 + s) / s if s > 0 else lam * r
        b, c = s - k, 1 - s - lam * r
        return (-b + math.sqrt(b * b - 4 * k * c)) / (2 * k)

    def concurrency_at_throughput(self, x: float) -> float | None:
        """N(X): the smaller N with X(N) = x (the rising side of the curve); None when x is
        beyond X(N*) (or the Amdahl ceiling).

        X kappa N^2 + (X sigma - X kappa - lambda) N + X (1 - sigma) = 0.
        """
        s, k, lam = self.sigma, self.kappa, self.lambda_
        if x <= 0:
            return 0.0
        if k == 0:
            denom = lam - x * s
            return None if denom <= 0 else x * (1 - s) / denom
        b = x * s - x * k - lam
        disc = b * b - 4 * x * k * x * (1 - s)
        if disc < 0:
            return None
        return (-b - math.sqrt(disc)) / (2 * x * k)

    def n_star_floor(self) -> int:
        """The whole number of instances with the highest throughput (floor or ceil of N*)."""
        n = self.n_star
        if n is None:
            return 10**9
        lo, hi = max(1, math.floor(n)), max(1, math.ceil(n))
        return lo if self.throughput(lo) >= self.throughput(hi) else hi

    def n_max(self) -> int:
        """The largest whole N not past N* (floor of N*, at least 1): a fleet or a cell is never
        sized past the peak, where adding instances lowers throughput. Without a peak (kappa = 0)
        a stated bound of 1,000,000 instances keeps every search finite."""
        n = self.n_star
        if n is None:
            return NO_PEAK_N_MAX
        return max(1, math.floor(n + 1e-9))

    def instances_for(self, x_needed: float, limit: int | None = None) -> int | None:
        """Smallest whole N with X(N) >= x_needed and N <= `limit` (default: the whole N with the
        highest throughput, `n_star_floor`); None when no such N carries it."""
        if x_needed <= 0:
            return 0
        limit = self.n_star_floor() if limit is None else limit
        if limit < 1:
            return None
        if x_needed <= self.throughput(1):
            return 1
        n = self.concurrency_at_throughput(x_needed)
        if n is None:
            return None
        cand = max(1, math.ceil(n - 1e-9))
        while cand <= limit and self.throughput(cand) < x_needed * (1 - 1e-12):
            cand += 1
        return cand if cand <= limit else None

    def efficiency(self, n: float) -> float:
        """X(N) / (N X(1)), as the R usl package's efficiency()."""
        return self.throughput(n) / (n * self.throughput(1))


@dataclass(frozen=True, slots=True)
class USLFit:
    model: USL
    n: tuple[float, ...]
    x: tuple[float, ...]
    latency: tuple[float, ...] | None  # seconds, per measurement: the statistic below
    stderr: dict  # sigma, kappa, lambda -> standard error (None for a what-if)
    ci: dict  # sigma, kappa, lambda -> (lo, hi): t quantile with n - 3 degrees of freedom
    r_squared: float | None
    residuals: tuple[float, ...]  # measured - fitted, per measurement (R's residuals())
    residual_se: float | None
    warnings: tuple[str, ...]
    source: str
    # Where the measured latency came from, with its unit (a column's name, a tool's field), and
    # which statistic it is (p99, mean, ...; "unstated" when the source does not say).
    latency_column: str | None = None
    latency_statistic: str | None = None

    @property
    def max_measured_n(self) -> float | None:
        return max(self.n) if self.n else None

    def is_extrapolation(self, n: float) -> bool:
        """Predictions past twice the largest measured N are extrapolation."""
        m = self.max_measured_n
        return m is not None and n > 2 * m


def what_if(model: USL) -> USLFit:
    """Wrap given coefficients so the outputs treat them like a fit (no data, no intervals)."""
    if model.sigma < 0 or model.kappa < 0 or model.lambda_ <= 0:
        raise CapplanError("--sigma and --kappa must be 0 or more and --lambda positive")
    warns = []
    if model.kappa == 0 and model.sigma > 0:
        warns.append("kappa = 0: no peak; throughput approaches the Amdahl ceiling lambda/sigma")
    elif model.kappa == 0:
        warns.append("sigma = kappa = 0: throughput rises linearly (X(N) = lambda N) with no "
                     "peak and no ceiling, so the curve sets no per-instance limit")
    return USLFit(model, (), (), None, {}, {}, None, (), None, tuple(warns), "what-if")


def _start(n, x):
    """A data-derived starting point: lambda from the best per-unit throughput at small N, sigma
    and kappa from Gunther's quadratic transform (GCaP section 5.5.2) by least squares."""
    import numpy as np

    order = np.argsort(n)
    n, x = n[order], x[order]
    lam = float(x[0] / n[0]) if n[0] > 0 else float(np.max(x / n))
    lam = max(lam, float(np.max(x / n)))
    # N / C(N) - 1 = kappa (N-1)^2 + (sigma + kappa)(N-1), with C(N) = X(N) / lambda.
    xx = n - 1
    yy = n / (x / lam) - 1
    A = np.column_stack([xx ** 2, xx])
    try:
        (k, sk), *_ = np.linalg.lstsq(A, yy, rcond=None)
        s = sk - k
    except np.linalg.LinAlgError:
        s, k = 0.05, 1e-4
    return lam, min(max(s, 1e-4), 0.9), min(max(k, 1e-7), 0.5)


T_SERIES_MAX_DOF = 2000  # past this the series below grows long: scipy's stdtrit instead


def _t_central(t: float, dof: int) -> float:
    """P(|T| <= t) for Student's t on an integer `dof`: the finite series of Abramowitz and
    Stegun 26.7.3 (odd) and 26.7.4 (even) in theta = atan(t / sqrt(dof)); every term positive."""
    theta = math.atan(t / math.sqrt(dof))
    c2 = math.cos(theta) ** 2
    if dof % 2:
        term, total = math.cos(theta), 0.0
        for j in range(1, (dof - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * j) / (2 * j + 1)
        return 2 / math.pi * (theta + math.sin(theta) * total)
    term, total = 1.0, 0.0
    for j in range(dof // 2):
        total += term
        term *= c2 * (2 * j + 1) / (2 * j + 2)
    return math.sin(theta) * total


def t_quantile(q: float, dof: int) -> float:
    """Student's t quantile for 0.5 < q < 1 and an integer dof >= 1 (what scipy.stats.t.ppf
    gives, to 1e-12 relative; the tests compare): Newton on the series above, kept inside a
    bracket, so that a USL fit does not import scipy.special (~0.2 s)."""
    if dof > T_SERIES_MAX_DOF:
        from scipy.special import stdtrit

        return float(stdtrit(dof, q))
    target = 2 * q - 1
    log_norm = (math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2)
                - 0.5 * math.log(dof * math.pi))
    lo, hi = 0.0, 1.0
    while _t_central(hi, dof) < target:
        lo, hi = hi, hi * 2
    t = (lo + hi) / 2
    for _ in range(200):
        gap = _t_central(t, dof) - target
        if gap == 0:
            break
        lo, hi = (t, hi) if gap < 0 else (lo, t)
        density = math.exp(log_norm - (dof + 1) / 2 * math.log1p(t * t / dof))
        nxt = t - gap / (2 * density)
        if not lo < nxt < hi:
            nxt = (lo + hi) / 2
        if abs(nxt - t) <= 1e-16 * t:
            t = nxt
            break
        t = nxt
    return t


LOWER = (0.0, 0.0, 0.0)  # sigma, kappa, lambda
UPPER = (1.0, 1.0, math.inf)


def _residuals(n, x, p):
    """X(N) - x (fitted - measured, the solver's sign) and its Jacobian in (sigma, kappa,
    lambda), analytic. `USLFit.residuals` are the opposite, measured - fitted, as R's residuals()."""
    import numpy as np

    s, k, lam = p
    nn1 = n * (n - 1)
    d = 1 + s * (n - 1) + k * nn1
    g = n / d
    r = lam * g - x
    jac = np.column_stack([-lam * g * (n - 1) / d, -lam * g * (n - 1) * n / d, g])
    return r, jac


def _levenberg_marquardt(n, x, p0, free):
    """Minimise the squared residuals over the `free` coefficients (the others held at p0's
    values), each step projected onto the bounds. Marquardt's scaling (the diagonal of J'J) copes with
    lambda ~ 100 beside kappa ~ 1e-4. It runs until no step lowers the sum of squares at any
    damping: the optimum to the precision of the arithmetic, as scipy's tolerances of 1e-15 ask."""
    import numpy as np

    lower, upper = np.array(LOWER), np.array(UPPER)
    p = p0.copy()
    r, jac = _residuals(n, x, p)
    cost = float(r @ r)
    if not np.isfinite(cost):
        return None, math.inf
    damping = 1e-3
    for _ in range(2000):
        # A coefficient on a bound that the descent direction pushes past stays there this step.
        descent = -(jac.T @ r)
        moving = [i for i in free if not ((p[i] <= lower[i] and descent[i] < 0)
                                          or (p[i] >= upper[i] and descent[i] > 0))]
        if not moving:
            break
        jf = jac[:, moving]
        a = jf.T @ jf
        scale = np.diag(a).copy()
        scale[scale <= 0] = 1.0
        try:
            step = np.linalg.solve(a + damping * np.diag(scale), descent[moving])
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(a + damping * np.diag(scale), descent[moving], rcond=None)[0]
        trial = p.copy()
        trial[moving] += step
        # A step past a bound stops on it (projected): the optimum may lie there.
        trial = np.clip(trial, lower, upper)
        if np.all(np.isfinite(trial)) and not np.array_equal(trial, p):
            r_new, jac_new = _residuals(n, x, trial)
            new_cost = float(r_new @ r_new)
            if np.isfinite(new_cost) and new_cost < cost:
                p, r, jac, cost = trial, r_new, jac_new, new_cost
                damping = max(damping / 10, 1e-12)
                continue
        damping *= 10
        if damping > 1e20:
            break
    return p, cost


def _least_squares(n, x, start):
    """The bounded least-squares optimum: Levenberg-Marquardt on the open box and on each face
    (sigma and kappa held at 0 or 1), the lowest sum of squares among them. A face's fit is the
    box's optimum when that lies on the face; an open-box fit that runs into a bound stops short
    of it with a higher sum of squares, so the face wins. lambda >= 0 never binds (x >= 0)."""
    import itertools

    import numpy as np

    best, best_cost = None, math.inf
    for held_sigma, held_kappa in itertools.product((None, 0.0, 1.0), repeat=2):
        p0 = start.astype(float).copy()
        free = [2]
        for i, held in ((0, held_sigma), (1, held_kappa)):
            if held is None:
                free.append(i)
            else:
                p0[i] = held
        p, cost = _levenberg_marquardt(n, x, p0, np.array(sorted(free)))
        if p is not None and cost < best_cost:
            best, best_cost = p, cost
    return best


def fit_usl(n, x, latency=None, source: str = "load test", latency_column: str | None = None,
            latency_statistic: str | None = None) -> USLFit:
    """Fit sigma, kappa, lambda to measured concurrency `n` and throughput `x`. `latency` (in
    seconds, per measurement) is kept for the latency objective (`capplan.limits`), which uses it
    when its `latency_statistic` is named; `latency_column` says where it came from.

    Nonlinear least squares on throughput with bounds 0 <= sigma, kappa <= 1, lambda >= 0
    (`_least_squares`: Levenberg-Marquardt in numpy on each face of the box, the same optimum as
    scipy.optimize.least_squares' trust-region reflective, which the tests check, without its
    ~0.4 s import); standard errors from the Jacobian at the optimum, s^2 (J'J)^-1 with
    s^2 = SSE / (n - 3); intervals with the t quantile on n - 3 degrees of freedom (three
    parameters estimated).
    """
    import numpy as np

    n = np.asarray(n, dtype=float)
    x = np.asarray(x, dtype=float)
    if n.size != x.size:
        raise CapplanError("concurrency and throughput have different lengths")
    if n.size < MIN_MEASUREMENTS:
        raise CapplanError(f"{source}: {n.size} measurement(s); a USL fit needs at least "
                           f"{MIN_MEASUREMENTS} (three coefficients and their errors): measure "
                           "more concurrency levels")
    if latency is not None:
        latency = np.asarray(latency, dtype=float)
        if latency.ndim != 1 or latency.size != n.size:
            raise CapplanError(f"{source}: {latency.size} latency value(s) for {n.size} "
                               "measurement(s): give one latency per concurrency level, in the "
                               "same order")
        if not np.all(np.isfinite(latency)) or np.any(latency < 0):
            raise CapplanError(f"{source}: latency must be finite and not negative (seconds, one "
                               "per measurement)")
    if not np.all(np.isfinite(n)) or not np.all(np.isfinite(x)):
        raise CapplanError(f"{source}: non-numeric concurrency or throughput values")
    if np.any(n <= 0):
        raise CapplanError(f"{source}: concurrency must be positive (row {int(np.argmax(n <= 0)) + 1} "
                           f"has {n[n <= 0][0]:g})")
    if np.any(x < 0):
        raise CapplanError(f"{source}: throughput must not be negative")
    if np.ptp(x) == 0:
        raise CapplanError(f"{source}: every throughput is {x[0]:g}: the load test measured no "
                           "change with concurrency, so there is nothing to fit")
    if np.unique(n).size < 3:
        raise CapplanError(f"{source}: only {np.unique(n).size} distinct concurrency level(s): "
                           "measure at least three")
    lam0, s0, k0 = _start(n, x)
    fitted = _least_squares(n, x, np.array([s0, k0, lam0]))
    if fitted is None:
        raise CapplanError(f"{source}: the USL fit did not converge: check that throughput rises "
                           "with concurrency at first")
    s, k, lam = (float(v) for v in fitted)
    # A coefficient within solver noise of its bound is on the bound: report it as exactly 0.
    s = 0.0 if s < 1e-12 else s
    k = 0.0 if k < 1e-15 else k
    r, J = _residuals(n, x, np.array([s, k, lam]))
    dof = n.size - 3
    sse = float(r @ r)
    s2 = sse / dof
    warns = []
    # Coefficients on a bound are not free parameters; the covariance comes from the free ones,
    # as nlxb does, and the bound ones report an error computed the same way with all columns.
    try:
        cov = np.linalg.pinv(J.T @ J) * s2
        se = np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        se = np.full(3, np.nan)
    tq = t_quantile(0.975, dof)
    names = ("sigma", "kappa", "lambda")
    vals = (s, k, lam)
    stderr = {nm: float(e) for nm, e in zip(names, se)}
    # An interval never leaves its coefficient's range (sigma and kappa in [0, 1], lambda >= 0):
    # values outside it are not models the fit could have returned.
    ci = {nm: (max(v - tq * e, low), min(v + tq * e, high))
          for nm, v, e, low, high in zip(names, vals, se, LOWER, UPPER)}
    ss_tot = float(np.sum((x - x.mean()) ** 2))
    r2 = 1 - sse / ss_tot if ss_tot > 0 else None
    model = USL(s, k, lam)
    # On sigma's lower bound, the gradient of the squared error says whether the data pull
    # sigma below 0 (superlinear) or merely sit at it (linear): J's sigma column against r.
    pull = float(J[:, 0] @ r)
    superlinear = s <= 0 and pull > 1e-9 * float(np.linalg.norm(J[:, 0]) * np.linalg.norm(x))
    warns += _fit_warnings(s, k, lam, r2, superlinear)
    if model.n_star is not None and model.n_star < float(n.min()):
        warns.append(f"N* = {model.n_star:.2f} is below the lowest measured concurrency "
                     f"{float(n.min()):g}: throughput falls from the first step, so the load "
                     "test never scaled; the per-instance limit is the highest measured "
                     "throughput, not the curve's X(N*); check the test (a client or warm-up "
                     "bottleneck, the concurrency column) before trusting it")
    return USLFit(model=model, n=tuple(n.tolist()), x=tuple(x.tolist()),
                  latency=None if latency is None else tuple(np.asarray(latency, float).tolist()),
                  stderr=stderr, ci=ci, r_squared=r2, residuals=tuple((-r).tolist()),
                  residual_se=math.sqrt(s2), warnings=tuple(warns), source=source,
                  latency_column=latency_column if latency is not None else None,
                  latency_statistic=latency_statistic if latency is not None else None)


def _fit_warnings(s: float, k: float, lam: float, r2: float | None,
                  superlinear: bool = False) -> list[str]:
    """What a reader must know about a fit: coefficients on their bounds, a poor R^2.
    `superlinear`: the data pull sigma below its bound 0 (not merely scale linearly)."""
    warns = []
    if s <= 0 and superlinear:
        warns.append("sigma is on its lower bound 0: the data look superlinear (better than "
                     "linear scaling); capacity degradation usually follows such a phase, so do "
                     "not extrapolate it")
    elif s <= 0:
        warns.append("sigma = 0: the data scale linearly over the measured range (no contention "
                     "measured); do not extrapolate it past the largest measured "
                     "concurrency")
    if k <= 0 and s > 0:
        warns.append("kappa is on its lower bound 0: too small to place a peak N*; the "
                     f"throughput ceiling is Amdahl's lambda/sigma = {plain(lam / s)}")
    elif k <= 0:
        warns.append("kappa is on its lower bound 0 and sigma is 0: the fitted curve rises "
                     "linearly with no peak and no ceiling; the per-instance limit is the "
                     "throughput at the largest measured concurrency, and nothing is known past "
                     "it")
    if s >= 1 - 1e-9 or k >= 1 - 1e-9:
        warns.append("a coefficient is on its upper bound 1: the fit is unreliable; check the "
                     "concurrency column")
    if r2 is not None and r2 < 0.9:
        warns.append(f"R^2 = {r2:.3f}: the USL explains the measurements poorly")
    return warns


def per_instance_limit(fit: USLFit, unit: str = "req/s") -> tuple[float, str]:
    """The per-instance limit (100% utilization) from a one-instance load test: X(N*), the highest
    throughput; with kappa = 0 (no peak), X at the largest measured concurrency. A latency
    objective does not move this limit: it is a second limit, the rate at which p99 meets the
    objective (`capplan.limits`), and the lower of the two binds. `unit` labels the load test's
    throughput (per second) in the sentence: the traffic's count, e.g. orders/s."""
    m = fit.model
    if m.n_star is not None and fit.n and m.n_star < min(fit.n):
        # The curve's peak lies below the data: only a measured rate is defensible, and it is
        # a lower bound on what the instance carries (fit_usl warns that the test never scaled).
        i = max(range(len(fit.x)), key=lambda j: (fit.x[j], -fit.n[j]))
        x = fit.x[i]
        how = (f"the highest measured throughput, {plain(x)} {unit} at N = {fit.n[i]:g} (N* = "
               f"{m.n_star:.2f} is below the lowest measured concurrency {min(fit.n):g}: the "
               "test never scaled, so the curve's X(N*) is not used)")
    elif m.n_star is not None:
        x = m.x_max
        how = f"X(N*) = {plain(x)} {unit} at N* = {m.n_star:.1f}, the highest throughput"
        if fit.is_extrapolation(m.n_star):
            how += " (extrapolated: past twice the largest measured concurrency)"
    elif fit.max_measured_n is not None:
        n = fit.max_measured_n
        x = m.throughput(n)
        how = (f"X at the largest measured concurrency {n:g}: {plain(x)} {unit} (kappa = 0: no "
               "peak to size at)")
    elif m.amdahl_ceiling is not None:
        x = m.amdahl_ceiling
        how = f"the Amdahl ceiling lambda / sigma = {plain(x)} {unit} (kappa = 0: no peak)"
    else:
        # Only coefficients given without measurements get here (a fit has a largest N).
        raise CapplanError("sigma = kappa = 0: the curve rises linearly without a limit, so it "
                           "gives no per-instance limit and no rate at which the objective is "
                           "reached: give --sigma or --kappa above 0 (from a load test that "
                           "reaches its limit)")
    return x, f"USL fit of the load test: {how}"
