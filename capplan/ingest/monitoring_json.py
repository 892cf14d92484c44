"""JSON from monitoring APIs: Prometheus query_range, Datadog timeseries query."""

from __future__ import annotations

from pathlib import Path

from capplan.errors import CapplanError


def _json_frame(path: Path, text: str, series: str | None):
    """A (timestamp, value) frame from Prometheus' query_range or Datadog's query JSON."""
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
    if series is None and len(found) > 1:
        raise CapplanError(f"{path}: holds {len(found)} series ({', '.join(list(found)[:6])}): "
                           "choose one with --series NAME")
    if series is not None and series not in found:
        raise CapplanError(f"{path}: no series {series!r}; the series are "
                           f"{', '.join(list(found)[:6])}")
    points = found[series] if series is not None else next(iter(found.values()))
    frame = pd.DataFrame({"timestamp": [p[0] for p in points],
                          "value": [None if p[1] is None else str(p[1]) for p in points]})
    return frame, kind
