"""The values ingest returns: `Traffic` and its quality account (`DataQuality`, `DroppedRows`)
and provenance (`InputInfo`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported lazily so the CLI starts fast
    import pandas as pd

FIRST_ROWS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class DroppedRows:
    """Rows left out for one reason: how many and the first few line numbers (1 = the header)."""

    reason: str
    count: int
    first_lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DataQuality:
    rows_read: int
    rows_used: int
    dropped: tuple[DroppedRows, ...]
    duplicate_timestamps: int
    duplicates_kept: str
    sorted_by_capplan: bool
    interval_seconds: float
    gaps: int
    longest_gap_seconds: float
    missing_seconds: float
    zero_values: int
    first: pd.Timestamp
    last: pd.Timestamp
    timezone_assumed: str | None
    # What was done to the data and why, one sentence each; those that start "warning: " ask the
    # user to confirm a reading capplan could not settle from the file (counts versus rates).
    notes: tuple[str, ...] = ()

    @property
    def rows_dropped(self) -> int:
        return sum(d.count for d in self.dropped)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(n for n in self.notes if n.startswith("warning: "))


@dataclass(frozen=True, slots=True)
class InputInfo:
    path: str
    sha256: str
    format: str
    sheet: str | None
    time_column: str
    value_column: str
    series: str | None  # the --series asked for (or the one series a JSON file held)
    value_kind: str  # "rate", "per-interval count" or "counter"
    encoding: str = "utf-8"  # of text inputs: "utf-8", "utf-16" or "cp1252"
    aggregate: str | None = None  # "sum", "max" or "mean" when several series were combined
    series_used: tuple[str, ...] = ()  # the series read (several when combined)


@dataclass(frozen=True, slots=True)
class Traffic:
    """A rate series on a sorted, unique UTC index, with where it came from. The rate is per
    second unless `unit` names another time base (`--unit hires/day`: values as given)."""

    rate: pd.Series
    unit: str  # the label reports print: "req/s" by default, or from --unit
    interval_seconds: float
    quality: DataQuality
    source: InputInfo
    local_timezone: str = "UTC"  # the zone calendar days and hours are counted in
