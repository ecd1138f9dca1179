"""``curate inspect DIR``: what a run kept and dropped, as plain data.

:func:`summarize_output` reads an output directory (of ``curate run``, or a tokenized /
mixture output) and returns a dict; it prints nothing.  ``curate.inspect_view`` renders
that dict in a terminal.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.loader.format import is_tokenized_manifest
from curate.output import OutputLayout
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL

# Kept documents per duplicate-cluster size: (smallest, largest, label).
CLUSTER_SIZE_BUCKETS = [(1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 20, "6-20"), (21, 1 << 62, ">20")]


def _shorten(text: str | None, width: int) -> str:
    """``text`` on one line, cut to ``width`` characters with ``...``."""
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _languages(layout: OutputLayout, data: pa.Table) -> tuple[dict[str, int], dict[str, int]]:
    """Identified languages, most frequent first: documents kept per language (0 where all
    were rejected), and documents rejected after identification per language (a page the
    extraction cascade rejected counts under the language it found, ``prefilter_language``)."""
    kept = {c["values"]: c["counts"] for c in pc.value_counts(data["language"]).to_pylist()}
    rejects = layout.read_folder(layout.rejects_dir, ["language", "prefilter_language"])
    rejected: dict[str, int] = {}
    if rejects is not None and {"language", "prefilter_language"} & set(rejects.column_names):
        found = [rejects[c] for c in ("language", "prefilter_language") if c in rejects.column_names]
        languages = pc.coalesce(*found) if len(found) > 1 else found[0]
        for c in pc.value_counts(languages).to_pylist():
            if c["values"] is not None:
                rejected[c["values"]] = c["counts"]
    order = sorted(set(kept) | set(rejected), key=lambda k: -(kept.get(k, 0) + rejected.get(k, 0)))
    return {k: kept.get(k, 0) for k in order}, {k: rejected.get(k, 0) for k in order}


def _duplicates(layout: OutputLayout, samples: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Kept documents by duplicate-cluster size, and up to ``samples`` of the largest clusters:
    the kept document beside one removed in its place."""
    data = layout.read_folder(layout.data_dir, ["id", URL, TEXT, "duplicate_cluster_id", "duplicate_cluster_size"])
    if data is None or "duplicate_cluster_size" not in data.column_names:
        return {}, []
    sizes = data["duplicate_cluster_size"]
    hist: dict[str, int] = {}
    for lo, hi, label in CLUSTER_SIZE_BUCKETS:
        n = pc.sum(pc.and_(pc.greater_equal(sizes, lo), pc.less_equal(sizes, hi))).as_py() or 0
        if n:
            hist[label] = n
    rejects = layout.read_folder(layout.rejects_dir, ["id", URL, TEXT, REJECT_REASON, "duplicate_of"])
    if rejects is None or "duplicate_of" not in rejects.column_names or samples <= 0:
        return {"kept_by_cluster_size": hist}, []
    clusters: list[dict[str, Any]] = []
    for i in pc.array_sort_indices(sizes, order="descending").to_pylist():
        if len(clusters) >= samples:
            break
        kept = data.slice(i, 1).to_pylist()[0]
        if kept["duplicate_cluster_size"] < 2:
            break
        members = rejects.filter(pc.equal(rejects["duplicate_of"], kept["id"]))
        if members.num_rows == 0:
            continue
        other = members.slice(0, 1).to_pylist()[0]
        clusters.append({
            "size": kept["duplicate_cluster_size"],
            "removed_here": members.num_rows,
            "kept": {"id": kept["id"], URL: kept.get(URL), TEXT: kept.get(TEXT)},
            "removed": {"id": other["id"], URL: other.get(URL), TEXT: other.get(TEXT), REJECT_REASON: other.get(REJECT_REASON)},
        })
    return {"kept_by_cluster_size": hist}, clusters


def _per_source(layout: OutputLayout) -> tuple[dict[str, dict[str, int]], str | None]:
    """Documents kept and rejected per repository (code) or per input, and the column counted
    (``repo`` or ``source``; None when neither is there)."""
    counts: dict[str, dict[str, int]] = {}
    column = None
    for kind, directory in (("kept", layout.data_dir), ("rejected", layout.rejects_dir)):
        table = layout.read_folder(directory, ["repo", "source"])
        if table is None or table.num_rows == 0:
            continue
        column = column or ("repo" if "repo" in table.column_names else "source")
        if column not in table.column_names:
            continue
        for row in table.group_by(column).aggregate([([], "count_all")]).to_pylist():
            name = row[column] if row[column] is not None else "(none)"
            counts.setdefault(name, {"kept": 0, "rejected": 0})[kind] = row["count_all"]
    return counts, column


def cascade_savings(stats: dict[str, Any]) -> list[dict[str, Any]]:
    """Per stage that rejected pages before its costly work (reasons ``prefilter:*``, the
    cascade of ``extract_html``): pages in, pages skipped, and the reasons."""
    out = []
    for stage in stats.get("stages", []):
        early = {r: n for r, n in stage.get("dropped", {}).items() if r.startswith("prefilter:")}
        if early:
            out.append({"stage": stage["stage"], "pages": stage["rows_in"], "skipped": sum(early.values()), "reasons": early})
    return out


def summarize_output(directory: str, samples: int = 3, show_rejects: bool = False) -> dict[str, Any]:
    """What the output directory of ``curate run`` (or a tokenized / mixture output) holds,
    as a dict; prints nothing.

    For a pipeline output (``kind`` ``"pipeline"``):

    - ``directory``, ``kind``; ``stats``: its stats.json (header figures, stages with their
      drop reasons, ``damaged_inputs``, ``dedup`` figures per stage);
    - ``sources``: ``{name: {"kept": n, "rejected": n}}`` per repository or input, and
      ``sources_column``: ``"repo"`` or ``"source"`` (None when neither);
    - ``languages``: documents kept per identified language, most frequent first (0 where all
      were rejected), and ``languages_rejected``: documents rejected per language, same order;
    - ``text_length``: min, p10, median, p90, max and mean characters of the kept documents;
    - ``sample_documents``: the first ``samples`` kept documents (``id``, ``url``, ``text``,
      ``language``, ``language_score`` where present);
    - where the pipeline deduplicates: ``duplicates`` (``kept_by_cluster_size``) and
      ``duplicate_clusters``: the largest clusters, each with ``size``, ``removed_here``,
      its ``kept`` document and one ``removed`` document (with its ``reason``);
    - with ``show_rejects``: ``sample_rejects``, one rejected document per (stage, reason);
    - where a cheap-first cascade ran: ``cascade`` (:func:`cascade_savings`).

    For a tokenized output see :func:`summarize_tokenized`.  Raises FileNotFoundError when the
    directory holds neither stats.json nor a tokenized manifest.json.
    """
    layout = OutputLayout(directory)
    stats_path = layout.path("stats.json")
    manifest_path = layout.path("manifest.json")
    if layout.fs.exists(manifest_path):
        with layout.fs.open(manifest_path, "r") as f:
            manifest = json.load(f)
        if is_tokenized_manifest(manifest):
            return summarize_tokenized(directory, manifest, samples)
    if not layout.fs.exists(stats_path):
        raise FileNotFoundError(f"{directory} has no stats.json: is it the output of 'curate run'?")
    with layout.fs.open(stats_path, "r") as f:
        stats = json.load(f)
    summary: dict[str, Any] = {"stats": stats, "directory": directory, "kind": "pipeline"}
    cascade = cascade_savings(stats)
    if cascade:
        summary["cascade"] = cascade

    summary["sources"], summary["sources_column"] = _per_source(layout)
    data = layout.read_folder(layout.data_dir, ["id", URL, TEXT, "language", "language_score"])
    if data is not None and data.num_rows:
        if "language" in data.column_names:
            summary["languages"], summary["languages_rejected"] = _languages(layout, data)
        lengths = pc.utf8_length(pc.fill_null(data[TEXT], ""))
        q = pc.quantile(lengths, q=[0.1, 0.5, 0.9]).to_pylist()
        summary["text_length"] = {
            "min": pc.min(lengths).as_py(),
            "p10": round(q[0], 1),
            "median": round(q[1], 1),
            "p90": round(q[2], 1),
            "max": pc.max(lengths).as_py(),
            "mean": round(pc.mean(lengths).as_py(), 1),
        }
        summary["sample_documents"] = data.slice(0, samples).to_pylist()
    if stats.get("dedup"):
        summary["duplicates"], summary["duplicate_clusters"] = _duplicates(layout, samples)
    if show_rejects:
        rejects = layout.read_folder(layout.rejects_dir, ["id", URL, TEXT, REJECT_DROPPED_BY, REJECT_REASON])
        if rejects is not None:
            seen: set[tuple[str, str]] = set()
            sample_rejects = []
            for row in rejects.to_pylist():
                key = (row[REJECT_DROPPED_BY], row[REJECT_REASON])
                if key not in seen:
                    seen.add(key)
                    sample_rejects.append(row)
            summary["sample_rejects"] = sample_rejects
    return summary


def summarize_tokenized(directory: str, manifest: dict[str, Any], samples: int) -> dict[str, Any]:
    """A tokenized (or mixture) output as a dict (``kind`` ``"tokenized"``); prints nothing.

    - ``directory``, ``kind``; ``manifest``: its manifest.json (totals, tokenizer, the
      mixture's ``sources`` with weights, rates and achieved shares, and the ``shards``);
    - for a mixture, ``sources``: ``{name: {"documents": ..., "dropped": {reason: n}}}`` and
      ``curation_per_source``: one row per source (see :func:`_mixture_sources`);
    - when ``samples`` > 0: ``decoded_samples``, the first rows of the first shard (``id``,
      ``source``, ``num_tokens``, ``text``: the first 200 tokens decoded or, when the tokenizer
      cannot be loaded, the first 40 ids; ``decoded``), and ``tokenizer_error``: why the
      tokenizer could not be loaded, or None.
    """
    summary: dict[str, Any] = {"manifest": manifest, "directory": directory, "kind": "tokenized"}
    if manifest.get("sources"):
        summary["sources"], summary["curation_per_source"] = _mixture_sources(OutputLayout(directory), manifest["sources"])
    if samples > 0 and manifest["shards"]:
        tokenizer = manifest["tokenizer"]
        layout = OutputLayout(directory)
        with layout.fs.open(layout.path(manifest["shards"][0]["path"]), "rb") as f:
            first = pq.ParquetFile(f).read_row_group(0).slice(0, samples)
        decode = None
        error = None
        try:
            from curate.tokenize.tokenizer import load_tokenizer

            decode = load_tokenizer(tokenizer.get("spec") or tokenizer["name"]).decode
        except Exception as exc:  # the tokenizer file may live elsewhere: show ids only
            error = str(exc)
        rows = []
        for row in first.to_pylist():
            ids = row["input_ids"]
            rows.append({
                "id": row["id"],
                "source": row["source"],
                "num_tokens": row["num_tokens"],
                "text": decode(ids[:200]) if decode else " ".join(map(str, ids[:40])),
                "decoded": decode is not None,
            })
        summary["tokenizer_error"] = error
        summary["decoded_samples"] = rows
    return summary


def _mixture_sources(layout: OutputLayout, sources: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A mixture's curation per source, from each source pipeline's ``sources/NAME/stats.json``:
    ``{name: {"documents", "dropped"}}`` for sources with stats, and one row per source:
    ``source``, ``status`` (``"curated"``: given as curated Parquet, with ``files``;
    ``"stats_missing"``; or ``"ok"`` with ``inputs``, ``kept``, ``rejected`` and
    ``top_reasons``, the three largest ``[reason, n]``)."""
    out: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for name, info in sources.items():
        if not info.get("output"):
            rows.append({"source": name, "status": "curated", "files": info.get("files", 0)})
            continue
        stats_path = layout.path(info["output"], "stats.json")
        if not layout.fs.exists(stats_path):
            rows.append({"source": name, "status": "stats_missing"})
            continue
        with layout.fs.open(stats_path, "r") as f:
            stats = json.load(f)
        reasons: dict[str, int] = {}
        for stage in stats["stages"]:
            for reason, n in stage["dropped"].items():
                key = f"{stage['stage']}:{reason}" if ":" not in reason else reason
                reasons[key] = reasons.get(key, 0) + n
        out[name] = {"documents": stats["documents"], "dropped": reasons}
        rows.append({
            "source": name,
            "status": "ok",
            "inputs": stats["inputs"]["total"],
            "kept": stats["documents"]["kept"],
            "rejected": stats["documents"]["rejected"],
            "top_reasons": [[r, n] for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3]],
        })
    return out, rows
