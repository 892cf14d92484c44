"""Capacity from production metrics: each resource's utilization against per-instance throughput.

Pure; no I/O (the metrics are read by `ingest.metrics.read_metrics`). For every resource:

- Fit: utilization U (a fraction) = intercept + slope x X, X the per-instance throughput, by
  Huber's M-estimator (statsmodels RLM, HuberT, MAD scale): the intercept is the idle baseline,
  the slope the utilization one request per second adds. R^2 is 1 - SSE / SST of that line over
  the points used.
- Uncertainty: RLM's covariance (H1) scaled by (1 + r_e r_x) / (1 - r_e r_x), r_e and r_x the
  lag-1 autocorrelations of the residuals and of the throughput, when their product is positive:
  the usual AR(1) correction for serially correlated errors and regressor, since production
  samples a few minutes apart are not independent (oracledb: r_e = 0.52). Intercept and slope
  intervals use t(n - 2).
- Limit at the target utilization t: L = (t - intercept) / slope, with Fieller's interval for a
  ratio of estimates (the set of L whose t - intercept - slope L is within t(n - 2) standard
  errors of 0; the delta method is its first-order form). It is unbounded when the slope is not
  distinguishable from 0. Coverage: `bench/resources_coverage.py`.
- Linearity: ordinary least squares with and without a quadratic term, compared by AIC. The
  resource is called non-linear when the quadratic is better by more than 10 (Burnham & Anderson:
  essentially no support left for the line) and the two curves differ by more than 5 utilization
  points at the limit (or at the highest throughput seen when there is no limit): the curvature
  changes the answer, not just the fit.
- Exclusions, each listed with its rule: samples inside a `--exclude` window; samples in the
  warm-up after a `--deploy` time or after the instance count changes (`utilization.py`, with the
  percent-or-fraction reading); outliers, whose residual from a local trend (LOWESS, so that the
  bend near saturation is not mistaken for outliers) exceeds 3.5 robust standard deviations
  (median absolute residual / 0.6745), as in `load.MODIFIED_Z_LIMIT`; the line is fitted
  without them. When more than 5% of the
  points are that far out (heavy tails, two regimes), none is left out and a warning says so.

The binding resource is the one with the lowest limit.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from capplan.errors import CapplanError
from capplan.utilization import Exclusion, time_exclusions, utilization_fraction

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from capplan.ingest.metrics import MetricsTable
    from capplan.saturation import FlatTopping

MIN_POINTS = 20
OUTLIER_LIMIT = 3.5
MAX_OUTLIER_SHARE = 0.05  # more than this beyond the limit is a heavy tail, not outliers
LOWESS_SHARE = 0.1  # the outlier check's local trend: each window 10% of the points ...
LOWESS_NEIGHBOURS = 15  # ... and at least 15 of them
AIC_MARGIN = 10.0
CURVE_EFFECT = 0.05  # utilization points (as a fraction) between line and quadratic at the limit
CONFIDENCE = 0.95
EXTRAPOLATION_WARN = 1.5  # warn when the limit lies past 1.5x the highest throughput seen


@dataclass(frozen=True, slots=True)
class ResourceFit:
    name: str
    source: str  # file and column
    unit_read: str  # "percent" or "fraction": how the column was read
    unit_note: str
    intercept: float  # idle baseline, utilization as a fraction
    slope: float  # utilization per req/s per instance
    intercept_ci: tuple[float, float]
    slope_ci: tuple[float, float]
    covariance: tuple[tuple[float, float], tuple[float, float]]  # of (intercept, slope), inflated
    r_squared: float | None
    dof: int
    residual_autocorrelation: float
    throughput_autocorrelation: float
    interval_inflation: float  # the variance factor applied for autocorrelation
    target_utilization: float
    limit: float | None  # per-instance req/s at the target utilization; None: does not rise
    limit_low: float | None  # None: unbounded (or no limit)
    limit_high: float | None
    linear: bool
    curvature: str | None  # "convex" (rises faster at high load), "concave", or None
    aic_linear: float
    aic_quadratic: float
    quadratic: tuple[float, float, float]  # OLS c0 + c1 X + c2 X^2
    limit_quadratic: float | None
    points_used: int
    peak_throughput: float  # highest per-instance throughput among the points used
    peak_utilization: float  # fitted utilization there
    x: np.ndarray  # per-instance throughput of the points used
    y: np.ndarray  # utilization (fraction) of the points used
    outliers: tuple[Exclusion, ...]
    warnings: tuple[str, ...]
    # Which curve `limit` comes from: "line", or "quadratic" when the relation curves upwards
    # (the curvature rule fired) and the quadratic reaches the target first; then `limit_low` /
    # `limit_high` are the quadratic's interval and `limit_line*` keep the straight line's.
    limit_method: str = "line"
    limit_line: float | None = None
    limit_line_low: float | None = None
    limit_line_high: float | None = None
    quadratic_covariance: tuple = ()  # of (c0, c1, c2), inflated as the line's

    @property
    def interval_widening(self) -> float:
        """How much wider the intervals are for autocorrelation: the square root of
        `interval_inflation`, which multiplies the covariance (a variance)."""
        return math.sqrt(self.interval_inflation)

    @property
    def headroom(self) -> float | None:
        """The limit over the highest per-instance throughput seen (2.0: carries twice that)."""
        if self.limit is None or self.peak_throughput <= 0:
            return None
        return self.limit / self.peak_throughput

    def limit_at(self, target: float) -> tuple[float | None, float | None, float | None]:
        """(limit, low, high) at another target utilization, from the same fit: the line's, or,
        when the limit is the quadratic's, the quadratic's where it reaches that target first."""
        line = limit_interval(self.intercept, self.slope, self.covariance, target, self.dof)
        if self.limit_method != "quadratic":
            return line
        quad = quadratic_limit_interval(self.quadratic, self.quadratic_covariance, target,
                                        self.dof - 1)
        if quad[0] is not None and (line[0] is None or quad[0] < line[0]):
            return quad
        return line

    def limit_at_line(self, target: float) -> float | None:
        """The straight line's limit at `target`, whichever curve `limit` comes from."""
        return limit_interval(self.intercept, self.slope, self.covariance, target, self.dof)[0]

    def utilization_at(self, x: float) -> float:
        """The fitted utilization (a fraction) at per-instance throughput `x`, on the curve the
        limit comes from."""
        if self.limit_method == "quadratic":
            return _on_quadratic(self.quadratic, x)
        return self.intercept + self.slope * x


@dataclass(frozen=True, slots=True)
class CapacityFromMetrics:
    resources: tuple[ResourceFit, ...]
    binding: str | None  # the resource with the lowest limit; None when none rises with load
    target_utilization: float
    instances_note: str  # how fleet throughput became per-instance throughput
    aligned_points: int
    first: pd.Timestamp
    last: pd.Timestamp
    interval_seconds: float
    excluded: tuple[Exclusion, ...]  # common to every resource (windows, warm-ups)
    throughput_flat_topping: FlatTopping
    binding_flat_topping: FlatTopping | None
    notes: tuple[str, ...]

    def fit(self, name: str) -> ResourceFit:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class ResourceOutlook:
    """One resource against the plan, today's fleet kept: for the plan's Resources table."""

    name: str
    per_instance_peak: float  # today's planning peak over today's instances
    utilization_today: float  # the fitted line there (a fraction)
    headroom_today: float | None  # limit / per_instance_peak (2.0: twice today's peak fits)
    crosses_target_month: int | None  # first plan month whose peak per instance passes the limit


class PlanLimit(NamedTuple):
    """The binding resource's limit in `capacity.CapacityModel`'s terms: `limit` is what one
    instance would carry at 100% under the plan's linear scaling, so that limit x target
    utilization is the fitted rate at the target. `source` says where it came from."""

    limit: float
    limit_low: float | None
    limit_high: float | None
    source: str


# ---- the fit -------------------------------------------------------------------------------


def _lag1(v) -> float:
    import numpy as np

    v = np.asarray(v, dtype=float) - np.mean(v)
    denom = float(v @ v)
    return float(v[:-1] @ v[1:] / denom) if denom > 0 and v.size > 2 else 0.0


def limit_interval(intercept: float, slope: float, cov, target: float, dof: int,
                   confidence: float = CONFIDENCE):
    """(L, low, high) with L = (target - intercept) / slope and Fieller's interval.

    {L : (target - a - b L)^2 <= q^2 Var(a + b L)}, q = t(dof) quantile: a quadratic in L,
    bounded when b^2 > q^2 Var(b) (the slope is distinguishable from 0), else unbounded (None).
    """
    from scipy import stats

    if not slope > 0:
        return None, None, None
    (vaa, vab), (_, vbb) = cov
    theta = target - intercept
    if theta <= 0:
        return 0.0, 0.0, 0.0
    limit = theta / slope
    q = float(stats.t.ppf(0.5 + confidence / 2, dof))
    a2 = slope * slope - q * q * vbb
    b1 = theta * slope + q * q * vab
    c0 = theta * theta - q * q * vaa
    if a2 <= 0:
        return limit, None, None
    root = math.sqrt(max(b1 * b1 - a2 * c0, 0.0))
    return limit, max((b1 - root) / a2, 0.0), (b1 + root) / a2


def _on_quadratic(coefs, x: float) -> float:
    c0, c1, c2 = coefs
    return c0 + c1 * x + c2 * x * x


def _quadratic_limit(coefs, target) -> float | None:
    """The first crossing of `target` by c0 + c1 X + c2 X^2 on a rising part of the curve."""
    import numpy as np

    c0, c1, c2 = coefs
    roots = np.roots([c2, c1, c0 - target]) if c2 else \
        np.array([(target - c0) / c1]) if c1 else np.array([])
    rising = [float(r.real) for r in np.atleast_1d(roots) if abs(r.imag) < 1e-12 and r.real > 0
              and c1 + 2 * c2 * r.real > 0]
    return min(rising) if rising else None


def quadratic_limit_interval(coefs, cov, target: float, dof: int,
                             confidence: float = CONFIDENCE):
    """(L, low, high): L where the quadratic reaches `target` first, and the Fieller-type
    interval {L : (target - q(L))^2 <= t^2 Var(q(L))}, q(L) = c0 + c1 L + c2 L^2,
    Var(q(L)) = g' V g with g = (1, L, L^2): a quartic in L, whose real roots around L bound
    the interval (the same construction as `limit_interval`, one degree up). A bound the
    quartic never reaches is None (unbounded); the low end is at least 0."""
    import numpy as np
    from numpy.polynomial import polynomial as P
    from scipy import stats

    limit = _quadratic_limit(coefs, target)
    if limit is None:
        return None, None, None
    if not len(cov):
        return limit, None, None
    q = float(stats.t.ppf(0.5 + confidence / 2, dof))
    c0, c1, c2 = coefs
    v = np.asarray(cov, dtype=float)
    var_poly = np.zeros(5)
    for i in range(3):
        for j in range(3):
            var_poly[i + j] += v[i, j]
    quartic = P.polysub(P.polymul([target - c0, -c1, -c2], [target - c0, -c1, -c2]),
                        q * q * var_poly)
    roots = [float(r.real) for r in P.polyroots(quartic) if abs(r.imag) <= 1e-9 * max(1.0, abs(r))]
    below = [r for r in roots if r < limit]
    above = [r for r in roots if r > limit]
    low = max(max(below), 0.0) if below else 0.0
    high = min(above) if above else None
    return limit, low, high


def _exact_fit_warning(fit, y) -> str | None:
    """The robust scale is 0 (to rounding) when more than half the points lie exactly on the
    line: metrics do not; one column computed from the other does."""
    import numpy as np

    if float(fit.scale) > 1e-9 * float(np.ptp(y)):
        return None
    return ("more than half the points lie exactly on the fitted line (robust scale 0): real "
            "utilization is noisy, so check the column is measured, not computed from the "
            "throughput; the intervals shown are near zero width and mean little")


def _robust_line(x, y):
    import numpy as np
    import statsmodels.api as sm

    X = np.column_stack([np.ones_like(x), x])
    # statsmodels warns (ConvergenceWarning) when the robust scale is 0: the caller says that in
    # words (`_exact_fit_warning`), so the library's line never reaches the user's terminal.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.RLM(y, X, M=sm.robust.norms.HuberT()).fit()


def _quadratic_check(x, y, intercept, slope, limit, target):
    """AIC of OLS line vs OLS quadratic; the quadratic's coefficients, their covariance
    (inflated for autocorrelation as the line's is) and its limit."""
    import numpy as np
    import statsmodels.api as sm

    s = float(np.max(np.abs(x))) or 1.0
    z = x / s  # scaled, so the quadratic's normal equations stay well conditioned
    lin = sm.OLS(y, np.column_stack([np.ones_like(z), z])).fit()
    quad = sm.OLS(y, np.column_stack([np.ones_like(z), z, z * z])).fit()
    c0, c1, c2 = (float(v) for v in quad.params)
    coefs = (c0, c1 / s, c2 / (s * s))
    at = limit if limit is not None and limit > 0 else float(np.max(x))
    gap = abs((coefs[0] + coefs[1] * at + coefs[2] * at * at) - (intercept + slope * at))
    linear = not (lin.aic - quad.aic > AIC_MARGIN and gap > CURVE_EFFECT)
    curvature = None if linear else ("convex" if coefs[2] > 0 else "concave")
    product = min(_lag1(quad.resid) * _lag1(x), 0.99)
    inflation = (1 + product) / (1 - product) if product > 0 else 1.0
    back = np.diag([1.0, 1 / s, 1 / (s * s)])
    cov = back @ np.asarray(quad.cov_params()) @ back * inflation
    return (linear, curvature, float(lin.aic), float(quad.aic), coefs,
            _quadratic_limit(coefs, target), tuple(tuple(float(v) for v in row) for row in cov))


def _set_aside_outliers(x, y, times):
    """The points beyond OUTLIER_LIMIT robust SDs from a local trend: (mask, Exclusions,
    warnings). None is set aside when too many are that far out.

    The trend is LOWESS (statsmodels; robustifying iterations, each point's window at least 15
    neighbours or 10% of the points), not the line: where utilization bends upwards near
    saturation, the busiest samples sit far off a straight line (and off a quadratic), and calling
    them outliers would throw away the very points that show the limit, and flatter it. The
    robust SD is the median absolute residual / 0.6745."""
    import numpy as np
    from statsmodels.nonparametric.smoothers_lowess import lowess

    frac = min(1.0, max(LOWESS_SHARE, LOWESS_NEIGHBOURS / x.size))
    # LOWESS can divide 0 by 0 inside (a throughput range it cannot resolve, such as 1e-9
    # wide; residuals exactly 0): numpy's warning is kept off the terminal, and a NaN trend
    # leaves its points in (a NaN z is never beyond the limit).
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore")
        trend = lowess(y, x, frac=frac, it=3, delta=0.01 * float(np.ptp(x)),
                       return_sorted=False)
    resid = y - trend
    scale = float(np.median(np.abs(resid))) / 0.6745
    with np.errstate(divide="ignore", invalid="ignore"):
        z = resid / scale if scale > 0 else np.zeros_like(y)
    out = np.abs(z) > OUTLIER_LIMIT
    warns = []
    if out.sum() > MAX_OUTLIER_SHARE * x.size or x.size - out.sum() < MIN_POINTS:
        # Many points far out: heavy tails or two regimes, not a few bad samples. Keep them all
        # (Huber already limits their pull) and say so.
        warns.append(f"{int(out.sum()):,} of {x.size:,} points lie beyond {OUTLIER_LIMIT:g} robust "
                     f"SDs, more than {MAX_OUTLIER_SHARE:.0%} (or too many to leave out): kept; "
                     "the residuals are heavy-tailed or mix two regimes")
        out = np.zeros_like(out)
    outliers = tuple(Exclusion(times[i].isoformat(), "outlier", float(x[i]), float(y[i]),
                               f"residual {z[i]:+.1f} robust SDs from the local trend "
                               f"(LOWESS; rule: beyond {OUTLIER_LIMIT:g})")
                     for i in np.flatnonzero(out))
    return out, outliers, warns


def _fit_warnings(name, intercept, slope, target, limit, low, high, peak_x, linear, curvature,
                  aic_gain, limit_q, r_e, r_x, inflation, method="line",
                  line=(None, None, None)) -> list[str]:
    from capplan.numbers import plain, rate

    warns = []
    if limit is None:
        warns.append(f"utilization does not rise with throughput (slope {plain(slope)} "
                     f"utilization per unit of throughput): {name} sets no limit here")
    elif limit == 0:
        warns.append(f"the idle baseline {intercept:.0%} is at or above the target "
                     f"{target:.0%}: {name} cannot stay under the target at any load")
    else:
        if low is None:
            warns.append("the slope is not distinguishable from 0: the limit's interval is "
                         "unbounded")
        if limit > EXTRAPOLATION_WARN * peak_x:
            warns.append(f"the limit is {limit / peak_x:.1f}x the highest per-instance "
                         f"throughput seen ({rate(peak_x)}): "
                         + ("an extrapolation of the quadratic" if method == "quadratic" else
                            "a straight-line extrapolation") + "; confirm it with a load test")
    if not linear:
        head = f"the relation curves ({curvature}; AIC {aic_gain:.0f} lower with a squared term)"
        if method == "quadratic":
            def end(v):
                return "unbounded" if v is None else rate(v)

            warns.append(f"{head}: the limit used is the quadratic's, {rate(limit)} (95% CI "
                         f"{end(low)} to {end(high)}), where it reaches the target; the straight "
                         f"line would give {rate(line[0])}, which overstates capacity")
        else:
            where = (f"a quadratic reaches the target at {rate(limit_q)}" if limit_q is not None
                     else "a quadratic never reaches the target")
            warns.append(f"{head}: {where}" + ("; the limit used is the straight line's, the "
                                               "lower" if limit_q is not None and limit else ""))
    if math.sqrt(inflation) >= 1.05:
        warns.append(f"samples are autocorrelated (residual lag-1 r = {r_e:.2f}, throughput "
                     f"{r_x:.2f}): intervals widened by {math.sqrt(inflation):.2f}x (the "
                     f"covariance by {inflation:.2f}x, its square)")
    return warns


def fit_resource(name: str, source: str, x, y, times, target: float, unit_read: str = "fraction",
                 unit_note: str = "") -> ResourceFit:
    """Fit one resource: `x` per-instance throughput, `y` utilization as a fraction, `times` their
    UTC timestamps (for the outlier list), all after the common exclusions."""
    import numpy as np
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.size < MIN_POINTS:
        raise CapplanError(f"{source}: {x.size} point(s) left after the exclusions; a fit needs "
                           f"at least {MIN_POINTS}: export a longer range or exclude less")
    if np.ptp(y) == 0:
        raise CapplanError(f"{source} ({name}) is constant ({y[0]:g} as a fraction) on every "
                           "point used: it does not vary with load, so there is nothing to fit; "
                           "leave it out or check the column")
    out, outliers, warns = _set_aside_outliers(x, y, times)
    keep = ~out
    xk, yk = x[keep], y[keep]
    if np.ptp(xk) == 0:
        raise CapplanError(f"{source}: the throughput is the same on every point used: a fit "
                           "needs throughput that varies")
    fit = _robust_line(xk, yk)
    intercept, slope = (float(v) for v in fit.params)
    exact = _exact_fit_warning(fit, yk)
    if exact:
        warns.append(exact)
    resid = yk - (intercept + slope * xk)
    r_e, r_x = _lag1(resid), _lag1(xk)
    product = min(r_e * r_x, 0.99)
    inflation = (1 + product) / (1 - product) if product > 0 else 1.0
    cov = np.asarray(fit.cov_params()) * inflation
    dof = int(xk.size - 2)
    q = float(stats.t.ppf(0.5 + CONFIDENCE / 2, dof))
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    sst = float(np.sum((yk - yk.mean()) ** 2))
    r2 = 1 - float(resid @ resid) / sst if sst > 0 else None
    cov_t = ((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1])))
    limit, low, high = limit_interval(intercept, slope, cov_t, target, dof)
    linear, curvature, aic_l, aic_q, coefs, limit_q, cov_q = _quadratic_check(
        xk, yk, intercept, slope, limit, target)
    line = (limit, low, high)
    method = "line"
    if not linear and limit_q is not None and limit is not None and 0 < limit_q < limit:
        # The curvature rule fired and the quadratic reaches the target first: the line
        # overstates capacity, so the limit is the quadratic's, with its own interval.
        method = "quadratic"
        limit, low, high = quadratic_limit_interval(coefs, cov_q, target, dof - 1)
    peak_x = float(xk.max())
    warns += _fit_warnings(name, intercept, slope, target, limit, low, high, peak_x, linear,
                           curvature, aic_l - aic_q, limit_q, r_e, r_x, inflation, method, line)
    return ResourceFit(
        name=name, source=source, unit_read=unit_read, unit_note=unit_note,
        intercept=intercept, slope=slope,
        intercept_ci=(intercept - q * se[0], intercept + q * se[0]),
        slope_ci=(slope - q * se[1], slope + q * se[1]), covariance=cov_t, r_squared=r2,
        dof=dof, residual_autocorrelation=r_e, throughput_autocorrelation=r_x,
        interval_inflation=inflation, target_utilization=target, limit=limit, limit_low=low,
        limit_high=high, linear=linear, curvature=curvature, aic_linear=aic_l,
        aic_quadratic=aic_q, quadratic=coefs, limit_quadratic=limit_q,
        points_used=int(xk.size), peak_throughput=peak_x,
        peak_utilization=(_on_quadratic(coefs, peak_x) if method == "quadratic" else
                          intercept + slope * peak_x), x=xk, y=yk, outliers=outliers,
        warnings=tuple(warns), limit_method=method, limit_line=line[0], limit_line_low=line[1],
        limit_line_high=line[2], quadratic_covariance=cov_q)


# ---- the whole set -------------------------------------------------------------------------


def fit_resources(table: MetricsTable, *, target_utilization: float = 0.6,
                  instances: int | None = None, windows=(), deploys=(),
                  warm_up_seconds: float = 600.0, utilization_unit: str = "auto"
                  ) -> CapacityFromMetrics:
    """Fit every resource of `table`, name the binding one, look for flat-topping."""
    import numpy as np

    from capplan.saturation import detect_flat_topping

    if not 0 < target_utilization <= 1:
        raise CapplanError(f"--target-utilization {target_utilization:g} is outside (0, 1]: "
                           "give a fraction such as 0.6 for 60%")
    if instances is not None and instances < 1:
        raise CapplanError(f"--instances {instances} must be at least 1")
    if instances is not None and table.instances is not None:
        raise CapplanError("give --instances N or --instances-column, not both")
    if not warm_up_seconds >= 0:
        raise CapplanError("--warm-up must be 0 or longer")
    frame = table.frame
    index = frame.index
    fleet = frame["throughput"].to_numpy(dtype=float)
    if np.ptp(fleet) == 0:
        raise CapplanError(f"{table.throughput.describe()} (throughput) is constant "
                           f"({fleet[0]:g}) on all {fleet.size} aligned samples: a fit needs "
                           "throughput that varies")
    counts = None
    if table.instances is not None:
        counts = frame["instances"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_all = np.where(counts > 0, fleet / counts, np.nan)
        note = (f"fleet throughput divided by the instance count in "
                f"{table.instances.describe()}, row by row; utilizations read as fleet averages")
    elif instances is not None:
        x_all = fleet / instances
        note = (f"fleet throughput divided by --instances {instances}; utilizations read as "
                "fleet averages")
    else:
        x_all = fleet
        note = "throughput read as per instance (no --instances or --instances-column given)"
    keep, excluded = time_exclusions(index, x_all, counts, windows, deploys, warm_up_seconds)
    if keep.sum() < MIN_POINTS:
        raise CapplanError(f"only {int(keep.sum())} of {keep.size} aligned samples are left "
                           f"after --exclude, --deploy and warm-up windows; a fit needs "
                           f"{MIN_POINTS}: exclude less or export a longer range")
    fits = []
    for spec in table.resources:
        raw = frame[spec.name].to_numpy(dtype=float)
        where = f"{spec.describe()} ({spec.name})"
        frac, unit, unit_note = utilization_fraction(raw, utilization_unit, where, index)
        fits.append(fit_resource(spec.name, spec.describe(), x_all[keep], frac[keep],
                                 index[keep], target_utilization, unit, unit_note))
    limited = [f for f in fits if f.limit is not None]
    binding = min(limited, key=lambda f: f.limit).name if limited else None
    thr = table.series["throughput"]
    thr_flat = detect_flat_topping(thr.rate, thr.interval_seconds, table.timezone)
    bind_flat = None
    if binding is not None:
        series = table.series[binding]
        bind_flat = detect_flat_topping(series.rate, series.interval_seconds, table.timezone)
    notes = list(table.notes)
    if binding is None:
        notes.append("no resource's utilization rises with throughput: no per-instance limit "
                     "can be fitted from these metrics")
    return CapacityFromMetrics(
        resources=tuple(fits), binding=binding, target_utilization=target_utilization,
        instances_note=note, aligned_points=int(keep.size), first=index[0], last=index[-1],
        interval_seconds=table.interval_seconds, excluded=excluded,
        throughput_flat_topping=thr_flat, binding_flat_topping=bind_flat, notes=tuple(notes))


def limit_for_plan(result: CapacityFromMetrics, target_utilization: float | None = None,
                   unit: str = "req/s") -> PlanLimit:
    """The binding resource's limit for `capacity.build_capacity(per_instance=...)`.

    The fitted limit is a rate at the target utilization; the plan's `per_instance_limit` is a
    rate at 100% that it multiplies by the target. So each end is divided by the target: the plan
    then sizes with exactly the fitted rate. With another `target_utilization` than the fit's,
    the limits are recomputed from the same fit at that target (the binding resource can change).
    `unit` labels the metrics' throughput (per second) in the source sentence: the traffic's.
    """
    target = result.target_utilization if target_utilization is None else target_utilization
    if not 0 < target <= 1:
        raise CapplanError(f"--target-utilization {target:g} is outside (0, 1]")
    at = [(f, f.limit_at(target)) for f in result.resources]
    limited = [(f, lim) for f, lim in at if lim[0] is not None]
    if not limited:
        raise CapplanError("no resource's utilization rises with throughput in these metrics: "
                           "give --per-instance, or metrics that cover a range of load")
    fit, (limit, low, high) = min(limited, key=lambda p: p[1][0])
    if limit <= 0:
        raise CapplanError(f"{fit.name}'s idle baseline {fit.intercept:.0%} is at or above the "
                           f"target utilization {target:.0%}: no load fits under it; raise "
                           "--target-utilization or fix what keeps it busy at idle")

    def rate(v):
        return "unbounded" if v is None else f"{v:,.4g}"

    # Where the curve the limit comes from reaches 100% (the line's (1 - a) / b, or the
    # quadratic's root), beside the plan's own 100%, the limit / target.
    quadratic = fit.limit_method == "quadratic" and fit.limit_at(1.0)[0] is not None
    curve = "quadratic" if quadratic else "line"
    full = fit.limit_at(1.0)[0] if quadratic else (1 - fit.intercept) / fit.slope
    baseline = fit.quadratic[0] if quadratic else fit.intercept
    others = "; ".join(f"{f.name} at {lim[0]:,.4g}" for f, lim in sorted(
        limited, key=lambda p: p[1][0]) if f is not fit)
    source = (f"fitted from production metrics: {fit.name} binds at {limit:,.4g} {unit} per "
              f"instance at {target:.0%} utilization (95% CI {rate(low)} to {rate(high)})"
              + (f"; {others}" if others else "")
              + (f"; the quadratic's limit, as {fit.name}'s utilization curves upwards (the "
                 f"straight line would give {fit.limit_at_line(target):,.4g})"
                 if fit.limit_method == "quadratic" and limit != fit.limit_at_line(target)
                 else "")
              + f"; {limit / target:,.4g} {unit} at 100% under linear scaling (the limit / "
              f"{target:.0%}: the plan's utilizations are shares of it; the fitted {curve} "
              f"itself reaches 100% at {full:,.4g} {unit}, its idle baseline of "
              f"{baseline:.1%} included)")
    return PlanLimit(limit / target, None if low is None else low / target,
                     None if high is None else high / target, source)


def outlook(result: CapacityFromMetrics, planning_peak: float, instances: int,
            month_peaks) -> tuple[ResourceOutlook, ...]:
    """Each resource's utilization and headroom at today's planning peak on today's `instances`,
    and the first month of `month_peaks` ((month, peak) pairs, a scenario's rows) whose peak per
    instance passes the resource's limit at the target: the month it crosses the target if the
    fleet stays as it is."""
    if instances < 1:
        raise CapplanError(f"--instances {instances} must be at least 1")
    per = planning_peak / instances
    rows = []
    for f in result.resources:
        crosses = None
        if f.limit is not None:
            crosses = next((m for m, peak in month_peaks if peak / instances > f.limit), None)
        rows.append(ResourceOutlook(
            name=f.name, per_instance_peak=per, utilization_today=f.utilization_at(per),
            headroom_today=None if f.limit is None or per <= 0 else f.limit / per,
            crosses_target_month=crosses))
    return tuple(rows)
