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

import difflib
from pathlib import Path

from capplan.errors import CapplanError, name_list

KEYS = {
    "service": str, "title": str, "per_instance": float, "instances": int, "utilization": float,
    "target_utilization": float, "spare": int, "zones": int, "months": int, "growth": str,
    "worst_growth": str, "worst_quantile": float, "model": str, "events": list,
    "events_file": str, "lead_time": int, "cost_per_instance": float, "latency_slo": str,
    "load_test": str, "fleet_usl": str, "service_time": str, "timezone": str, "paper": str,
    "time_column": str, "value_column": str, "series": str, "sheet": str, "per_interval": bool,
    "counter": bool, "rate": bool, "aggregate": str, "unit": str,
    "degraded_utilization": float, "cell_overhead": int, "prescale": int, "currency": str,
    "throughput_unit": str, "capacity_from": str, "throughput": str, "resources": list,
    "instances_column": str, "utilization_unit": str, "exclude": list, "deploy": list,
    "warm_up": str,
}
MAX_BYTES = 1_000_000  # a service file is a few dozen lines; refuse anything that is not
MAX_DEPTH = 8  # [capacity], [team.capacity]: tables group keys; deeper is not a service file


def read_config(path: str | Path) -> dict:
    """Read and check a service TOML file; relative paths inside it are made relative to it.

    Values meet the same rules as the flags (`capplan.validation`), and a message names the file
    and the key. Whatever the file holds, only `CapplanError` escapes.
    """
    path = Path(path)
    raw = _load(path)
    flat: dict = {}
    keys: dict = {}  # setting -> where it was found, for messages

    def walk(table: dict, where: str, depth: int = 0) -> None:
        for key, value in table.items():
            name = key.replace("-", "_")
            if isinstance(value, dict):
                if depth >= MAX_DEPTH:
                    raise CapplanError(f"{path}: tables nested more than {MAX_DEPTH} deep at "
                                       f"{where[:60]}{key[:20]}: tables only group the keys; "
                                       "flatten them")
                walk(value, f"{where}{key}.", depth + 1)
                continue
            label = f"{path}: {where}{key} ="
            if name not in KEYS:
                close = difflib.get_close_matches(name, KEYS, n=1)
                hint = (f"did you mean {close[0]!r}?" if close else
                        f"known keys: {name_list(sorted(KEYS), limit=8)}")
                raise CapplanError(f"{path}: unknown key {where}{key[:60]!r}: {hint}")
            if name in flat:
                raise CapplanError(f"{path}: {name} is set twice ({keys[name]} and {where}{key}): "
                                   "keep one")
            flat[name] = _typed(name, value, label)
            keys[name] = f"{where}{key}"

    walk(raw, "")
    from capplan.validation import check_settings

    check_settings({k: v for k, v in flat.items()}, where=lambda k: f"{path}: {keys[k]} =")
    for key in ("load_test", "fleet_usl", "events_file", "capacity_from"):
        if key in flat and not Path(flat[key]).is_absolute():
            flat[key] = str(path.parent / flat[key])
    if any(k in flat for k in ("throughput", "resources", "instances_column")):
        from capplan.ingest.metrics import rebase_spec

        for key, role in (("throughput", "throughput"), ("instances_column", "instances")):
            if key in flat:
                flat[key] = rebase_spec(flat[key], path.parent, role)
        if "resources" in flat:
            flat["resources"] = [rebase_spec(r, path.parent) for r in flat["resources"]]
    return flat


def _load(path: Path) -> dict:
    return load_toml(path, label=f"--config {path}", max_bytes=MAX_BYTES,
                     holds="a service file holds a few capacity facts, not data")


def load_toml(path: Path, *, label: str, max_bytes: int, holds: str) -> dict:
    """A TOML file read bounded (at most `max_bytes`; `holds` says what such a file is for when it
    is larger); each failure one line that starts with `label` (the flag or the file)."""
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise CapplanError(f"{label}: no such file: check the path") from None
    except IsADirectoryError:
        raise CapplanError(f"{label}: is a folder: give the TOML file") from None
    except OSError as exc:
        raise CapplanError(f"{label}: cannot be read ({exc.strerror or exc}): check the "
                           "path and its permissions") from None
    if len(data) > max_bytes:
        raise CapplanError(f"{label}: larger than {max_bytes:,} bytes: {holds}")
    import tomllib  # here: a run without a service file need not load the parser (~5 ms)

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CapplanError(f"{path}: byte {exc.start} is not UTF-8: save the file as UTF-8 "
                           "(TOML requires it)") from None
    except tomllib.TOMLDecodeError as exc:
        raise CapplanError(f"{path}: is not valid TOML ({exc}): fix the line it names") from None
    except RecursionError:
        raise CapplanError(f"{path}: tables nested too deeply: flatten them") from None


def _typed(name: str, value, label: str):
    """The value as the key's type: an integer where a float is wanted, a number where text is
    (months = 6 and growth = "10%/month" read as written)."""
    want = KEYS[name]
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if want is float and is_number:
        if isinstance(value, int) and abs(value) > 1e300:
            raise CapplanError(f"{label} {str(value)[:20]}...: too large a number")
        value = float(value)
    if want is str and is_number:
        value = str(value)
    if not isinstance(value, want) or (isinstance(value, bool) and want is not bool):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:60] + "..."
        raise CapplanError(f"{label} {shown} should be {_kind(want)}")
    return value


def _kind(want) -> str:
    return {str: "text (in quotes)", float: "a number", int: "a whole number",
            bool: "true or false", list: "a list such as [\"a\", \"b\"]"}[want]


def merge(config: dict, flags: dict) -> dict:
    """Flags that were given (not None, not empty) win over the file."""
    out = dict(config)
    for key, value in flags.items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        out[key] = value
    return out
