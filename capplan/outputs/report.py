"""Write a run's files as one set: plan.json always; the PDF, workbook and HTML beside it."""

from __future__ import annotations

from pathlib import Path

from capplan.outputs import json as jout
from capplan.outputs.atomic import write_set


def plan_json(result) -> dict:
    extra = {}
    if result.usl is not None:
        from capplan.outputs.usl_json import usl_doc

        extra["usl"] = usl_doc(result.usl)
    if result.fleet_usl is not None:
        from capplan.outputs.usl_json import usl_doc

        extra["fleet_usl"] = usl_doc(result.fleet_usl)
    if result.queueing is not None:
        from capplan.outputs.usl_json import queueing_doc

        extra["queueing"] = queueing_doc(result.queueing)
    return jout.plan_doc(result.plan, traffic=result.traffic, load=result.load, extra=extra)


def write_outputs(result, settings, out: Path, *, title: str, reports: bool, argv) -> list[Path]:
    doc = plan_json(result)
    files: dict = {"plan.json": jout.dumps(doc)}
    if reports:
        files.update(report_files(result, settings, doc, title=title, argv=argv))
    return write_set(out, files)


def report_files(result, settings, doc: dict, *, title: str, argv) -> dict:
    """The PDF, workbook and HTML (issue 6); empty until those writers exist."""
    return {}


def write_usl_outputs(result, out: Path, latency_slo: str | None) -> list[Path]:
    from capplan.outputs.usl_json import usl_doc

    return write_set(out, {"usl.json": jout.dumps(usl_doc(result, latency_slo))})
