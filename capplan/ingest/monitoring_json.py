"""JSON from monitoring APIs: Prometheus query_range, Datadog timeseries query."""

from __future__ import annotations

from pathlib import Path

from capplan.errors import CapplanError


def _json_frame(path: Path, text: str, series: str | None = None):
    """A long (timestamp, value, series) frame from Prometheus' query_range or Datadog's query
    JSON; `series` is unused (selection happens in capplan.ingest.series)."""
    import json

    import pandas as pd

    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CapplanError(f"{path}: looks like JSON but does not parse ({exc.msg} at line "
                           f"{exc.lineno}): export it again") from exc
    found: dict[str, list] = {}
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict) and "result" in doc["data"]:
        kind = "Prometheus query_range JSON"
        if doc["data"].get("resultType") != "matrix":
            raise CapplanError(f"{path}: Prometheus result type {doc['data'].get('resultType')!r}"
                               " is not a range: export with query_range (resultType matrix)")
        for r in doc["data"]["result"]:
            labels = r.get("metric", {})
            name = "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
            found[name] = [(float(t), v) for t, v in r.get("values", [])]
    elif isinstance(doc, dict) and isinstance(doc.get("series"), list):
        kind = "Datadog query JSON"
        for r in doc["series"]:
            name = r.get("expression") or r.get("scope") or r.get("metric") or "series"
            found[str(name)] = [(float(t) / 1000.0, v) for t, v in r.get("pointlist", [])]
    else:
        raise CapplanError(f"{path}: JSON that is neither Prometheus query_range nor Datadog query "
                           "output: export CSV instead")
    if not found:
        raise CapplanError(f"{path}: the {kind} holds no series: widen the query's time range")
    # All series, long (one row per series and time): the core selects with --series and
    # combines with --aggregate (capplan.ingest.series), as for Grafana's long CSV.
    rows = [(t, None if v is None else str(v), name) for name, pts in found.items() for t, v in pts]
    frame = pd.DataFrame(rows, columns=["timestamp", "value", "series"])
    return frame, kind
