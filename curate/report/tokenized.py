"""The report of a tokenized output (``curate tokenize``) or a mixture (``curate run MIXTURE.yaml``).

:func:`tokenized_report_data` reads ``manifest.json`` whole and, for the decoded samples, the
first rows of the first shard only (columns ``id``, ``source``, ``num_tokens``,
``input_ids``); :func:`build_tokenized_report` turns that into the HTML page: tokens per
source and per shard, the achieved mixture against the configured weights, each source's
curation (a mixture), and a few documents decoded back to text with the output's tokenizer.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.output import OutputLayout
from curate.report.charts import WIDTH, grouped_bars
from curate.report.data import is_tokenized_manifest
from curate.report.page import chart, document, esc, page, table

SAMPLE_TEXT_CHARS = 1000
# Tokens decoded per sample: enough for SAMPLE_TEXT_CHARS characters in any script.
SAMPLE_TOKENS = 1000
# Rows of the first shard looked at for samples (a mixture shows a few per source).
SAMPLE_SCAN_ROWS = 512
CONFIGURED_COLOR = "#9d9d9d"
ACHIEVED_COLOR = "#4c78a8"


def read_tokenized_manifest(directory: str) -> dict[str, Any] | None:
    """The output's ``manifest.json`` when it is a tokenized (or mixture) manifest, else None."""
    manifest = OutputLayout(directory).read_json_file("manifest.json")
    return manifest if is_tokenized_manifest(manifest) else None


def _cut(text: str) -> str:
    """``text`` cut to :data:`SAMPLE_TEXT_CHARS` characters (with ``...`` when cut)."""
    return text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "..."


def _per_source(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per source: ``source``, ``tokens`` (in the shards, from ``totals.by_source``),
    ``share`` of all tokens, and ``available`` tokens and ``documents`` before mixing (None
    where the manifest does not say)."""
    totals = manifest.get("totals", {})
    by_source: dict[str, int] = dict(totals.get("by_source") or {})
    mixture = (manifest.get("mixture") or {}).get("sources") or {}
    names = list(by_source) + [n for n in mixture if n not in by_source]
    total = int(totals.get("tokens") or sum(by_source.values()))
    return [{"source": name, "tokens": int(by_source.get(name, 0)),
             "share": by_source.get(name, 0) / total if total else 0.0,
             "available": mixture.get(name, {}).get("tokens"), "documents": mixture.get(name, {}).get("documents")}
            for name in names]


def _mixture(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The configured weights against the achieved shares, one row per source: ``source``,
    ``weight`` (as configured), ``target`` (the weight over the sum of weights), ``achieved``
    (share of the output's tokens), ``rate``, ``repeated``, ``sampling``.  Empty when no
    source has a weight (a plain tokenized output)."""
    sources = (manifest.get("mixture") or {}).get("sources") or {}
    weights = [info.get("weight") for info in sources.values()]
    if not sources or all(w is None for w in weights):
        return []
    weight_sum = sum(float(w) for w in weights if w is not None)
    by_source = manifest.get("totals", {}).get("by_source") or {}
    total = sum(by_source.values())
    rows = []
    for name, info in sources.items():
        weight = info.get("weight")
        achieved = info.get("achieved")
        if achieved is None:
            achieved = by_source.get(name, 0) / total if total else 0.0
        rows.append({"source": name, "weight": weight,
                     "target": float(weight) / weight_sum if weight is not None and weight_sum else None,
                     "achieved": float(achieved), "rate": info.get("rate"), "repeated": info.get("repeated"),
                     "sampling": info.get("sampling")})
    return rows


def _decoder(manifest: dict[str, Any]) -> tuple[Any, str | None]:
    """The output's tokenizer's ``decode`` and None, or None and why it could not be loaded."""
    tokenizer = manifest.get("tokenizer") or {}
    spec = tokenizer.get("spec") or tokenizer.get("name")
    if not spec:
        return None, "the manifest names no tokenizer"
    try:
        from curate.tokenize.tokenizer import load_tokenizer

        return load_tokenizer(str(spec)).decode, None
    except Exception as exc:  # the tokenizer file may live elsewhere, or need the network
        return None, f"{spec}: {' '.join(str(exc).split())}"


def _samples(layout: OutputLayout, manifest: dict[str, Any], samples: int) -> tuple[list[dict[str, Any]], str | None]:
    """Up to ``samples`` rows per source from the first rows of the first shard, decoded:
    ``id``, ``source``, ``num_tokens`` and ``text`` (cut to :data:`SAMPLE_TEXT_CHARS`
    characters; the first token ids when the tokenizer cannot be loaded).  Returns the rows
    and why the tokenizer could not be loaded (None when it could)."""
    shards = manifest.get("shards") or []
    if samples <= 0 or not shards:
        return [], None
    with layout.fs.open(layout.path(shards[0]["path"]), "rb") as f:
        part = pq.ParquetFile(f)
        columns = [c for c in ("id", "source", "num_tokens", "input_ids") if c in part.schema_arrow.names]
        batch = next(part.iter_batches(batch_size=SAMPLE_SCAN_ROWS, columns=columns, use_threads=False), None)
    if batch is None:
        return [], None
    decode, error = _decoder(manifest)
    rows: list[dict[str, Any]] = []
    taken: dict[Any, int] = {}
    for row in pa.Table.from_batches([batch]).to_pylist():
        source = row.get("source")
        if taken.get(source, 0) >= samples:
            continue
        taken[source] = taken.get(source, 0) + 1
        ids = row.get("input_ids") or []
        text = decode(ids[:SAMPLE_TOKENS]) if decode else "token ids: " + " ".join(map(str, ids[:200]))
        rows.append({"id": row.get("id"), "source": source, "num_tokens": row.get("num_tokens"),
                     "decoded": decode is not None, "text": _cut(text)})
    rows.sort(key=lambda r: str(r["source"]))
    return rows, error


def tokenized_report_data(directory: str, manifest: dict[str, Any] | None = None, samples: int = 3) -> dict[str, Any]:
    """What the report of a tokenized or mixture output shows, as a dict of plain values:
    ``directory``, ``kind`` (``"mixture"`` or ``"tokenized"``), ``name`` (the mixture's or
    pipeline's name, or None), ``tokenizer`` (name, kind, spec, vocab size), ``totals``
    (documents, tokens), ``per_source`` (:func:`_per_source`), ``per_shard`` (``path``,
    ``documents``, ``tokens`` per shard), ``mixture`` (:func:`_mixture`), ``curation``
    (one row per source of a mixture, see :func:`curate.inspect._mixture_sources`),
    ``warnings``, ``samples`` (:func:`_samples`) and ``tokenizer_error``.

    Raises FileNotFoundError when the directory holds no tokenized manifest.json.
    """
    from curate.inspect import _mixture_sources

    layout = OutputLayout(directory)
    manifest = manifest or read_tokenized_manifest(directory)
    if manifest is None:
        raise FileNotFoundError(f"{directory} has no tokenized manifest.json")
    mixture = _mixture(manifest)
    curation: list[dict[str, Any]] = []
    if manifest.get("sources"):
        _, curation = _mixture_sources(layout, manifest["sources"])
    sample_rows, error = _samples(layout, manifest, samples)
    tokenizer = manifest.get("tokenizer") or {}
    pipeline = manifest.get("pipeline") or {}
    totals = manifest.get("totals") or {}
    return {
        "directory": directory,
        "kind": "mixture" if mixture or manifest.get("sources") else "tokenized",
        "name": pipeline.get("name") if isinstance(pipeline, dict) else None,
        "tokenizer": {k: tokenizer.get(k) for k in ("name", "kind", "spec", "vocab_size")},
        "totals": {"documents": totals.get("documents", 0), "tokens": totals.get("tokens", 0)},
        "per_source": _per_source(manifest),
        "per_shard": [{"path": s.get("path"), "documents": s.get("documents", 0), "tokens": s.get("tokens", 0)}
                      for s in manifest.get("shards") or []],
        "mixture": mixture,
        "curation": curation,
        "warnings": list(manifest.get("warnings") or []),
        "samples": sample_rows,
        "tokenizer_error": error,
    }


def tokens_chart(rows: list[dict[str, Any]], field: str, title: str) -> dict[str, Any]:
    """A horizontal bar of ``tokens`` per row, labelled by ``field`` (``source`` or ``path``)."""
    return {
        "description": title,
        "data": {"values": [{field: r[field], "tokens": r["tokens"]} for r in rows]},
        "width": WIDTH,
        "mark": "bar",
        "encoding": {
            "y": {"field": field, "type": "nominal", "sort": [r[field] for r in rows], "title": None},
            "x": {"field": "tokens", "type": "quantitative", "title": "tokens"},
            "color": {"value": ACHIEVED_COLOR},
            "tooltip": [{"field": field}, {"field": "tokens", "type": "quantitative", "format": ","}],
        },
    }


def mixture_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per source, the configured share (weight over the sum of weights) beside the achieved
    share of tokens: grouped horizontal bars."""
    values = []
    for r in rows:
        values.append({"source": r["source"], "set": "configured", "share": r["target"] or 0.0})
        values.append({"source": r["source"], "set": "achieved", "share": r["achieved"]})
    return grouped_bars("mixture: configured weights vs achieved shares", values, "source", "set", "share",
                        ["configured", "achieved"], [CONFIGURED_COLOR, ACHIEVED_COLOR], "share of tokens",
                        [r["source"] for r in rows], x_format="%", tooltip_format=".2%")


def _percent(value: float | None) -> str:
    """``value`` as a percentage with two decimals, or an empty string."""
    return "" if value is None else f"{value:.2%}"


def _sections(data: dict[str, Any], specs: dict[str, Any]) -> list[str]:
    """The page's sections (HTML, every value escaped); adds their chart specs to ``specs``."""
    tok = data["tokenizer"]
    totals = data["totals"]
    title = "mixture" if data["kind"] == "mixture" else "tokenized output"
    name = f": {esc(data['name'])}" if data["name"] else ""
    vocab = f", vocabulary {tok['vocab_size']:,}" if isinstance(tok.get("vocab_size"), int) else ""
    parts = [f"<h1>curate report: {title}{name}</h1>",
             f"<p>{esc(data['directory'])}: {totals['tokens']:,} tokens of {totals['documents']:,} documents "
             f"in {len(data['per_shard']):,} shards; tokenizer {esc(tok.get('name'))} ({esc(tok.get('kind'))}{vocab}).</p>",
             "<p class=note>Counts are from manifest.json (exact); samples are the first rows of the first shard.</p>"]
    if data["warnings"]:
        parts.append("<h2>Warnings</h2><ul>" + "".join(f"<li>{esc(w)}</li>" for w in data["warnings"]) + "</ul>")

    specs["tokens-per-source"] = tokens_chart(data["per_source"], "source", "tokens per source")
    parts += ["<h2>Tokens per source</h2>",
              table(["source", "tokens", "share", "tokens available", "documents available"],
                    [[r["source"], r["tokens"], _percent(r["share"]), r["available"] if r["available"] is not None else "",
                      r["documents"] if r["documents"] is not None else ""] for r in data["per_source"]], {1, 2, 3, 4}),
              chart("tokens-per-source")]

    if data["mixture"]:
        specs["mixture"] = mixture_chart(data["mixture"])
        parts += ["<h2>Mixture: configured weights vs achieved shares</h2>",
                  "<p class=note>The configured share is the weight over the sum of the weights; the achieved share "
                  "is the source's tokens over all tokens in the shards.</p>",
                  table(["source", "weight", "configured share", "achieved share", "rate", "sampling"],
                        [[r["source"], "" if r["weight"] is None else f"{r['weight']:g}", _percent(r["target"]),
                          _percent(r["achieved"]), "" if r["rate"] is None else f"{r['rate']:.3f}", r["sampling"] or ""]
                         for r in data["mixture"]], {1, 2, 3, 4}),
                  chart("mixture")]

    if data["curation"]:
        rows = []
        for r in data["curation"]:
            if r["status"] == "ok":
                reasons = ", ".join(f"{reason}: {n:,}" for reason, n in r["top_reasons"])
                rows.append([r["source"], "curated by its pipeline", r["inputs"], r["kept"], r["rejected"], reasons])
            else:
                status = "given as curated Parquet" if r["status"] == "curated" else "stats.json missing"
                rows.append([r["source"], status, "", "", "", ""])
        parts += ["<h2>Curation per source</h2>",
                  table(["source", "status", "inputs", "kept", "rejected", "top drop reasons"], rows, {2, 3, 4})]

    specs["tokens-per-shard"] = tokens_chart(data["per_shard"], "path", "tokens per shard")
    parts += ["<h2>Tokens per shard</h2>",
              table(["shard", "documents", "tokens"], [[s["path"], s["documents"], s["tokens"]] for s in data["per_shard"]],
                    {1, 2}),
              chart("tokens-per-shard")]

    parts.append("<h2>Decoded samples</h2>")
    if data["tokenizer_error"]:
        parts.append(f"<p class=note>The tokenizer could not be loaded, so the samples show token ids, not text: "
                     f"{esc(data['tokenizer_error'])}</p>")
    else:
        parts.append(f"<p class=note>Decoded with {esc(tok.get('name'))}; at most {SAMPLE_TEXT_CHARS:,} characters "
                     "each.</p>")
    if not data["samples"]:
        parts.append("<p>No rows.</p>")
    parts += [document({"id": s["id"], "source": s["source"], "tokens": s["num_tokens"], "text": s["text"]})
              for s in data["samples"]]
    return parts


def build_tokenized_report(directory: str, bundle: str, manifest: dict[str, Any] | None = None, samples: int = 3) -> str:
    """The report of the tokenized or mixture output ``directory`` as one HTML page (a string),
    with the vega-embed ``bundle`` inlined."""
    data = tokenized_report_data(directory, manifest, samples=samples)
    specs: dict[str, Any] = {}
    sections = _sections(data, specs)
    embedded = {k: data[k] for k in ("directory", "kind", "name", "tokenizer", "totals", "per_source", "per_shard", "mixture")}
    title = f"curate report: {data['name'] or data['kind']}"
    return page(title, sections, specs, embedded, bundle)
