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
del.removed { color: #b00020; background: #e8e8e8; text-decoration: line-through; }
"""

# Renders every <div class="chart" data-spec="ID"> with its spec from the JSON block; opens
# the <details> an #anchor link (or a chart mark whose datum has an "anchor") points to.
# Without scripts the links are plain #anchor links.
EMBED = """
(function () {
  function openAnchor(id) {
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === "DETAILS") { el.open = true; }
    return el;
  }
  function fragment(text) {
    try { return decodeURIComponent(text.slice(1)); } catch (e) { return text.slice(1); }
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    if (link) { openAnchor(fragment(link.getAttribute("href"))); }
  });
  window.addEventListener("hashchange", function () { openAnchor(fragment(location.hash)); });
  if (location.hash) { openAnchor(fragment(location.hash)); }
  var specs = JSON.parse(document.getElementById("curate-specs").textContent);
  document.querySelectorAll("div.chart[data-spec]").forEach(function (el) {
    var spec = specs[el.getAttribute("data-spec")];
    if (!spec) { return; }
    vegaEmbed(el, spec, {mode: "vega-lite", renderer: "svg", actions: false}).then(function (result) {
      result.view.addEventListener("click", function (event, item) {
        var id = item && item.datum ? item.datum.anchor : null;
        var target = openAnchor(id);
        if (target) { location.hash = id; target.scrollIntoView(); }
      });
    });
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


class Html(str):
    """Markup already built from escaped parts (:func:`esc`): :func:`table` puts it in a cell as
    it is; every other value is escaped."""


def link(anchor: str, text: Any) -> Html:
    """An ``#anchor`` link (a plain fragment link; the page's script also opens a
    ``<details>`` target) with ``text`` escaped."""
    return Html(f'<a class="reason" href="#{esc(anchor)}">{esc(text)}</a>')


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int) else esc(value)


def table(header: list[str], rows: list[list[Any]], numeric: set[int] | None = None) -> str:
    """An HTML table; every cell escaped (an :class:`Html` cell is put in as it is), columns in
    ``numeric`` right-aligned."""
    numeric = numeric or set()
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{esc(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{_number(c)}</td>' if i in numeric
                         else f"<td>{c if isinstance(c, Html) else esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def chart(spec_id: str) -> str:
    """The placeholder that the inline script renders the spec ``spec_id`` into."""
    return f'<div class="chart" data-spec="{esc(spec_id)}"></div>'


def _removed_legend(view: dict[str, Any]) -> str:
    """What the struck-through lines of a document are (escaped)."""
    parts = []
    for s in view["stages"]:
        part = f"{s['removed']:,} removed by {esc(s['stage'])}"
        if s["removed"] > s["recorded"]:
            part += f" ({s['removed'] - s['recorded']:,} not recorded, not shown)"
        parts.append(part)
    note = "Lines struck through were removed: " + "; ".join(parts) + "."
    if view.get("hidden"):
        note += f" {view['hidden']:,} more removed lines not shown here (display limit)."
    if not view["in_place"]:
        note += " Their place in the text is not known: they are listed below it."
    return f'<div class="note">{note}</div>'


def _segments(segments: list[dict[str, Any]]) -> str:
    """Lines joined by newlines, each escaped; removed ones struck through."""
    return "\n".join(
        esc(s["text"]) if s.get("removed_by") is None
        else f'<del class="removed" title="removed by {esc(s["removed_by"])}">{esc(s["text"])}</del>'
        for s in segments)


def document(doc: dict[str, Any]) -> str:
    """One example document: its id, url (as text, not a link) and text, all escaped.  With
    ``removed_lines`` (see :func:`curate.report.data._documents`), the lines that line-level
    stages removed are struck through in place (or listed below the text when their place
    is not known), with a note saying which stage removed how many."""
    meta = " | ".join(f"{esc(k)}: {esc(v)}" for k, v in doc.items()
                      if k not in ("text", "removed_lines") and v is not None)
    view = doc.get("removed_lines")
    if not view:
        return f'<div class="example"><div class="note">{meta}</div><pre class="doc">{esc(doc.get("text"))}</pre></div>'
    body = _segments(view["segments"]) + ("..." if view.get("cut") else "")
    unplaced = f'<pre class="doc">{_segments(view["unplaced"])}</pre>' if view.get("unplaced") else ""
    return (f'<div class="example"><div class="note">{meta}</div>{_removed_legend(view)}'
            f'<pre class="doc">{body}</pre>{unplaced}</div>')


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
