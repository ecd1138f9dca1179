"""The report as one HTML page: styles and scripts inline, every string escaped.

Text from the data goes into the page through :func:`html.escape` only; the chart specs
and the report's data go in as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&`` and the JavaScript line separators written as ``\\uXXXX`` escapes
(:func:`script_json`), so no document can close the script element or open a tag.
"""

from __future__ import annotations

import html
import json
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; } h3 { font-size: 1.05em; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { border: 1px solid #ddd; padding: 3px 8px; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 1.5em; } .chart { min-height: 60px; }
pre.doc { white-space: pre-wrap; background: #f6f6f6; padding: 0.6em; max-height: 18em; overflow: auto; }
.note { color: #666; font-size: 0.9em; }
"""

# Renders every <div class="chart" data-spec="ID"> with its spec from the JSON block.
EMBED = """
(function () {
  var specs = JSON.parse(document.getElementById("curate-specs").textContent);
  document.querySelectorAll("div.chart[data-spec]").forEach(function (el) {
    var spec = specs[el.getAttribute("data-spec")];
    if (spec) { vegaEmbed(el, spec, {mode: "vega-lite", renderer: "svg", actions: false}); }
  });
})();
"""


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&``,
    U+2028 and U+2029 written as ``\\uXXXX`` escapes."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def script_code(code: str) -> str:
    """JavaScript ``code`` safe to inline in a ``<script>`` element (``</script`` and ``<!--``
    broken up; both occur in JavaScript only inside strings and comments)."""
    return code.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")


def esc(value: Any) -> str:
    """``value`` as text, HTML-escaped (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """An HTML table; every cell escaped, columns in ``numeric`` right-aligned."""
    numeric = numeric or set()
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{_number(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def chart(spec_id: str) -> str:
    """The placeholder that the inline script renders the spec ``spec_id`` into."""
    return f'<div class="chart" data-spec="{esc(spec_id)}"></div>'


def document(doc: dict[str, Any]) -> str:
    """One example document: its id, url (as text, not a link) and text, all escaped."""
    meta = " | ".join(f"{esc(k)}: {esc(v)}" for k, v in doc.items() if k != "text" and v is not None)
    return f'<div class="example"><div class="note">{meta}</div><pre class="doc">{esc(doc.get("text"))}</pre></div>'


def page(title: str, sections: list[str], specs: dict[str, Any], data: dict[str, Any], bundle: str) -> str:
    """The whole HTML page: ``sections`` (HTML built with :func:`esc`) in order, ``specs``
    and ``data`` as safe JSON blocks, and the vega-embed ``bundle`` inlined."""
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head><body>",
        *sections,
        f'<script type="application/json" id="curate-report-data">{script_json(data)}</script>',
        f'<script type="application/json" id="curate-specs">{script_json(specs)}</script>',
        f"<script>{script_code(bundle)}</script>",
        f"<script>{EMBED}</script>",
        "</body></html>",
    ])
