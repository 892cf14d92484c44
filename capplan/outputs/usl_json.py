"""JSON sections for the USL fit (`usl.json`, and `usl`/`fleet_usl` in plan.json) and queueing."""

from __future__ import annotations

from capplan.outputs.json import SCHEMA


def curve_points(fit, count: int = 60) -> list[dict]:
    """The fitted curve from N = 1 to past the peak (or 2x the largest measured N)."""
    m = fit.model
    top = max([2 * (fit.max_measured_n or 1), 1.5 * (m.n_star or 0), 10])
    step = (top - 1) / (count - 1)
    out = []
    for i in range(count):
        n = 1 + i * step
        out.append({"n": n, "x": m.throughput(n), "latency": m.latency(n),
                    "extrapolated": fit.is_extrapolation(n)})
    return out


def usl_doc(fit, latency_slo: str | None = None, load_test=None) -> dict:
    from capplan import __version__

    m = fit.model
    doc = {"schema": SCHEMA, "capplan": __version__, "source": fit.source,
           "sigma": m.sigma, "kappa": m.kappa, "lambda": m.lambda_,
           "stderr": fit.stderr or None,
           "ci": {k: list(v) for k, v in fit.ci.items()} if fit.ci else None,
           "ci_method": ("two-sided 95%: estimate +- t(0.975, n - 3) x standard error from the "
                         "Jacobian at the least-squares optimum") if fit.ci else None,
           "n_star": m.n_star, "x_max": m.x_max, "amdahl_ceiling": m.amdahl_ceiling,
           "r_squared": fit.r_squared, "residual_se": fit.residual_se,
           "residuals": list(fit.residuals), "warnings": list(fit.warnings),
           "measurements": [{"n": n, "x": x} for n, x in zip(fit.n, fit.x)],
           "max_measured_n": fit.max_measured_n,
           "n_star_extrapolated": (m.n_star is not None and fit.is_extrapolation(m.n_star)),
           "curve": curve_points(fit)}
    if latency_slo:
        from capplan.queueing import parse_duration_seconds

        from capplan.errors import CapplanError
        from capplan.limits import for_load_test

        # The objective is on the p99 response time (capplan.limits), as in the plan.
        r = parse_duration_seconds(latency_slo, "--latency-slo")
        try:
            lim = for_load_test(fit, r)
        except CapplanError:
            lim = None
        n = None if lim is None else m.concurrency_at_throughput(lim.rate)
        doc["at_latency_slo"] = {
            "latency_seconds": r, "statistic": None if lim is None else lim.statistic,
            "throughput": None if lim is None else lim.rate, "concurrency": n,
            "method": None if lim is None else lim.method,
            "servers_per_instance": None if lim is None else lim.servers_per_instance,
            "servers_source": None if lim is None else lim.servers_source,
            "description": None if lim is None else lim.description,
            "extrapolated": n is not None and fit.is_extrapolation(n)}
    if load_test is not None:
        doc["load_test"] = load_test_doc(load_test)
    return doc


def load_test_doc(test) -> dict:
    """The load test as read: every step, what it measured, and why any is left out of the fit.
    Latency in seconds, keyed by statistic (mean, p50, p90, p95, p99, max)."""
    return {"path": test.path, "format": test.format, "concurrency": test.concurrency,
            "throughput_unit": test.throughput_unit, "latency_source": test.latency_source,
            "latency_statistic_fitted": test.latency_statistic,
            "notes": list(test.notes),
            "steps": [{"n": s.n, "throughput": _num(s.throughput),
                       "latency_seconds": {k: _num(v) for k, v in s.latency},
                       "requests": s.requests, "errors": s.errors,
                       "error_rate": _num(s.error_rate), "duration_seconds":
                       _num(s.duration_seconds), "where": s.where, "label": s.label,
                       "used": s.excluded is None, "excluded_because": s.excluded}
                      for s in test.steps]}


def _num(v):
    """JSON has no NaN or infinity: null instead."""
    import math

    return None if v is None or not math.isfinite(v) else float(v)


def queueing_doc(w) -> dict:
    return {"mean_rate": w.mean_rate, "peak_rate": w.peak_rate, "service_time": w.service_time,
            "instances": w.instances, "servers_per_instance": w.servers_per_instance,
            "target_utilization": w.target_utilization, "latency_slo": w.latency_slo,
            "in_flight_mean": w.in_flight_mean, "in_flight_peak": w.in_flight_peak,
            "queue_mean": w.queue_mean, "queue_peak": w.queue_peak,
            "rate_limit_per_instance": w.rate_limit_per_instance,
            "slo_rate_per_instance": w.slo_rate_per_instance,
            "slo_utilization": w.slo_utilization,
            "utilization_table": [{"utilization": r, "p99_wait": w99, "p99_response": r99}
                                  for r, w99, r99 in w.utilization_table],
            "at_peak": list(w.at_peak),
            "utilization_rate_per_instance": w.utilization_rate_per_instance,
            "binding": w.binding, "rate_limit_basis": w.rate_limit_basis,
            "servers_source": w.servers_source}
