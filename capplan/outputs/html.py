"""plan.html: the same charts, interactive, in one file that works offline (plotly.js inlined)."""

from __future__ import annotations

import html as _html


def render(figs: dict, doc: dict, title: str) -> bytes:
    import plotly.io as pio

    parts = []
    first = True
    for name, fig in figs.items():
        parts.append(pio.to_html(fig, full_html=False, include_plotlyjs=True if first else False,
                                 div_id=f"chart-{name}", config={"displaylogo": False}))
        first = False
    nom, wc = doc["scenarios"]["nominal"], doc["scenarios"]["worst_case"]
    rows = "".join(
        f"<tr><td>{r['month']}</td><td>{r['date']}</td><td>{r['peak']:,.0f}</td>"
        f"<td>{'' if r['instances'] is None else r['instances']}</td><td>{w['peak']:,.0f}</td>"
        f"<td>{'' if w['instances'] is None else w['instances']}</td></tr>"
        for r, w in zip(nom["months"], wc["months"]))
    t = _html.escape(title)
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:"DejaVu Sans",Arial,sans-serif;max-width:900px;margin:2em auto;color:#111}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #999;padding:3px 8px;text-align:right}}</style>
</head><body><h1>{t}</h1>
<p>Plan from {_html.escape(doc['start'])} for {doc['months']} month(s); runway (nominal):
{_html.escape(nom['runway'] or 'beyond the horizon')}; growth model {_html.escape(doc['growth']['model'])}.</p>
<table><tr><th>month</th><th>ends</th><th>nominal peak</th><th>instances</th><th>worst-case peak</th>
<th>instances</th></tr>{rows}</table>
{''.join(parts)}
</body></html>"""
    return page.encode("utf-8")
