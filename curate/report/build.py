"""Assemble the report: :func:`build_report` (the HTML) and :func:`write_report` (to a file)."""

from __future__ import annotations

from typing import Any

from curate.output import OutputLayout
from curate.report.charts import (
    DROPPED_COLOR,
    KEPT_COLOR,
    funnel_chart,
    grouped_bars,
    histogram_chart,
    languages_chart,
    whatif_chart,
)
from curate.report.data import (
    DEFAULT_MAX_ROWS,
    FUNNEL_EXTRAS,
    is_tokenized_manifest,
    read_run_sample,
    reason_anchor,
    report_data,
)
from curate.report.decontam_section import decontamination_section
from curate.report.dedup_section import dedup_data, dedup_section
from curate.report.diff_section import diff_section
from curate.report.page import Html, chart, document, esc, link, page, table
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
    extras = [k for k in FUNNEL_EXTRAS if k not in data["funnel_not_recorded"]]
    rows = [[s["stage"], s["rows_in"], s["rows_out"], sum(s["dropped"].values()),
             Html(", ".join(link(reason_anchor(s["stage"], r), f"{r}: {n:,}") for r, n in s["dropped"].items())),
             *[s.get(k, "") for k in extras], s["seconds"]] for s in data["funnel"]]
    header = ["stage", "rows in", "rows out", "dropped", "dropped by reason", *[k.replace("_", " ") for k in extras],
              "seconds"]
    missing = ", ".join(k.replace("_", " ") for k in data["funnel_not_recorded"])
    note = (f" stats.json does not record {esc(missing)} per stage, so the funnel counts documents only."
            if missing else "")
    return ('<h2 id="funnel">Funnel</h2><p class=note>From stats.json (exact counts).' + note
            + " Click a reason (or its bar) for the documents dropped with it.</p>"
            + table(header, rows, {1, 2, 3, *range(5, len(header))})
            + chart("funnel"))


def _scores_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    parts = ['<h2 id="scores">Score distributions</h2>',
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
        parts += ['<h2 id="whatif">What if a threshold moved</h2>',
                  "<p class=note>From the score columns of the sample (weighted by folder), nothing re-run. "
                  "<b>This rule alone</b>: the fraction of the documents that reached the stage (kept, plus those "
                  "dropped by it or a later stage) whose score passes the threshold; other rules are not counted. "
                  "<b>Whole pipeline</b>: the fraction of all documents of the output (data/ and rejects/) that would "
                  "be kept. Only documents no other rule dropped move with the threshold: kept documents (dropped "
                  "when they would fail it) and documents the stage dropped with this rule's reason whose other "
                  "thresholded scores of the stage pass (kept when they would pass; later stages, which never saw "
                  "them, are assumed to keep them, and rules of the stage without a known threshold to pass them). "
                  "Every other document stays dropped.</p>",
                  '<div class="grid">', *whatifs, "</div>"]
    near = [(column, n) for column, entry in data["scores"].items() for n in entry.get("near_cut", [])
            if n["passes"] or n["fails"]]
    if near:
        parts += ['<h2 id="near-cut">Documents near the cut</h2>',
                  "<p class=note>Per threshold, the documents of the sample that reached its stage with the scores "
                  "nearest to it on each side (text cut short).</p>"]
        for column, n in near:
            parts.append(f"<h3>{esc(n['stage'])}.{esc(n['setting'])} = {esc(format(n['value'], 'g'))} "
                         f"({esc(n['direction'])} on {esc(column)})</h3>")
            for side in ("passes", "fails"):
                parts.append(f"<h4>{'Passes' if side == 'passes' else 'Fails'} ({len(n[side])})</h4>")
                parts += [document({"score": f"{d['score']:g}", "status": d["status"], "id": d["id"], "url": d["url"],
                                    "text": d["snippet"]}) for d in n[side]]
    return "".join(parts)


def _documents_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    specs["languages"] = languages_chart(data["languages"])
    specs["text-length"] = histogram_chart("characters per document", data["text_length"])
    parts = ['<h2 id="languages">Languages and lengths</h2><div class=grid>',
             f"<div><h3>Languages</h3>{chart('languages')}</div>",
             f"<div><h3>Text length</h3>{chart('text-length')}</div></div>",
             '<h2 id="examples">Examples</h2><h3>Kept</h3>']
    parts += [document(d) for d in data["kept_examples"]]
    parts.append("<h3>Dropped, per reason</h3>")
    groups = {(g["stage"], g["reason"]): g for g in data["dropped_examples"]}
    reasons = [(s["stage"], r, n) for s in data["funnel"] for r, n in s["dropped"].items()]
    reasons += [(stage, reason, None) for stage, reason in groups if not any(
        (stage, reason) == (s, r) for s, r, _ in reasons)]
    for stage, reason, count in reasons:
        group = groups.get((stage, reason))
        total = f" ({count:,} documents)" if count is not None else ""
        parts.append(f'<details id="{esc(reason_anchor(stage, reason))}" class="reason">'
                     f"<summary>Dropped by {esc(stage)}: {esc(reason)}{total}</summary>")
        if group and group["documents"]:
            parts += [document(d) for d in group["documents"]]
        else:
            parts.append("<p class=note>No document dropped with this reason is in the sample.</p>")
        parts.append("</details>")
    return "".join(parts)


def _origins_section(data: dict[str, Any], specs: dict[str, Any]) -> str:
    """Kept and dropped documents per input file (books) or per repository and language (code)."""
    if not data["origins"]:
        return ""
    sample = data["sample"]
    parts = ['<h2 id="sources">Per source</h2>',
             f"<p class=note>Counted in the sample: {sample['kept']['used']:,} of {sample['kept']['total']:,} kept "
             f"and {sample['dropped']['used']:,} of {sample['dropped']['total']:,} dropped documents (every document "
             f"when there are no more than {sample['max_rows']:,} per folder); the sources with most documents "
             "first.</p>"]
    for i, grouping in enumerate(data["origins"]):
        books = grouping["column"] == "source"
        header = [grouping["label"], *(["title"] if books else []), "kept", "dropped"]
        rows = [[r["name"], *([r.get("title") or ""] if books else []), r["kept"], r["dropped"]]
                for r in grouping["rows"]]
        values = [{"name": r["name"], "set": s, "documents": r[s]} for r in grouping["rows"] for s in ("kept", "dropped")]
        specs[f"origins-{i}"] = grouped_bars(f"documents per {grouping['label']}", values, "name", "set", "documents",
                                             ["kept", "dropped"], [KEPT_COLOR, DROPPED_COLOR], "documents (sample)",
                                             [r["name"] for r in grouping["rows"]])
        parts += [f"<h3>Per {esc(grouping['label'])}</h3>",
                  table(header, rows, {len(header) - 2, len(header) - 1}), chart(f"origins-{i}")]
    return "".join(parts)


def build_report(directory: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3,
                 diff_with: str | None = None) -> str:
    """The report of the output ``directory`` of ``curate run`` as one HTML page (a string);
    a tokenized or mixture output gets :func:`curate.report.tokenized.build_tokenized_report`,
    and a run with ``output.tokenized`` (a tokenized manifest and a stats.json with stages) gets
    the run's sections followed by the tokenized ones."""
    from curate.report.tokenized import _sections as tokenized_sections
    from curate.report.tokenized import build_tokenized_report, tokenized_report_data

    # stats.json, manifest.json and the samples of data/ and rejects/ are read once, here.
    layout = OutputLayout(directory)
    stats, manifest = layout.read_json_file("stats.json"), layout.read_json_file("manifest.json")
    tokenized = manifest if is_tokenized_manifest(manifest) else None
    if tokenized is not None and not (isinstance(stats, dict) and "stages" in stats):
        return build_tokenized_report(directory, javascript_bundle(), tokenized, samples=samples)
    run = read_run_sample(directory, max_rows, files=(stats, manifest))
    data = report_data(directory, max_rows=max_rows, samples=samples, run=run)
    specs: dict[str, Any] = {}
    sample = data["sample"]
    header = (f"<h1>curate report: {esc(data['pipeline'])}</h1>"
              f"<p>{esc(data['directory'])}: {data['documents'].get('kept', 0):,} kept, "
              f"{data['documents'].get('rejected', 0):,} rejected.</p>"
              f"<p class=note>Charts other than the funnel use a sample of at most {sample['max_rows']:,} rows per "
              f"folder: {sample['kept']['used']:,} of {sample['kept']['total']:,} kept, "
              f"{sample['dropped']['used']:,} of {sample['dropped']['total']:,} dropped.</p>")
    sections = [header, _funnel_section(data, specs), _scores_section(data, specs), _documents_section(data, specs),
                _origins_section(data, specs)]
    sections.append(dedup_section(dedup_data(run, samples), specs))
    sections.append(decontamination_section(run.stats, specs))
    if diff_with is not None:  # with --diff: A is this output, B the other run
        from curate.diff import diff_runs

        sections.append(diff_section(diff_runs(directory, diff_with, samples=samples), specs))
    embedded = {k: data[k] for k in ("directory", "pipeline", "documents", "funnel", "sample")}
    if tokenized is not None:  # a run with output.tokenized: its shards after its curation
        shards = tokenized_report_data(directory, tokenized, samples=samples)
        parts = tokenized_sections(shards, specs)
        parts[0] = '<h2 id="tokenized">Tokenized shards (output.tokenized)</h2>'
        sections += parts
        embedded["tokenized"] = {k: shards[k] for k in ("kind", "tokenizer", "totals", "per_source", "per_shard")}
    return page(f"curate report: {data['pipeline']}", sections, specs, embedded, javascript_bundle())


def write_report(directory: str, output: str, max_rows: int = DEFAULT_MAX_ROWS, samples: int = 3,
                 diff_with: str | None = None) -> int:
    """Write the report of ``directory`` to ``output`` (a local path or URL), compared with the
    run ``diff_with`` when given; returns its size in bytes."""
    html = build_report(directory, max_rows=max_rows, samples=samples, diff_with=diff_with)
    fs, path = filesystem(output)
    write_text_atomic(fs, path, html, makedirs=True)  # a killed run leaves no half-written page
    return len(html.encode("utf-8"))
