"""A service's capacity facts in TOML, next to its design doc; flags override the file.

Keys are the long flag names with underscores (`per_instance`, `target_utilization`, ...), either
at the top level or under any table (`[capacity]`, `[growth]`): tables only group them.

    service = "checkout-api"
    [capacity]
    instances = 20
    utilization = 0.40
    target_utilization = 0.60
    spare = 1
    zones = 3
    [growth]
    months = 12
    events = ["black-friday:2026-11-27:48h:3x"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from capplan.errors import CapplanError

KEYS = {
    "service": str, "title": str, "per_instance": float, "instances": int, "utilization": float,
    "target_utilization": float, "spare": int, "zones": int, "months": int, "growth": str,
    "worst_growth": str, "worst_quantile": float, "model": str, "events": list,
    "events_file": str, "lead_time": int, "cost_per_instance": float, "latency_slo": str,
    "load_test": str, "fleet_usl": str, "service_time": str, "timezone": str, "paper": str,
    "time_column": str, "value_column": str, "series": str, "sheet": str, "per_interval": bool,
    "counter": bool,
}


def read_config(path: str | Path) -> dict:
    """Read and type-check a service TOML file; relative paths inside it are made relative to it."""
    path = Path(path)
    if not path.is_file():
        raise CapplanError(f"--config {path}: no such file: check the path")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CapplanError(f"{path}: is not valid TOML ({exc}): fix the line it names") from exc
    flat: dict = {}

    def walk(table: dict, where: str) -> None:
        for key, value in table.items():
            name = key.replace("-", "_")
            if isinstance(value, dict):
                walk(value, f"{where}{key}.")
                continue
            if name not in KEYS:
                raise CapplanError(f"{path}: unknown key {where}{key!r}: known keys are "
                                   f"{', '.join(sorted(KEYS))}")
            want = KEYS[name]
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if want is str and isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            if not isinstance(value, want) or (isinstance(value, bool) and want is not bool):
                raise CapplanError(f"{path}: {where}{key} = {value!r} should be a "
                                   f"{want.__name__}")
            flat[name] = value

    walk(raw, "")
    for key in ("load_test", "fleet_usl", "events_file"):
        if key in flat and not Path(flat[key]).is_absolute():
            flat[key] = str(path.parent / flat[key])
    return flat


def merge(config: dict, flags: dict) -> dict:
    """Flags that were given (not None, not empty) win over the file."""
    out = dict(config)
    for key, value in flags.items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        out[key] = value
    return out
