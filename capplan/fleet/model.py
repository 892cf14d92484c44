"""The values a fleet run passes around: what to plan (`ServiceTask`), with which settings
(`FleetSettings`), what comes back from a worker (`ServiceResult` with its `ServiceSummary`) and
the whole run (`FleetResult`: services, roll-up by month, services at risk)."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capplan.pipeline import Settings

SCENARIOS = ("nominal", "worst_case")


@dataclass(frozen=True, slots=True)
class ServiceTask:
    """One service to plan, as a worker receives it: where its series is, and its own facts.

    `payload`: the service's own rows, split out of a multi-series file by the parent (that file
    is read once, not once per service); the worker reads them with the same `read_traffic` as
    any file, and the plan names the original `path` and its `sha256`. `line_map`: for rows split
    out of a long CSV, the original file's line of each payload row (the quality account and
    errors name the original lines).
    """

    name: str
    path: str  # the export (for a payload, the file it was split from)
    series: str | None = None  # which series of `path` (read_traffic's, or the split's label)
    config: str | None = None  # the service's own TOML beside its export
    facts: tuple[tuple[str, object], ...] = ()  # its table in fleet.toml, checked
    payload: bytes | None = None
    payload_suffix: str = ""
    line_map: tuple[int, ...] | None = None
    sha256: str | None = None  # of `path`, for a payload (hashed once by the parent)
    problem: str | None = None  # found before planning (its fleet.toml table): the service's error


@dataclass(frozen=True, slots=True)
class FleetSettings:
    """Settings for every service. `flags` (given on the command line) win over each service's own
    file or table, which wins over `defaults` (fleet.toml's [defaults]); the horizon `months` is
    the fleet's, so that the roll-up adds the same months of every service."""

    flags: tuple[tuple[str, object], ...] = ()
    defaults: tuple[tuple[str, object], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> FleetSettings:
        """Every value of `settings` that differs from the default becomes a flag."""
        from dataclasses import fields

        from capplan.pipeline import Settings

        base = Settings()
        given = tuple((f.name, getattr(settings, f.name)) for f in fields(Settings)
                      if getattr(settings, f.name) != getattr(base, f.name))
        return cls(flags=given)

    @property
    def months(self) -> int:
        from capplan.pipeline import Settings

        for source in (self.flags, self.defaults):
            value = dict(source).get("months")
            if value is not None:
                return int(value)
        return Settings().months

    def for_service(self, own: dict) -> tuple[Settings, tuple[str, ...]]:
        """The service's Settings (defaults < its own facts < flags), and notes on what the fleet
        overrode."""
        from capplan.config import merge
        from capplan.pipeline import Settings

        merged = merge(merge(dict(self.defaults), own), dict(self.flags))
        notes = ()
        if own.get("months") is not None and int(own["months"]) != self.months:
            notes = (f"its own months = {own['months']} is replaced by the fleet's horizon of "
                     f"{self.months} month(s): the roll-up adds every service month by month",)
        merged["months"] = self.months
        for key in ("events_file", "load_test", "fleet_usl"):
            if merged.get(key) is not None:
                merged[key] = str(merged[key])
        return Settings.from_dict(merged), notes


@dataclass(frozen=True, slots=True)
class MonthSummary:
    month: int
    date: str
    peak: float
    instances: int | None  # a month beyond one fleet's limit counts its cells x cell size
    add: int | None
    cost: float | None
    beyond_fleet_limit: bool = False


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    runway: str | None
    runway_months: float | None
    order_by: str | None
    months: tuple[MonthSummary, ...]


@dataclass(frozen=True, slots=True)
class ServiceSummary:
    """What the fleet's tables need from one plan, read from its plan.json document."""

    start: str
    planning_peak: float
    model: str
    monthly_growth: float | None
    worst_monthly_growth: float | None
    sized: bool
    current_instances: int | None
    instances_needed_today: int | None
    cost_per_instance: float | None
    scenarios: dict  # "nominal" / "worst_case" -> ScenarioSummary
    currency: str | None = None  # what its costs are in (plan.json's `currency`)


@dataclass(frozen=True, slots=True)
class InputHash:
    path: str
    sha256: str
    role: str  # "export", "service file", "fleet file", "load test", "events"
    service: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceResult:
    """One service's outcome: its plan (plan.json's document, compressed JSON) and summary, or its
    one-line error. `seconds` is the time the worker spent (kept out of fleet.json, which must not
    depend on the machine)."""

    name: str
    path: str
    series: str | None
    config: str | None
    error: str | None = None
    summary: ServiceSummary | None = None
    plan_z: bytes | None = field(default=None, repr=False)
    inputs: tuple[InputHash, ...] = ()
    notes: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def plan(self) -> dict | None:
        """The service's plan.json document."""
        return None if self.plan_z is None else json.loads(zlib.decompress(self.plan_z))

    def plan_bytes(self) -> bytes | None:
        """The document as compact JSON text."""
        return None if self.plan_z is None else zlib.decompress(self.plan_z)


@dataclass(frozen=True, slots=True)
class RollupMonth:
    """Month m of the fleet: each planned service's own month m, added up."""

    month: int
    date: str  # the month's end; the latest of the services' when their data end on different days
    instances: int | None  # None when no service was sized
    add: int | None  # None when no sized service stated today's fleet
    cost: float | None  # None when no service gave a cost per instance, or they differ in currency
    services_sized: int
    services_costed: int
    beyond_fleet_limit: int  # services whose month m is past what one fleet carries


@dataclass(frozen=True, slots=True)
class AtRisk:
    name: str
    scenario: str
    runway: str
    runway_months: float | None
    order_by: str | None


@dataclass(frozen=True, slots=True)
class FleetResult:
    """A whole fleet run: the services (sorted by name), the roll-up per scenario, the services
    whose runway falls inside the horizon (earliest first), every input's sha256, notes."""

    source: str
    form: str  # "folder", "fleet.toml", "multi-series file", "long file"
    months: int
    services: tuple[ServiceResult, ...]
    rollup: dict  # scenario -> tuple[RollupMonth, ...]
    at_risk: tuple[AtRisk, ...]
    inputs: tuple[InputHash, ...]
    notes: tuple[str, ...]
    starts: tuple[str, str] | None  # earliest and latest plan start among planned services
    currency: str | None = None  # the one currency of every costed service, when they state it

    @property
    def planned(self) -> tuple[ServiceResult, ...]:
        return tuple(s for s in self.services if s.ok)

    @property
    def failed(self) -> tuple[ServiceResult, ...]:
        return tuple(s for s in self.services if not s.ok)
