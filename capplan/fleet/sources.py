"""Which services a fleet run plans: the fleet's ingest edge.

Four forms of source, told apart by what the path is:
- a folder: one export per service, named by its file (`checkout.csv` is `checkout`), with the
  service's own TOML (`checkout.toml`, the `--config` keys) beside it when it has capacity facts;
- a `fleet.toml`: `[[service]]` tables (`name`, `file`, and any service-file key) and a
  `[defaults]` table for every service;
- one multi-series export (Prometheus `query_range`, Datadog, a Grafana wide or long CSV): a
  service per series;
- a long CSV with a service column (`--service-column`): a service per value of that column.

What concerns one service (its file, its TOML, its table) fails that service alone, later, with
its own one-line error; what concerns the fleet (the folder, fleet.toml's syntax or `[defaults]`,
the multi-series file itself) stops the run here with a `CapplanError`.

A multi-series JSON export and a long CSV are read once here and split into one payload per
service, so that each worker reads its own rows rather than the whole file again; a wide CSV is
read by each worker with `series=` (exactly as `capplan forecast FILE --series NAME`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from capplan.errors import CapplanError, name_list
from capplan.fleet.model import InputHash, ServiceTask
from capplan.startup import resumes_collection

# Files in a services folder that are never exports: notes, reports, the services' own TOML.
NOT_EXPORTS = (".toml", ".md", ".rst", ".pdf", ".html", ".htm", ".png", ".svg", ".py", ".sh",
               ".yaml", ".yml")
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".xlsx", ".xlsm", ".log", ".dat", ".psv")
MAX_TOML_BYTES = 10_000_000  # a fleet.toml of 10,000 services is about 2 MB
FLEET_KEYS = ("name", "file")


@dataclass(frozen=True, slots=True)
class FleetSource:
    """The services found at `path` and what the fleet knows about them before planning."""

    path: str
    form: str
    tasks: tuple[ServiceTask, ...]
    defaults: tuple[tuple[str, object], ...] = ()
    inputs: tuple[InputHash, ...] = ()
    notes: tuple[str, ...] = ()


@resumes_collection
def read_sources(path: str | Path, *, service_column: str | None = None,
                 time_column: str | None = None, sheet: str | None = None) -> FleetSource:
    """The services at `path` (a folder, a fleet.toml, or one export holding several series)."""
    p = Path(path)
    if not p.exists():
        raise CapplanError(f"{p}: no such file or folder: give a folder of exports, a fleet.toml "
                           "or one export holding every service")
    if p.is_dir():
        if service_column:
            raise CapplanError(f"--service-column {service_column}: applies to one long file, "
                               f"and {p} is a folder: drop the flag or give the file")
        return _folder(p)
    if p.suffix.lower() == ".toml":
        if service_column:
            raise CapplanError(f"--service-column {service_column}: applies to one long file, "
                               f"not to {p.name}: drop the flag or give the file")
        return _fleet_toml(p)
    if service_column:
        from capplan.fleet.split import split_long

        return _from_split(p, "long file", split_long(p, service_column))
    return _multi_series(p, time_column=time_column, sheet=sheet)


def service_name(path: Path) -> str:
    """A service's name from its export's file name: `checkout.csv.gz` -> `checkout`."""
    name = path.name
    if name.lower().endswith(".gz"):
        name = name[:-3]
    low = name.lower()
    for suffix in EXPORT_SUFFIXES:
        if low.endswith(suffix):
            return name[: -len(suffix)] or path.name
    return Path(name).stem or name


def sha256_of(path: Path) -> str | None:
    """The file's sha256, read in blocks (None when it cannot be read)."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


# ---- a folder ---------------------------------------------------------------------------------

def _folder(folder: Path) -> FleetSource:
    try:
        entries = sorted(folder.iterdir(), key=lambda q: q.name)
    except OSError as exc:
        raise CapplanError(f"{folder}: cannot list the folder ({exc.strerror}): check its "
                           "permissions") from exc
    files = [e for e in entries if e.is_file() and not e.name.startswith(".")]
    tomls = {q.stem: q for q in files if q.suffix.lower() == ".toml"}
    exports = [q for q in files if q.suffix.lower() not in NOT_EXPORTS]
    notes = []
    skipped = [q.name for q in files if q.suffix.lower() in NOT_EXPORTS and
               q.suffix.lower() != ".toml"]
    if skipped:
        notes.append(f"not exports, skipped: {_names(skipped)}")
    if not exports:
        raise CapplanError(f"{folder}: holds no export (CSV, TSV, JSON, Excel, access log): put "
                           "one file per service in it, with its <name>.toml beside it")
    by_name: dict[str, list[Path]] = {}
    for q in exports:
        by_name.setdefault(service_name(q), []).append(q)
    tasks = []
    for name, paths in sorted(by_name.items()):
        if len(paths) > 1:
            notes.append(f"{_names([q.name for q in paths])} share the name {name!r}: each is "
                         "a service named by its whole file name")
        for q in paths:
            own = tomls.get(name) if len(paths) == 1 else None
            tasks.append(ServiceTask(name=name if len(paths) == 1 else q.name, path=str(q),
                                     config=str(own) if own else None))
    used = {Path(t.config).stem for t in tasks if t.config}
    lonely = sorted(n + ".toml" for n in tomls if n not in used)
    if lonely:
        notes.append(f"service files with no export beside them, unused: {_names(lonely)}")
    return FleetSource(str(folder), "folder", tuple(sorted(tasks, key=lambda t: t.name)),
                       notes=tuple(notes))


def _names(names: list[str], limit: int = 8) -> str:
    return name_list(names, limit=limit)


# ---- fleet.toml -------------------------------------------------------------------------------

def _fleet_toml(path: Path) -> FleetSource:
    raw = _load_toml(path)
    unknown = [k for k in raw if k not in ("service", "defaults")]
    if unknown:
        raise CapplanError(f"{path}: unknown top-level key {unknown[0]!r}: a fleet file holds "
                           "[defaults] and [[service]] tables (name, file and the service-file "
                           "keys)")
    services = raw.get("service")
    if not isinstance(services, list) or not services or \
            not all(isinstance(s, dict) for s in services):
        raise CapplanError(f"{path}: no [[service]] tables: add one per service with name = "
                           "\"...\" and file = \"its export\"")
    defaults_raw = raw.get("defaults", {})
    if not isinstance(defaults_raw, dict):
        raise CapplanError(f"{path}: defaults must be a table ([defaults])")
    defaults = check_facts(path, defaults_raw, "[defaults] ")
    tasks, seen = [], {}
    for i, table in enumerate(services, start=1):
        where = f"[[service]] {i}"
        file = table.get("file")
        name = table.get("name")
        if name is not None and not isinstance(name, str) or name == "":
            raise CapplanError(f"{path}: {where}: name = {name!r} should be text (in quotes)")
        if not isinstance(file, str) or not file:
            raise CapplanError(f"{path}: {where}{f' ({name})' if name else ''} has no file = "
                               "\"...\": name the service's export (relative to the fleet file)")
        export = Path(file) if Path(file).is_absolute() else path.parent / file
        name = name or service_name(export)
        if name in seen:
            raise CapplanError(f"{path}: two services named {name!r} ([[service]] {seen[name]} "
                               f"and {i}): give each a unique name")
        seen[name] = i
        facts_raw = {k: v for k, v in table.items() if k not in FLEET_KEYS}
        try:
            facts = check_facts(path, facts_raw, f"{where} ({name}) ")
            problem = None
        except CapplanError as exc:  # one service's table: that service fails, not the fleet
            facts, problem = {}, str(exc)
        tasks.append(ServiceTask(name=name, path=str(export), series=facts.get("series"),
                                 facts=tuple(sorted(facts.items())), problem=problem))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return FleetSource(str(path), "fleet.toml", tuple(sorted(tasks, key=lambda t: t.name)),
                       defaults=tuple(sorted(defaults.items())),
                       inputs=(InputHash(str(path), sha, "fleet file"),))


def _load_toml(path: Path) -> dict:
    from capplan.config import load_toml

    return load_toml(path, label=str(path), max_bytes=MAX_TOML_BYTES,
                     holds="a fleet file lists services and their facts, not data")


def check_facts(path: Path, table: dict, where: str) -> dict:
    """A fleet.toml table as flat service-file keys, typed and checked by the same rules as a
    service file's (`capplan.config`, `capplan.validation`); messages name the file, the table
    and the key. Tables only group keys. Relative paths are relative to the fleet file."""
    import difflib

    from capplan.config import KEYS, MAX_DEPTH, _typed
    from capplan.validation import check_settings

    flat: dict = {}
    keys: dict = {}

    def walk(node: dict, prefix: str, depth: int) -> None:
        for key, value in node.items():
            name = key.replace("-", "_")
            if isinstance(value, dict):
                if depth >= MAX_DEPTH:
                    raise CapplanError(f"{path}: {where}{prefix}{key[:20]}: tables nested more "
                                       f"than {MAX_DEPTH} deep: flatten them")
                walk(value, f"{prefix}{key}.", depth + 1)
                continue
            if name not in KEYS:
                close = difflib.get_close_matches(name, [*KEYS, *FLEET_KEYS], n=1)
                hint = (f"did you mean {close[0]!r}?" if close else
                        f"known keys: {name_list(['name', 'file', *sorted(KEYS)], limit=8)}")
                raise CapplanError(f"{path}: {where}unknown key {prefix}{key[:60]!r}: {hint}")
            if name in flat:
                raise CapplanError(f"{path}: {where}{name} is set twice ({keys[name]} and "
                                   f"{prefix}{key}): keep one")
            flat[name] = _typed(name, value, f"{path}: {where}{prefix}{key} =")
            keys[name] = f"{prefix}{key}"

    walk(table, "", 0)
    check_settings(flat, where=lambda k: f"{path}: {where}{keys[k]} =")
    if "events" in flat:
        flat["events"] = tuple(flat["events"])
    for key in ("load_test", "fleet_usl", "events_file"):
        if key in flat and not Path(flat[key]).is_absolute():
            flat[key] = str(path.parent / flat[key])
    return flat


# ---- one export holding every service ---------------------------------------------------------

def _multi_series(path: Path, *, time_column: str | None, sheet: str | None) -> FleetSource:
    from capplan.fleet.split import is_json, split_json

    json_export = is_json(path)
    if json_export:
        split = split_json(path)
        if split is not None:
            return _from_split(path, "multi-series file", split)
    try:
        names = series_names(path, time_column=time_column, sheet=sheet)
        if json_export:  # several statistics of one metric are one series: the reader's choice
            from capplan.ingest.series import one_statistic

            names = one_statistic(names)[0]
    except CapplanError:
        if json_export:
            raise  # JSON of a shape capplan does not read: say so before any work
        names = []  # not a table of series (an access log, ...): one service; its read says why
    if len(names) <= 1:
        tasks = (ServiceTask(name=service_name(path), path=str(path)),)
    else:
        shown = names
        if json_export:  # label sets: named by the labels that tell them apart
            from capplan.ingest.series import short_names

            shown = display_names(short_names(names))
        tasks = tuple(ServiceTask(name=d, path=str(path), series=n)
                      for d, n in zip(shown, names))
        tasks = tuple(sorted(_unique(tasks), key=lambda t: t.name))
    return FleetSource(str(path), "multi-series file", tasks)


def series_names(path: Path, *, time_column: str | None = None,
                 sheet: str | None = None) -> list[str]:
    """The series a delimited, Excel or cloud monitoring JSON export holds, each a name
    `read_traffic(series=)` takes back exactly (the reader's own `list_series`)."""
    from capplan.ingest import list_series

    return list(list_series(path, time_column=time_column, sheet=sheet))


def _from_split(path: Path, form: str, split) -> FleetSource:
    """Tasks from a split file: (parts, notes), a part being (label, payload, suffix, line map)
    per series."""
    parts, notes = split
    sha = sha256_of(path)
    labels = [p[0] for p in parts]
    names = display_names(labels)
    tasks = [ServiceTask(name=n, path=str(path), series=label, payload=payload,
                         payload_suffix=suffix, line_map=lines, sha256=sha)
             for n, (label, payload, suffix, lines) in zip(names, parts)]
    if not tasks:
        raise CapplanError(f"{path}: holds no series: export a time range with data")
    return FleetSource(str(path), form, tuple(sorted(_unique(tasks), key=lambda t: t.name)),
                       notes=tuple(notes))


_LABEL = re.compile(r'^\{(\w+)="((?:[^"\\]|\\.)*)"\}$')


def display_names(labels: list[str]) -> list[str]:
    """Service names from series labels: `{service="checkout"}` is `checkout` when every label set
    is the same single label; otherwise the label text itself."""
    parsed = [_LABEL.match(lab) for lab in labels]
    if labels and all(parsed) and len({m.group(1) for m in parsed}) == 1:
        return [m.group(2) for m in parsed]
    return list(labels)


def _unique(tasks):
    """Make names unique (`name`, `name (2)`, ...) in the given order."""
    seen: dict[str, int] = {}
    out = []
    for t in tasks:
        n = seen.get(t.name, 0) + 1
        seen[t.name] = n
        if n > 1:
            from dataclasses import replace

            t = replace(t, name=f"{t.name} ({n})")
        out.append(t)
    return out
