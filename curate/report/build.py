"""Assemble the report: :func:`build_report` (the HTML) and :func:`write_report` (to a file)."""

from __future__ import annotations

from typing import Any

from curate.output import OutputLayout
from curate.report.charts import funnel_chart, histogram_chart, languages_chart, whatif_chart
from curate.report.data import DEFAULT_MAX_ROWS, _supported, report_data
from curate.report.dedup_section import dedup_data, dedup_section
from curate.report.diff_section import diff_section
from curate.report.page import chart, document, esc, page, table
from curate.storage import filesystem, write_text_atomic


def javascript_bundle() -> str:
    """vega, vega-lite and vega-embed as one script (from vl-convert-python, offline)."""
    try:
        import vl_convert
    except ImportError as exc:  # the report extra is not installed
        raise ImportError("curate report needs vl-convert-python: pip install 'curate[report]'", name="vl_convert") from exc
    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub omits the default
    return bundle


def _funnel_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    specs["funnel"] = funnel_chart(data["funnel"])
    rows = [[s["stage"], s["rows_in"], s["rows_out"], sum(s["dropped"].values()),
             ", ".join(f"{r}: {n:,}" for r, n in s["dropped"].items()), s["seconds"]] for s in data["funnel"]]
    return ("<h2>Funnel</h2><p class=note>From stats.json (exact counts).</p>"
            + table(["stage", "rows in", "rows out", "dropped", "dropped by reason", "seconds"], rows, {1, 2, 3, 5})
            + chart("funnel"))


def _scores_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    parts = ["<h2>Score distributions</h2>",
             "<p class=note>Kept (data/) and dropped (rejects/) documents of the sample; a dashed rule is a "
             "threshold of the pipeline as it ran, where the setting is known to bound that column.</p>",
             '<div class="grid">']
    whatifs = []
    for i, (column, entry) in enumerate(data["scores"].items()):
        specs[f"score-{i}"] = histogram_chart(column, entry["histogram"], entry["thresholds"])
        parts.append(f"<div><h3>{esc(column)}</h3>{chart(f'score-{i}')}</div>")
        for j, w in enumerate(entry["whatif"]):
            specs[f"whatif-{i}-{j}"] = whatif_chart(column, w)
            now = f"{w['value']:g}"
            whatifs.append(f"<div><h3>{esc(w['stage'])}.{esc(w['setting'])} "
                           f"(now {esc(now)})</h3>{chart(f'whatif-{i}-{j}')}</div>")
    parts.append("</div>")
    if whatifs:
        parts += ["<h2>What if a threshold moved</h2>",
                  "<p class=note>The fraction of the documents that reached the stage (kept, plus those dropped "
                  "by it or a later stage) whose score passes the threshold, from the sample weighted by folder; "
                  "other rules of the stage are not counted.</p>",
                  '<div class="grid">', *whatifs, "</div>"]
    return "".join(parts)


def _documents_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    specs["languages"] = languages_chart(data["languages"])
    specs["text-length"] = histogram_chart("characters per document", data["text_length"])
    parts = ["<h2>Languages and lengths</h2><div class=grid>",
             f"<div><h3>Languages</h3>{chart('languages')}</div>",
             f"<div><h3>Text length</h3>{chart('text-length')}</div></div>",
             "<h2>Examples</h2><h3>Kept</h3>"]
    parts += [document(d) for d in data["kept_examples"]]
    for group in data["dropped_examples"]:
        parts.append(f"<h3>Dropped by {esc(group['stage'])}: {esc(group['reason'])}</h3>")
        parts += [document(d) for d in group["documents"]]
    return "".join(parts)


def build_report(directory: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3,
                 diff_with: str | None = None) -> str:
    """The report of the output ``directory`` of ``curate run`` as one HTML page (a string);
    a tokenized or mixture output gets :func:`curate.report.tokenized.build_tokenized_report`."""
    from curate.report.tokenized import build_tokenized_report, read_tokenized_manifest

    tokenized = read_tokenized_manifest(directory)
    if tokenized is not None:
        return build_tokenized_report(directory, javascript_bundle(), tokenized, samples=samples)
    data = report_data(directory, max_rows=max_rows, samples=samples)
    specs: dict[str, Any] = {}
    sample = data["sample"]
    header = (f"<h1>curate report: {esc(data['pipeline'])}</h1>"
              f"<p>{esc(data['directory'])}: {data['documents'].get('kept', 0):,} kept, "
              f"{data['documents'].get('rejected', 0):,} rejected.</p>"
              f"<p class=note>Charts other than the funnel use a sample of at most {sample['max_rows']:,} rows per "
              f"folder: {sample['kept']['used']:,} of {sample['kept']['total']:,} kept, "
              f"{sample['dropped']['used']:,} of {sample['dropped']['total']:,} dropped.</p>")
    sections = [header, _funnel_section(data, specs), _scores_section(data, specs), _documents_section(data, specs)]
    stats, manifest = _supported(OutputLayout(directory), directory)
    sections.append(dedup_section(dedup_data(directory, stats, manifest, max_rows, samples), specs))
    if diff_with is not None:  # with --diff: A is this output, B the other run
        from curate.diff import diff_runs

        sections.append(diff_section(diff_runs(directory, diff_with, samples=samples), specs))
    embedded = {k: data[k] for k in ("directory", "pipeline", "documents", "funnel", "sample")}
    return page(f"curate report: {data['pipeline']}", sections, specs, embedded, javascript_bundle())


def write_report(directory: str, output: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3,
                 diff_with: str | None = None) -> int:
    """Write the report of ``directory`` to ``output`` (a local path or URL), compared with the
    run ``diff_with`` when given; returns its size in bytes."""
    html = build_report(directory, max_rows=max_rows, samples=samples, diff_with=diff_with)
    fs, path = filesystem(output)
    write_text_atomic(fs, path, html, makedirs=True)  # a killed run leaves no half-written page
    return len(html.encode("utf-8"))
