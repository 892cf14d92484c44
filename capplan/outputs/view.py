"""What page 1 of the PDF (and the top of plan.html) says, as text, from the plan's JSON document.

Pure, and computes no number of its own: every figure is one plan.json holds, formatted by `fmt`,
so the PDF, plan.html and the terminal cannot disagree. The sentences are the ones a reviewer asks
for: when today's fleet runs out, what to order by when (and how late an order already is), which
limit binds, how hot the fleet runs normally and after the loss it is sized for, what it costs.
"""

from __future__ import annotations

from capplan.outputs import fmt

SCENARIOS = (("nominal", "Nominal"), ("worst_case", "Worst case"))


def is_sized(doc: dict) -> bool:
    return doc["capacity"].get("per_instance_limit") is not None or bool(doc.get("fleet_usl"))


def cells_text(row: dict | None) -> str:
    """'3 cells × 19' for a layout in cells, else ''."""
    if not row or not row.get("cells"):
        return ""
    return f"{row['cells']} cells × {row['cell_size']}"


def instances_text(row: dict | None) -> str:
    """A month's (or an event's) instances: one fleet, or 'cells x size = total'."""
    if not row or row.get("instances") is None:
        return "–"
    if row.get("cells"):
        return f"{row['instances']:,} ({row['cells']} cells × {row['cell_size']})"
    return f"{row['instances']:,}"


def order_text(order_by: str | None, late_days: int | None, in_service_by: str | None = None
               ) -> str:
    """'9 Mar 2015', or 'now: 18 days late' when the order is already late (never a past date
    as advice)."""
    if not order_by:
        return "–"
    if late_days:
        return f"now: {fmt.days(late_days)} late"
    return fmt.day(order_by)


def in_service_text(in_service_by: str | None, start: str) -> str:
    if not in_service_by:
        return "–"
    if in_service_by < start[:10]:
        return f"{fmt.day(in_service_by)} (passed)"
    return fmt.day(in_service_by)


def scenario_sentence(doc: dict, key: str) -> str:
    """What a scenario means for today's fleet, in a sentence (the numbers are in the table)."""
    s, cap = doc["scenarios"][key], doc["capacity"]
    current, lead = cap.get("current_instances"), doc.get("lead_time_days") or 0
    months = s["months"]
    if key == "worst_case" and s["label"] != "worst case":
        return "the same path, so the same plan as the nominal case."
    if not is_sized(doc):
        return (f"Peak {fmt.rate(months[-1]['peak'])} {fmt.unit(doc)} at month {len(months)}; no capacity "
                "given, so no instances.")
    if current is None:
        return ("No fleet today given: give --instances for a runway and order-by dates.")
    if not s.get("runway"):
        return (f"Today's {fmt.plural(current, 'instance')} "
                f"{fmt.verb(current, 'carry', 'carries')} the whole {doc['months']}-month horizon: "
                "nothing to order.")
    cause = f" at the {s['runway_event']} event" if s.get("runway_event") else ""
    if s["runway"] <= doc["start"][:10]:
        first = (f"Today's {fmt.plural(current, 'instance')} {fmt.verb(current, 'are', 'is')} "
                 f"short now{cause} (the planning peak needs "
                 f"{cap.get('instances_needed_today')})")
    else:
        first = (f"Today's {fmt.plural(current, 'instance')} {fmt.verb(current, 'run', 'runs')} "
                 f"out on {fmt.day(s['runway'])}{cause} "
                 f"({s['runway_months']:.1f} months)")
    service = in_service_text(s.get("in_service_by"), doc["start"])
    late = s.get("order_late_days")
    if late:
        return (f"{first}: order now, {fmt.days(late)} late (in service by {service}, "
                f"{fmt.days(lead)} lead time).")
    return (f"{first}: in service by {service}, order by {fmt.day(s['order_by'])} "
            f"({fmt.days(lead)} lead time).")


def scenario_rows(doc: dict) -> list[dict]:
    cur = doc.get("currency")
    cents = fmt.plan_cents(doc)
    rows = []
    for key, _ in SCENARIOS:
        s = doc["scenarios"][key]
        months = s["months"]
        top = max(months, key=lambda r: (r["instances"] or 0)) if is_sized(doc) else None
        rows.append({
            "key": key, "label": s["label"] or key.replace("_", " "),
            "name": key.replace("_", " "),
            "label_note": (s["label"] or "")[len(key.replace("_", " ")):].strip(),
            "month1": fmt.count(months[0]["instances"], "–"),
            "month1_cells": cells_text(months[0]),
            "horizon": fmt.count(months[-1]["instances"], "–"),
            "horizon_cells": cells_text(months[-1]),
            "horizon_count": fmt.count(months[-1]["instances"], "–"),
            "most_count": fmt.count(top["instances"], "–") if top else "–",
            "peak_horizon": fmt.rate(months[-1]["peak"]),
            "most": fmt.count(top["instances"], "–") if top else "–",
            "most_cells": cells_text(top),
            "most_month": top["month"] if top else None,
            "runway": fmt.day(s.get("runway"), "beyond the horizon") if
            doc["capacity"].get("current_instances") is not None else "–",
            "in_service_by": in_service_text(s.get("in_service_by"), doc["start"]),
            "order_by": order_text(s.get("order_by"), s.get("order_late_days")),
            "late": s.get("order_late_days") or 0,
            "total_cost": fmt.money(s.get("total_cost"), cur, "–", cents=cents),
            "sentence": scenario_sentence(doc, key),
        })
    return rows


def event_rows(doc: dict) -> list[dict]:
    out = []
    for e in doc.get("events", []):
        base = {"name": e["name"], "window": f"{fmt.moment(e['start'])}, {e['duration_hours']:g} h",
                "multiplier": f"×{e['multiplier']:g}"}
        if not e.get("scenarios"):
            out.append({**base, "scenario": "–", "outside": True})
            continue
        for key, label in SCENARIOS:
            p = e["scenarios"].get(key)
            if p is None:
                continue
            out.append({**base, "scenario": label.lower(), "outside": False,
                        "peak": fmt.rate(p["peak"]), "path_peak": fmt.rate(p["path_peak"]),
                        "instances": fmt.count(p.get("instances"), "–"),
                        "cells": cells_text(p), "add": fmt.count(p.get("add"), "–"),
                        "in_service_by": in_service_text(p.get("in_service_by"), doc["start"]),
                        "order_by": order_text(p.get("order_by"), p.get("order_late_days"))
                        if p.get("order_by") else "today's fleet carries it"})
    return out


def limits_text(doc: dict) -> list[str]:
    """Which per-instance limit binds, with both limits."""
    cap, unit = doc["capacity"], fmt.unit(doc)
    lim = cap.get("limits")
    if doc.get("fleet_usl"):
        return [f"Scale-out fit: a fleet of N carries target × X(N) "
                f"({fmt.pct(cap['target_utilization'])} of the fitted throughput); no fleet or "
                f"cell passes N* ({fmt.plural(cap.get('max_fleet_instances'), 'instance')})."]
    if not lim:
        return []
    util = lim["utilization"]
    util_txt = (f"utilization target {fmt.pct(util['target_utilization'])} of "
                f"{fmt.rate(util['per_instance_limit'])} = {fmt.rate(util['rate'])} {unit} an "
                "instance")
    lat = lim.get("latency_slo")
    if lat is None:
        return [f"Binding limit: the {util_txt}. No latency objective given (--latency-slo)."]
    lat_txt = (f"latency SLO: p99 ≤ {fmt.seconds(lat['slo_seconds'])} holds up to "
               f"{fmt.rate(lat['rate'])} {unit} an instance ({lat['method']}: "
               f"{lat['statistic']})")
    if lim.get("recommended_rate_limit") is not None:
        lat_txt += (f", {fmt.rate(lim['recommended_rate_limit'])} less the rate limit's "
                    f"{fmt.pct(lim['margin'])} margin")
    if lim["binding"] == "latency_slo":
        lines = [f"Binding limit: the {lat_txt}, the rate the fleet is sized to; the {util_txt} "
                 "would allow more."]
    else:
        lines = [f"Binding limit: the {util_txt}; the {lat_txt}."]
    if lim.get("recommended_rate_limit") is not None:
        lines.append(f"Recommended rate limit: {fmt.rate(lim['recommended_rate_limit'])} {unit} "
                     f"an instance (the latency limit less a {fmt.pct(lim['margin'])} margin).")
    return lines


def utilization_text(doc: dict) -> str | None:
    cap = doc["capacity"]
    if cap.get("utilization_normal") is None:
        return None
    text = (f"Sized for today's planning peak ({fmt.rate(doc['planning_peak'])} {fmt.unit(doc)}: "
            f"{fmt.plural(cap.get('instances_needed_today'), 'instance')}): "
            f"{fmt.pct(cap['utilization_normal'])} utilization in normal running")
    if cap.get("utilization_after_loss") is not None:
        text += (f", {fmt.pct(cap['utilization_after_loss'])} after losing {cap['loss']} "
                 f"(allowed: {fmt.pct(cap['degraded_utilization'])})")
    else:
        text += "; no zone or spare loss planned for (--zones, --spare)"
    return text + "."


def cost_text(doc: dict) -> str | None:
    if doc.get("cost_per_instance") is None:
        return None
    cur = doc.get("currency")
    nom, wc = doc["scenarios"]["nominal"], doc["scenarios"]["worst_case"]
    label = "" if cur else " (no currency given: --currency)"
    cents = fmt.plan_cents(doc)
    return (f"Cost: {fmt.money(doc['cost_per_instance'], cur, cents=cents)} an instance a month"
            f"{label}; over {doc['months']} months "
            f"{fmt.money(nom.get('total_cost'), cur, cents=cents)} nominal, "
            f"{fmt.money(wc.get('total_cost'), cur, cents=cents)} worst case.")


def _per_second(unit: str) -> str:
    from capplan.units import rate_unit

    return rate_unit(unit).per_second


def assumptions(doc: dict) -> list[str]:
    cap, g, unit = doc["capacity"], doc["growth"], fmt.unit(doc)
    out = [f"Per-instance limit: {cap['limit_source']}."]
    out.append(f"Redundancy: {cap['redundancy']}.")
    pp = (doc.get("load") or {}).get("planning_peak") or {}
    out.append(f"Planning peak: {fmt.rate(doc['planning_peak'])} {unit}"
               + (f", the {pp['method']}." if pp.get("method") else " (given with --peak)."))
    growth = f"Growth: {g['model']}"
    if g.get("monthly_growth") is not None:
        growth += f", {fmt.signed_pct(g['monthly_growth'])} a month nominal"
    out.append(f"{growth}; {g['chosen_because']}.")
    wc = doc["scenarios"]["worst_case"]
    detail = "; ".join(a for a in wc.get("assumptions") or []
                       if not a.startswith("the worst case equals the nominal"))
    if wc["label"] == "worst case":
        out.append(f"Worst case: {detail}." if detail else "Worst case: as the nominal case.")
    else:
        out.append(f"{wc['label'][0].upper()}{wc['label'][1:]}" + (f": {detail}." if detail else "."))
    if doc.get("events"):
        out.append(f"Events: a step of the multiplier × the path's highest value over the "
                   f"window, in service {fmt.days(doc.get('prescale_days'))} before it starts.")
    out.append(f"Lead time: {fmt.days(doc.get('lead_time_days') or 0)} from order to service.")
    out += [_sentence(a) for a in cap.get("assumptions") or []]
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def month_rows(doc: dict) -> list[dict]:
    cents = fmt.plan_cents(doc)
    nom, wc = doc["scenarios"]["nominal"]["months"], doc["scenarios"]["worst_case"]["months"]
    rows = []
    for n, w in zip(nom, wc):
        alt = n.get("cell_alternative") or w.get("cell_alternative")
        rows.append({
            "month": n["month"], "ends": fmt.day(n["date"]),
            "event": ", ".join(sorted({x for x in (n.get("event"), w.get("event")) if x})),
            "nominal": _side(n, cents), "worst_case": _side(w, cents),
            "alternative": (f"{alt['cells']} cells × {alt['cell_size']} = {alt['instances']} "
                            f"(−{alt['saving']:.0%})") if alt else None,
        })
    return rows


def _side(r: dict, cents: bool) -> dict:
    return {"peak": fmt.rate(r["peak"]), "instances": fmt.count(r.get("instances"), "–"),
            "cells": cells_text(r), "event": r.get("event") or "",
            "add": fmt.count(r.get("add"), "–"),
            # blank where the month orders nothing, whether it adds nothing or what it adds is
            # already on order from an earlier month (README: a cell where nothing applies is
            # blank); "–" stays for a count that is unknown (no fleet today)
            "order_by": order_text(r.get("order_by"), r.get("order_late_days"))
            if r.get("add") and r.get("order_by") else "",
            "late": bool(r.get("add") and r.get("order_by") and r.get("order_late_days")),
            "cost": fmt.money(r.get("cost"), None, "–", cents=cents)}


def page_one(doc: dict) -> dict:
    """Everything page 1 prints, as text."""
    cap = doc["capacity"]
    nom = doc["scenarios"]["nominal"]
    cur = doc.get("currency")
    return {
        "sized": is_sized(doc),
        "unit": fmt.unit(doc),
        # the load tests' own figures (usl, fleet_usl) are per second: hires/s for hires/day
        "test_unit": _per_second(fmt.unit(doc)),
        "limit_source": cap.get("limit_source"),
        "scenarios": scenario_rows(doc),
        "events": event_rows(doc),
        "limits": limits_text(doc),
        "utilization": utilization_text(doc),
        "cost": cost_text(doc),
        "cost_header": f"cost ({cur})" if cur else "cost",
        "currency": cur,
        "assumptions": assumptions(doc),
        "notes": list(doc.get("notes") or []),
        "months": month_rows(doc),
        "today": cap.get("current_instances"),
        "needed_today": cap.get("instances_needed_today"),
        "start": fmt.day(doc["start"]),
        "data_to": fmt.moment(doc["input"]["last"]) if doc.get("input") else None,
        "runway": fmt.day(nom.get("runway"), "beyond the horizon"),
        "order": order_text(nom.get("order_by"), nom.get("order_late_days")),
        "late": nom.get("order_late_days") or 0,
    }
