"""The capacity model: what one instance carries, the headroom kept, and the redundancy added.

Pure; no I/O. Sizing order, the usual one for N+k fleets spread over zones:
1. base: the fewest instances whose usable capacity (limit x target utilization, or the USL curve
   at the target utilization) carries the peak;
2. zones: survive the loss of one of Z zones, so Z - 1 zones alone must hold the base: each zone
   gets ceil(base / (Z - 1)) instances, Z of them;
3. spare: k more instances on top (N+k), for deploys and single-instance failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from capplan.errors import CapplanError

if TYPE_CHECKING:
    from capplan.usl import USL

# Floating-point slack when a peak lands exactly on a multiple of the usable rate
# (10,000 / 750 must give 14, not 15, when it is 13.333...; 15,000 / 750 must give 20).
EPS = 1e-9


@dataclass(frozen=True, slots=True)
class CapacityModel:
    per_instance_limit: float | None  # requests/s one instance carries at 100% utilization
    limit_source: str
    target_utilization: float = 0.6
    spare: int = 0
    zones: int = 1
    current_instances: int | None = None
    current_utilization: float | None = None
    fleet_usl: USL | None = None  # scale-out curve X(N) over instance count, when measured
    assumptions: tuple[str, ...] = ()

    @property
    def usable_per_instance(self) -> float | None:
        """The rate one instance may carry at the target utilization: limit x target."""
        if self.per_instance_limit is None:
            return None
        return self.per_instance_limit * self.target_utilization

    @property
    def sized(self) -> bool:
        return self.per_instance_limit is not None or self.fleet_usl is not None

    def base_instances_for(self, peak: float) -> int | None:
        """Fewest instances that carry `peak` at the target utilization, before redundancy.

        With a fleet USL: the smallest N with target x X(N) >= peak, or None when no N can
        (the peak is beyond target x X(N*)); see `usl.USL.instances_for`.
        """
        if peak <= 0:
            return 0
        if self.fleet_usl is not None:
            return self.fleet_usl.instances_for(peak / self.target_utilization)
        if self.usable_per_instance is None:
            return None
        return max(1, math.ceil(peak / self.usable_per_instance - EPS))

    def with_redundancy(self, base: int) -> int:
        """Add zone survival (one of Z zones lost) and N+k spares to a base instance count."""
        total = base
        if self.zones > 1 and base > 0:
            total = math.ceil(base / (self.zones - 1)) * self.zones
        return total + self.spare

    def instances_for(self, peak: float) -> int | None:
        base = self.base_instances_for(peak)
        return None if base is None else self.with_redundancy(base)

    def carried_by(self, instances: int) -> float | None:
        """Highest peak `instances` carry at the target utilization with redundancy kept."""
        if not self.sized:
            return None
        base = instances - self.spare
        if self.zones > 1:
            base = (instances - self.spare) // self.zones * (self.zones - 1)
        if base <= 0:
            return 0.0
        if self.fleet_usl is not None:
            n = min(base, self.fleet_usl.n_star_floor())
            return self.fleet_usl.throughput(n) * self.target_utilization
        return base * self.usable_per_instance

    def cells_for(self, peak: float) -> tuple[int | None, int | None]:
        """Independent cells (shards) of at most N* instances that carry `peak` together, when
        one fleet cannot: each cell carries target x X(N*), redundancy applied per cell."""
        if self.fleet_usl is None:
            return None, None
        n = self.fleet_usl.n_star_floor()
        per_cell = self.fleet_usl.throughput(n) * self.target_utilization
        if per_cell <= 0:
            return None, None
        return math.ceil(peak / per_cell - EPS), self.with_redundancy(n)

    def describe_redundancy(self) -> str:
        parts = [f"N+{self.spare}" if self.spare else "N+0 (no spare instance)"]
        if self.zones > 1:
            parts.append(f"survives the loss of one of {self.zones} zones")
        return ", ".join(parts)


def build_capacity(*, planning_peak: float | None, per_instance: float | None = None,
                   instances: int | None = None, utilization: float | None = None,
                   target_utilization: float = 0.6, spare: int = 0, zones: int = 1,
                   fleet_usl: USL | None = None, per_instance_source: str | None = None
                   ) -> CapacityModel:
    """Validate the capacity facts and derive the per-instance limit where it is not given."""
    if not 0 < target_utilization <= 1:
        raise CapplanError(f"--target-utilization {target_utilization:g} is outside (0, 1]: give "
                           "a fraction such as 0.6 for 60%")
    if utilization is not None and not 0 < utilization <= 1:
        raise CapplanError(f"--utilization {utilization:g} is outside (0, 1]: give today's "
                           "utilization at the planning peak as a fraction, such as 0.40 for 40%")
    if instances is not None and instances < 1:
        raise CapplanError(f"--instances {instances} must be at least 1")
    if spare < 0:
        raise CapplanError(f"--spare {spare} must be 0 or more")
    if zones < 1:
        raise CapplanError(f"--zones {zones} must be 1 or more")
    if per_instance is not None and per_instance <= 0:
        raise CapplanError(f"--per-instance {per_instance:g} must be a positive rate (req/s at 100%)")
    assumptions = []
    if per_instance is not None:
        source = per_instance_source or f"given: {per_instance:,.6g} req/s per instance at 100%"
        limit = per_instance
    elif instances is not None and utilization is not None and planning_peak:
        # Today's fleet serves the planning peak at `utilization`, so one instance at 100%
        # carries peak / (N x U). This is linear scaling: N instances carry N times one.
        limit = planning_peak / (instances * utilization)
        source = (f"derived from the current fleet: {planning_peak:,.6g} req/s on {instances} "
                  f"instances at {utilization:.0%} utilization -> {limit:,.6g} req/s per "
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
    return CapacityModel(per_instance_limit=limit, limit_source=source,
                         target_utilization=target_utilization, spare=spare, zones=zones,
                         current_instances=instances, current_utilization=utilization,
                         fleet_usl=fleet_usl, assumptions=tuple(assumptions))
