"""The capacity model: what one instance carries, the headroom kept, and the redundancy added.

Pure; no I/O.

Sizing one fleet for a peak P. Two states must both hold:
- normal running: all N instances serve P at no more than the normal limit, the target
  utilization (`target_utilization`, 0.6) of the per-instance limit L, or the rate at which p99
  meets `--latency-slo` when that is lower (`LatencyLimit`; the lower of the two binds);
- after the loss of one of Z zones, or of the k spares (N+k): the survivors serve P at no more
  than the degraded utilization (`degraded_utilization`, 0.8). Planning the survivors at the normal
  target would leave a 3-zone fleet at 40% in normal running.
The layout is z instances in each of Z zones plus the k spares: N = Z z + k. The spares are not
counted among the survivors (they may sit in the lost zone), so after either loss at least
(Z - 1) z serve (z when Z = 1).
1. D = the fewest instances that carry P at the degraded utilization: ceil(P / (L x degraded));
2. z = ceil(D / (Z - 1)) for Z > 1, z = D for Z = 1; N = Z z + k;
3. B = the fewest that carry P at the normal limit: ceil(P / usable); if N < B, z = ceil((B - k) / Z)
   and N = Z z + k.
Without redundancy (Z = 1, k = 0) nothing is lost: N = B.
Worked: P = 11,000 req/s, L = 1,250, target 0.6, degraded 0.8, Z = 3, k = 1: D = ceil(11,000 /
1,000) = 11, z = ceil(11 / 2) = 6, N = 3 x 6 + 1 = 19 >= B = ceil(11,000 / 750) = 15. Normal running
11,000 / (19 x 1,250) = 46%; after losing a zone and the spare the 12 left run at 11,000 / (12 x
1,250) = 73% (<= 80%).

With a scale-out USL fit X(N) instead of L (`fleet_usl`), "N instances carry P at utilization u"
means u X(N) >= P, and no fleet passes N* (floor(N*), `USL.n_max`): past it, adding instances
lowers throughput. When no fleet up to N* carries P (normal and after the loss), the peak is split
over cells (independent shards): the fewest cells that carry it, each the smallest fleet (zones,
spares and all, never past N*) that carries its share, plus `cell_overhead` instances each cell needs
of its own (its own router, database replica, ...). Cells help only when the contended resource
(the database, a lock, a cache) is split with them: the plan says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from capplan.errors import CapplanError
from capplan.numbers import plain

# The recommended rate limit (load shedding) sits this far below the rate at which p99 reaches
# the latency objective; the fleet is sized to run under it, so it never throttles planned traffic.
RATE_LIMIT_MARGIN = 0.10

if TYPE_CHECKING:
    from capplan.usl import USL

# Floating-point slack when a peak lands exactly on a multiple of the usable rate
# (10,000 / 750 must give 14, not 15, when it is 13.333...; 15,000 / 750 must give 20).
EPS = 1e-9
CELL_SAVING = 0.25  # cells are shown beside one fleet when they would save at least this share
ALTERNATIVE_SEARCH = 200  # cell counts tried past the plan's own for the cell alternative


@dataclass(frozen=True, slots=True)
class LatencyLimit:
    """The rate one instance may carry with the p99 response time within the objective."""

    slo_seconds: float
    rate: float  # per instance (the traffic's unit) at which the p99 response time reaches the objective
    method: str  # "measured" (the load test's latency per step) or "M/M/c"
    statistic: str  # what is compared with the objective, e.g. "p99 (column 'latency_p99_ms')"
    description: str  # how the rate was found, in a sentence
    servers_per_instance: int | None = None  # M/M/c: servers c of one instance
    servers_source: str | None = None  # where c came from
    service_time: float | None = None  # M/M/c: mean service time, seconds
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    """The instances that carry a peak and how they are laid out."""

    instances: int  # in all: cells x cell_size when split into cells
    cells: int | None  # None for one fleet
    cell_size: int | None  # instances a cell, its overhead included (None for one fleet)
    serving: int  # instances serving traffic in the fleet (in each cell)
    survivors: int | None  # serving instances left after the loss (None: no redundancy asked)
    share: float  # the peak the fleet (each cell) carries


@dataclass(frozen=True, slots=True)
class CellAlternative:
    """Cells beside the plan's layout, when they would save at least CELL_SAVING of it."""

    cells: int
    cell_size: int
    instances: int
    saving: float  # 1 - instances / the plan's instances


@dataclass(frozen=True, slots=True)
class CapacityModel:
    per_instance_limit: float | None  # the rate one instance carries at 100% utilization
    limit_source: str
    target_utilization: float = 0.6
    spare: int = 0
    zones: int = 1
    current_instances: int | None = None
    current_utilization: float | None = None
    fleet_usl: USL | None = None  # scale-out curve X(N) over instance count, when measured
    assumptions: tuple[str, ...] = ()
    degraded_utilization: float = 0.8  # what survivors may run at after the loss
    cell_overhead: int = 0  # instances each cell needs of its own, serving no traffic
    latency_limit: LatencyLimit | None = None
    throughput_unit: str = "second"  # the load tests' throughput unit, as given
    # The limit's interval (low, high) at 100%, when it was fitted from production metrics;
    # None for a bound: unbounded. Sizing at each end gives the instance range.
    limit_range: tuple[float | None, float | None] | None = None
    # The traffic's rate unit (`Traffic.unit`): every rate here and every sentence is in it.
    unit: str = "req/s"

    # ---- the limits -----------------------------------------------------------------------
    @property
    def utilization_rate(self) -> float | None:
        """The rate one instance may carry at the target utilization: limit x target."""
        if self.per_instance_limit is None:
            return None
        return self.per_instance_limit * self.target_utilization

    @property
    def latency_rate(self) -> float | None:
        """The rate one instance may carry under the latency objective: where p99 reaches it,
        less the recommended rate limit's margin. Sized to it, normal running never meets the
        rate limit, which is set at the same figure."""
        lat = self.latency_limit
        return None if lat is None else lat.rate * (1 - RATE_LIMIT_MARGIN)

    @property
    def binding(self) -> str:
        """Which limit sets the normal per-instance rate: 'latency_slo' when the latency rate
        (`latency_rate`) is below the utilization target's, else 'utilization'."""
        u, lat = self.utilization_rate, self.latency_rate
        if self.fleet_usl is None and u is not None and lat is not None and lat < u:
            return "latency_slo"
        return "utilization"

    @property
    def usable_per_instance(self) -> float | None:
        """The rate one instance may carry in normal running: the binding (lower) limit."""
        if self.per_instance_limit is None:
            return None
        if self.binding == "latency_slo":
            return self.latency_rate
        return self.utilization_rate

    @property
    def sized(self) -> bool:
        return self.per_instance_limit is not None or self.fleet_usl is not None

    @property
    def redundant(self) -> bool:
        """A loss is planned for: a zone (Z > 1) or the spares (k > 0)."""
        return self.zones > 1 or self.spare > 0

    @property
    def n_max(self) -> int | None:
        """The most instances one fleet (or cell) may have: floor(N*) with a fleet USL."""
        return None if self.fleet_usl is None else self.fleet_usl.n_max()

    def with_limit(self, limit: float) -> CapacityModel:
        """The same model with another per-instance limit (one end of `limit_range`): sized by
        the same rule, so a higher limit never needs more instances."""
        return replace(self, per_instance_limit=limit, limit_range=None)

    def instance_range(self, peak: float) -> tuple[int | None, int | None]:
        """(instances at the high end of the limit, at the low end) for `peak`: the fewest and
        the most the limit's interval allows. None where the bound is unbounded (or 0), or when
        the limit has no interval."""
        if self.limit_range is None or self.fleet_usl is not None:
            return None, None
        low, high = self.limit_range
        fewest = None if high is None or not high > 0 else self.with_limit(high).instances_for(peak)
        most = None if low is None or not low > 0 else self.with_limit(low).instances_for(peak)
        return fewest, most

    # ---- what n serving instances carry -----------------------------------------------------
    def rate(self, n: int, utilization: float | None = None) -> float:
        """The peak n serving instances carry at `utilization`, or at the normal limit (the
        binding one) when None."""
        if n <= 0:
            return 0.0
        if self.fleet_usl is not None:
            u = self.target_utilization if utilization is None else utilization
            return self.fleet_usl.throughput(n) * u
        per = self.usable_per_instance if utilization is None else (
            self.per_instance_limit * utilization)
        return n * per

    def _fewest(self, peak: float, utilization: float | None) -> int | None:
        """The fewest serving instances that carry `peak` (never past N*); None when none do."""
        if peak <= 0:
            return 0
        if self.fleet_usl is not None:
            u = self.target_utilization if utilization is None else utilization
            return self.fleet_usl.instances_for(peak / u, limit=self.n_max)
        per = self.usable_per_instance if utilization is None else (
            self.per_instance_limit * utilization)
        return max(1, math.ceil(peak / per - EPS))

    def _survivors(self, z: int) -> int:
        return (self.zones - 1) * z if self.zones > 1 else z

    # ---- sizing ------------------------------------------------------------------------------
    def fleet_layout(self, peak: float) -> Layout | None:
        """One fleet for `peak` by the rule in the module docstring; None when no fleet up to
        N* carries it."""
        normal = self._fewest(peak, None)
        if normal is None:
            return None
        zones, spare = self.zones, self.spare
        if self.redundant:
            degraded = self._fewest(peak, self.degraded_utilization)
            if degraded is None:
                return None
            z = math.ceil(degraded / (zones - 1)) if zones > 1 else degraded
        else:
            z = normal
        total = zones * z + spare
        if total < normal:
            z = math.ceil((normal - spare) / zones)
            total = zones * z + spare
        if self.n_max is not None and total > self.n_max:
            return None
        return Layout(total, None, None, total, self._survivors(z) if self.redundant else None,
                      peak)

    def base_instances_for(self, peak: float) -> int | None:
        """Fewest serving instances for `peak` in normal running, before redundancy."""
        return self._fewest(peak, None)

    def cell_capacity(self) -> float:
        """The highest peak one cell of at most N* instances carries, redundancy kept."""
        if self.fleet_usl is None:
            return math.inf
        return self._carried_by_lattice(self.n_max)

    def _carried_by_lattice(self, n: int) -> float:
        zones, spare = self.zones, self.spare
        z = (n - spare) // zones if self.redundant else n
        if z <= 0:
            return 0.0
        total = zones * z + spare
        carried = self.rate(total)
        if self.redundant:
            carried = min(carried, self.rate(self._survivors(z), self.degraded_utilization))
        return carried

    def cells_layout(self, peak: float) -> Layout | None:
        """The fewest cells that carry `peak`, each the smallest fleet that carries its share."""
        if self.fleet_usl is None:
            return None
        cmax = self.cell_capacity()
        if cmax <= 0:
            return None
        k = max(1, math.ceil(peak / cmax - EPS))
        for cells in range(k, k + 3):
            lay = self.fleet_layout(peak / cells)
            if lay is not None:
                size = lay.instances + self.cell_overhead
                return Layout(cells * size, cells, size, lay.serving, lay.survivors, peak / cells)
        return None  # pragma: no cover - k cells of the largest layout carry peak / k <= cmax

    def layout_for(self, peak: float) -> Layout | None:
        """The plan's layout for `peak`: one fleet while one carries it, else cells."""
        if not self.sized:
            return None
        lay = self.fleet_layout(peak)
        if lay is None:
            lay = self.cells_layout(peak)
        return lay

    def instances_for(self, peak: float) -> int | None:
        """Instances for `peak`: one fleet, or cells x cell size past what one fleet carries."""
        lay = self.layout_for(peak)
        return None if lay is None else lay.instances

    def cell_alternative(self, peak: float, layout: Layout) -> CellAlternative | None:
        """The cheapest cells, more than the layout's, that would carry `peak` with at least
        CELL_SAVING fewer instances (a scale-out fit only): the fewest instances in all, and of
        equal ones the fewest cells. Not the first count that saves enough: 4 cells of 4 save
        27% on 22, but 7 cells of 2 carry the same peak with 14."""
        if self.fleet_usl is None or layout.instances <= 0:
            return None
        smallest_cell = ((self.zones + self.spare) if self.redundant else 1) + self.cell_overhead
        budget = (1 - CELL_SAVING) * layout.instances + EPS
        first = (layout.cells or 1) + 1
        best = None
        for cells in range(first, first + ALTERNATIVE_SEARCH):
            # No more cells can do better: even cells of the smallest size cost more.
            if cells * smallest_cell > budget or (best and cells * smallest_cell >= best[0]):
                break
            lay = self.fleet_layout(peak / cells)
            if lay is None:
                continue
            total = cells * (lay.instances + self.cell_overhead)
            if total <= budget and (best is None or total < best[0]):
                best = (total, cells, lay.instances + self.cell_overhead)
        if best is None:
            return None
        total, cells, size = best
        return CellAlternative(cells, size, total, 1 - total / layout.instances)

    def carried_by(self, instances: int) -> float | None:
        """Highest peak `instances` carry as one fleet, at the normal limit and with the
        redundancy kept (past N*, the best the fleet does with N* of them serving)."""
        if not self.sized:
            return None
        n = instances if self.n_max is None else min(instances, self.n_max)
        return self._carried_by_lattice(n)

    def utilization(self, layout: Layout) -> tuple[float | None, float | None]:
        """(normal running, after the loss) utilization of a layout at its peak: the share each
        fleet or cell carries over what its serving instances carry at 100%."""
        def at_full(n):
            if n is None or n <= 0:
                return None
            if self.fleet_usl is not None:
                return self.fleet_usl.throughput(n)
            return n * self.per_instance_limit if self.per_instance_limit else None

        full, after = at_full(layout.serving), at_full(layout.survivors)
        return (layout.share / full if full else None,
                layout.share / after if after else None)

    def within_headroom(self, peak: float) -> Layout | None:
        """The layout for `peak` when the redundancy asked for (zones, spares) adds no instance
        to it: the target utilization's headroom already covers the loss (10,000 req/s at 750
        usable: 14 instances; N+3 leaves 11, which carry it at 73% <= 80%). None otherwise."""
        if not self.redundant or not self.sized:
            return None
        lay = self.fleet_layout(peak)
        bare = replace(self, spare=0, zones=1).fleet_layout(peak)
        if lay is None or bare is None or lay.instances != bare.instances:
            return None
        return lay

    def describe_redundancy(self) -> str:
        parts = [f"N+{self.spare}" if self.spare else "N+0 (no spare instance)"]
        if self.zones > 1:
            parts.append(f"survives the loss of one of {self.zones} zones")
        if self.redundant:
            parts.append(f"survivors may run at {self.degraded_utilization:.0%}")
        return ", ".join(parts)

    def describe_loss(self) -> str:
        """The loss the survivors are sized for, in words."""
        if self.zones > 1 and self.spare:
            return f"a zone (of {self.zones}) or the {self.spare} spare(s)"
        if self.zones > 1:
            return f"a zone (of {self.zones})"
        if self.spare:
            return f"the {self.spare} spare(s)"
        return "nothing (no zones or spares asked for)"


def build_capacity(*, planning_peak: float | None, per_instance: float | None = None,
                   instances: int | None = None, utilization: float | None = None,
                   target_utilization: float = 0.6, spare: int = 0, zones: int = 1,
                   fleet_usl: USL | None = None, per_instance_source: str | None = None,
                   degraded_utilization: float = 0.8, cell_overhead: int = 0,
                   latency_limit: LatencyLimit | None = None,
                   throughput_unit: str = "second",
                   per_instance_range: tuple[float | None, float | None] | None = None,
                   assumptions: tuple[str, ...] = (), unit: str = "req/s") -> CapacityModel:
    """Validate the capacity facts and derive the per-instance limit where it is not given;
    `unit` is the traffic's rate unit, the one every rate given here is in."""
    if not 0 < target_utilization <= 1:
        raise CapplanError(f"--target-utilization {target_utilization:g} is outside (0, 1]: give "
                           "a fraction such as 0.6 for 60%")
    if not 0 < degraded_utilization <= 1:
        raise CapplanError(f"--degraded-utilization {degraded_utilization:g} is outside (0, 1]: "
                           "give the utilization survivors may run at after a loss, such as 0.8")
    if utilization is not None and not 0 < utilization <= 1:
        raise CapplanError(f"--utilization {utilization:g} is outside (0, 1]: give today's "
                           "utilization at the planning peak as a fraction, such as 0.40 for 40%")
    if instances is not None and instances < 1:
        raise CapplanError(f"--instances {instances} must be at least 1")
    if spare < 0:
        raise CapplanError(f"--spare {spare} must be 0 or more")
    if zones < 1:
        raise CapplanError(f"--zones {zones} must be 1 or more")
    if cell_overhead < 0:
        raise CapplanError(f"--cell-overhead {cell_overhead} must be 0 or more (instances each "
                           "cell needs of its own)")
    if per_instance is not None and not (0 < per_instance < math.inf):
        raise CapplanError(f"--per-instance {per_instance:g} must be a positive rate ({unit} at 100%)")
    given_assumptions, assumptions = assumptions, []
    if per_instance is not None:
        source = per_instance_source or f"given: {plain(per_instance)} {unit} per instance at 100%"
        limit = per_instance
    elif instances is not None and utilization is not None and planning_peak:
        # Today's fleet serves the planning peak at `utilization`, so one instance at 100%
        # carries peak / (N x U). This is linear scaling: N instances carry N times one.
        limit = planning_peak / (instances * utilization)
        source = (f"derived from the current fleet: {plain(planning_peak)} {unit} on {instances} "
                  f"instances at {utilization:.0%} utilization -> {plain(limit)} {unit} per "
                  "instance at 100%")
        assumptions.append("the per-instance limit assumes linear scaling (N instances carry N "
                           "times one); a USL fit from a load test replaces this assumption")
    elif instances is not None and utilization is None and per_instance is None and fleet_usl is None:
        raise CapplanError("--instances needs --utilization (today's utilization at the planning "
                           "peak) or --per-instance to size the fleet")
    else:
        limit = None
        source = "not given"
    if fleet_usl is not None and limit is None:
        source = "fleet throughput from the scale-out USL fit"
    if latency_limit is not None and not latency_limit.rate > 0:
        raise CapplanError(f"--latency-slo {latency_limit.slo_seconds * 1000:g}ms: "
                           f"{latency_limit.description}; no rate meets it: relax the objective "
                           "or check the load test")
    if per_instance_range is not None and per_instance is None:
        raise CapplanError("a per-instance limit's range needs the limit itself")
    for bound in per_instance_range or ():
        if bound is not None and not 0 <= bound < math.inf:
            raise CapplanError(f"the per-instance limit's interval bound {bound:g} must be a rate "
                               "of 0 or more")
    model = CapacityModel(per_instance_limit=limit, limit_source=source,
                          target_utilization=target_utilization, spare=spare, zones=zones,
                          current_instances=instances, current_utilization=utilization,
                          fleet_usl=fleet_usl,
                          assumptions=tuple(given_assumptions) + tuple(assumptions),
                          degraded_utilization=degraded_utilization, cell_overhead=cell_overhead,
                          latency_limit=latency_limit, throughput_unit=throughput_unit,
                          limit_range=per_instance_range, unit=unit)
    if fleet_usl is not None and model.cell_capacity() <= 0:
        raise CapplanError(f"--zones {zones} --spare {spare}: a fleet needs at least "
                           f"{zones + spare} instances, but the scale-out fit peaks at N* = "
                           f"{fleet_usl.n_star:.3g}: no fleet or cell can be laid out; lower "
                           "--zones or --spare")
    return model
