"""fleet.json: every service's plan (plan.json's document) or its error, the roll-up by month per
scenario, the services at risk, every input's sha256.

Written as a stream (one service a line inside `services`), so a fleet of thousands is never held
as one document in memory. The same services and flags give the same bytes whatever ran them:
nothing here depends on the executor, the order workers finished in, or the clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import BinaryIO

from capplan.fleet.model import SCENARIOS, FleetResult, ServiceResult
from capplan.outputs import json as jout
from capplan.outputs.fleet_pdf import at_risk_rows


def rollup_section(result: FleetResult) -> dict:
    out = {name: {"months": [{"month": r.month, "date": r.date, "instances": r.instances,
                              "add": r.add, "cost": r.cost, "services_sized": r.services_sized,
                              "services_costed": r.services_costed,
                              "beyond_fleet_limit": r.beyond_fleet_limit}
                             for r in result.rollup[name]]}
           for name in SCENARIOS}
    out["starts"] = (None if result.starts is None else
                     {"earliest": result.starts[0], "latest": result.starts[1]})
    out["currency"] = result.currency  # of every cost here; null when none was stated
    out["current_instances"] = sum(s.summary.current_instances or 0 for s in result.planned
                                   if s.summary.sized)
    return out


def head_doc(result: FleetResult) -> dict:
    """Everything but the services: the part people read first."""
    return {"schema": jout.SCHEMA, "capplan": jout.__version__, "kind": "fleet",
            "source": {"path": result.source, "form": result.form}, "months": result.months,
            "services_total": len(result.services), "services_planned": len(result.planned),
            "services_failed": len(result.failed),
            "rollup": rollup_section(result),
            "at_risk": [{k: a[k] for k in ("name", "scenario", "runway", "runway_months",
                                           "order_by", "order_late_days")}
                        for a in at_risk_rows(result)],
            "failed": [{"name": s.name, "error": s.error} for s in result.failed],
            "inputs": [{"path": i.path, "sha256": i.sha256, "role": i.role, "service": i.service}
                       for i in result.inputs],
            "notes": list(result.notes)}


def service_line(s: ServiceResult) -> bytes:
    """One entry of `services`: {name, source, notes, plan} or {name, source, notes, error}."""
    entry = {"name": s.name, "source": {"path": s.path, "series": s.series, "config": s.config},
             "notes": list(s.notes)}
    if not s.ok:
        entry["error"] = s.error
        return json.dumps(entry).encode("utf-8")
    head = json.dumps(entry).encode("utf-8")
    return head[:-1] + b', "plan": ' + s.plan_bytes() + b"}"


def write_to(result: FleetResult, f: BinaryIO) -> None:
    head = jout.dumps(head_doc(result)).rstrip()
    f.write(head[:-1].rstrip() + b',\n  "services": [')
    for i, s in enumerate(result.services):
        f.write(b"\n" if i == 0 else b",\n")
        f.write(service_line(s))
    f.write(b"\n  ]\n}\n")


def write(result: FleetResult, target: Path) -> None:
    """Write fleet.json at `target` (a path inside the staging folder of `atomic.write_set`)."""
    with target.open("wb") as f:
        write_to(result, f)


def dumps(result: FleetResult) -> bytes:
    """fleet.json in memory (small fleets, tests)."""
    import io

    buf = io.BytesIO()
    write_to(result, buf)
    return buf.getvalue()
