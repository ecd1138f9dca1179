"""``curate inspect DIR``: what a run kept and dropped, readable in a terminal."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curate.output import OutputLayout
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL


def _read_columns(layout: OutputLayout, directory: str, columns: list[str]) -> pa.Table | None:
    tables = []
    for path in layout.part_files(directory):
        with layout.fs.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            present = [c for c in columns if c in pf.schema_arrow.names]
            tables.append(pf.read(columns=present, use_threads=False))  # see storage.read_parquet
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="permissive")


def _shorten(text: str | None, width: int) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


def _language_table(console: Console, layout: OutputLayout, data: pa.Table) -> dict[str, int]:
    """Histogram of identified languages: kept, and rejected after identification."""
    kept = {c["values"]: c["counts"] for c in pc.value_counts(data["language"]).to_pylist()}
    rejects = _read_columns(layout, layout.rejects_dir, ["language"])
    rejected: dict[str, int] = {}
    if rejects is not None and "language" in rejects.column_names:
        for c in pc.value_counts(rejects["language"]).to_pylist():
            if c["values"] is not None:
                rejected[c["values"]] = c["counts"]
    total = sum(kept.values()) + sum(rejected.values())
    hist = Table(title="Languages (identified documents)", title_justify="left")
    for col in ("language", "kept", "rejected", "share"):
        hist.add_column(col, justify="left" if col == "language" else "right")
    order = sorted(set(kept) | set(rejected), key=lambda k: -(kept.get(k, 0) + rejected.get(k, 0)))
    for lang in order[:20]:
        n = kept.get(lang, 0) + rejected.get(lang, 0)
        hist.add_row(str(lang), f"{kept.get(lang, 0):,}", f"{rejected.get(lang, 0):,}", f"{n / total:.1%}")
    if len(order) > 20:
        hist.add_row(f"... {len(order) - 20} more", "", "", "")
    console.print(hist)
    return {k: kept.get(k, 0) for k in order}


def _duplicates(console: Console, layout: OutputLayout, dedup: dict[str, Any], samples: int) -> dict[str, Any]:
    """Dedup figures per stage, cluster sizes, and the largest clusters side by side."""
    for stage, info in dedup.items():
        figures = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
            for k, v in info.items()
            if k not in ("steps",) and not isinstance(v, dict | list)
        )
        console.print(f"[bold]{escape(stage)}[/bold]: {escape(figures)}")
    data = _read_columns(layout, layout.data_dir, ["id", URL, TEXT, "duplicate_cluster_id", "duplicate_cluster_size"])
    if data is None or "duplicate_cluster_size" not in data.column_names:
        return {}
    sizes = data["duplicate_cluster_size"]
    hist: dict[str, int] = {}
    buckets = [(1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 20, "6-20"), (21, 1 << 62, ">20")]
    for lo, hi, label in buckets:
        n = pc.sum(pc.and_(pc.greater_equal(sizes, lo), pc.less_equal(sizes, hi))).as_py() or 0
        if n:
            hist[label] = n
    console.print("Kept documents by duplicate cluster size: " + ", ".join(f"{k}: {v:,}" for k, v in hist.items()))
    rejects = _read_columns(layout, layout.rejects_dir, ["id", URL, TEXT, REJECT_REASON, "duplicate_of"])
    if rejects is None or "duplicate_of" not in rejects.column_names or samples <= 0:
        return {"kept_by_cluster_size": hist}
    order = pc.array_sort_indices(sizes, order="descending")
    shown = 0
    for i in order.to_pylist():
        if shown >= samples:
            break
        kept = data.slice(i, 1).to_pylist()[0]
        if kept["duplicate_cluster_size"] < 2:
            break
        members = rejects.filter(pc.equal(rejects["duplicate_of"], kept["id"]))
        if members.num_rows == 0:
            continue
        shown += 1
        grid = Table(title=f"Duplicate cluster of {kept['duplicate_cluster_size']} ({members.num_rows} removed here)", title_justify="left", show_lines=True)
        grid.add_column("kept: " + _shorten(kept.get(URL) or kept["id"], 50), ratio=1)
        other = members.slice(0, 1).to_pylist()[0]
        grid.add_column(f"removed ({other.get(REJECT_REASON)}): " + _shorten(other.get(URL) or other["id"], 50), ratio=1)
        grid.add_row(escape(_shorten(kept.get(TEXT), 400)), escape(_shorten(other.get(TEXT), 400)))
        console.print(grid)
    return {"kept_by_cluster_size": hist}


def inspect_output(directory: str, samples: int = 3, show_rejects: bool = False, console: Console | None = None) -> dict[str, Any]:
    """Print the summary of an output directory and return it as a dict."""
    console = console or Console()
    layout = OutputLayout(directory)
    stats_path = layout.path("stats.json")
    manifest_path = layout.path("manifest.json")
    if layout.fs.exists(manifest_path):
        with layout.fs.open(manifest_path, "r") as f:
            manifest = json.load(f)
        if manifest.get("format", "").startswith("curate.tokenized/"):
            return inspect_tokenized(directory, manifest, samples, console)
    if not layout.fs.exists(stats_path):
        raise FileNotFoundError(f"{directory} has no stats.json: is it the output of 'curate run'?")
    with layout.fs.open(stats_path, "r") as f:
        stats = json.load(f)
    summary: dict[str, Any] = {"stats": stats}

    console.print(f"[bold]{escape(directory)}[/bold]  pipeline [bold]{escape(stats['pipeline'])}[/bold]: "
                  f"{stats['documents']['kept']:,} documents kept, {stats['documents']['rejected']:,} rejected, "
                  f"{stats['inputs']['completed']}/{stats['inputs']['total']} inputs complete")

    stage_table = Table(title="Stages", title_justify="left")
    for col in ("stage", "in", "out", "dropped", "reason", "seconds"):
        stage_table.add_column(col, justify="right" if col in ("in", "out", "dropped", "seconds") else "left")
    for stage in stats["stages"]:
        reasons = list(stage["dropped"].items()) or [("", 0)]
        for i, (reason, n) in enumerate(reasons):
            first = i == 0
            stage_table.add_row(
                stage["stage"] if first else "",
                f"{stage['rows_in']:,}" if first else "",
                f"{stage['rows_out']:,}" if first else "",
                f"{n:,}" if reason else "",
                reason,
                f"{stage['seconds']:.1f}" if first else "",
            )
    console.print(stage_table)
    for item in stats.get("damaged_inputs", []):
        console.print(f"[yellow]damaged input[/yellow] {escape(item['input'])}: {escape(item['damage'])}")

    summary["sources"] = _per_source(console, layout)
    data = _read_columns(layout, layout.data_dir, ["id", URL, TEXT, "language", "language_score"])
    if data is not None and data.num_rows:
        if "language" in data.column_names:
            summary["languages"] = _language_table(console, layout, data)
        lengths = pc.utf8_length(pc.fill_null(data[TEXT], ""))
        q = pc.quantile(lengths, q=[0.1, 0.5, 0.9]).to_pylist()
        length_summary = {
            "min": pc.min(lengths).as_py(),
            "p10": round(q[0], 1),
            "median": round(q[1], 1),
            "p90": round(q[2], 1),
            "max": pc.max(lengths).as_py(),
            "mean": round(pc.mean(lengths).as_py(), 1),
        }
        summary["text_length"] = length_summary
        console.print("Text length (characters): " + ", ".join(f"{k} {v:,}" for k, v in length_summary.items()))
        for row in data.slice(0, samples).to_pylist():
            score = f" {row['language_score']:.2f}" if row.get("language_score") is not None else ""
            lang = escape(f" [{row.get('language')}{score}]") if row.get("language") else ""
            console.print(f"[bold cyan]{escape(row.get(URL) or row['id'])}[/bold cyan]{lang}\n  {escape(_shorten(row.get(TEXT), 300))}")
    if stats.get("dedup"):
        summary["duplicates"] = _duplicates(console, layout, stats["dedup"], samples)
    if show_rejects:
        rejects = _read_columns(layout, layout.rejects_dir, ["id", URL, TEXT, REJECT_DROPPED_BY, REJECT_REASON])
        if rejects is not None:
            seen: set[tuple[str, str]] = set()
            console.print("[bold]Sample rejects[/bold]")
            for row in rejects.to_pylist():
                key = (row[REJECT_DROPPED_BY], row[REJECT_REASON])
                if key in seen:
                    continue
                seen.add(key)
                console.print(f"  [red]{escape(f'{key[0]}:{key[1]}')}[/red] {escape(row.get(URL) or row['id'])}  {escape(_shorten(row.get(TEXT), 120))}")
    return summary


def _per_source(console: Console, layout: OutputLayout, top: int = 10) -> dict[str, dict[str, int]]:
    """Documents kept and rejected per repository (code) or per input, largest first."""
    counts: dict[str, dict[str, int]] = {}
    column = None
    for kind, directory in (("kept", layout.data_dir), ("rejected", layout.rejects_dir)):
        table = _read_columns(layout, directory, ["repo", "source"])
        if table is None or table.num_rows == 0:
            continue
        column = column or ("repo" if "repo" in table.column_names else "source")
        if column not in table.column_names:
            continue
        for row in table.group_by(column).aggregate([([], "count_all")]).to_pylist():
            name = row[column] if row[column] is not None else "(none)"
            counts.setdefault(name, {"kept": 0, "rejected": 0})[kind] = row["count_all"]
    if len(counts) < 2:  # one input: the stage table already says it all
        return counts
    table = Table(title=f"Per {'repository' if column == 'repo' else 'input'}", title_justify="left")
    for col in (column or "source", "kept", "rejected"):
        table.add_column(col, justify="left" if col in ("repo", "source") else "right")
    ranked = sorted(counts.items(), key=lambda kv: -(kv[1]["kept"] + kv[1]["rejected"]))
    for name, c in ranked[:top]:
        table.add_row(escape(_shorten(name, 70)), f"{c['kept']:,}", f"{c['rejected']:,}")
    if len(ranked) > top:
        table.add_row(f"... {len(ranked) - top} more", "", "")
    console.print(table)
    return counts


def inspect_tokenized(directory: str, manifest: dict[str, Any], samples: int, console: Console) -> dict[str, Any]:
    """Token counts per source and shard of a tokenized output, and decoded samples."""
    tokenizer = manifest["tokenizer"]
    totals = manifest["totals"]
    console.print(
        f"[bold]{escape(directory)}[/bold]  tokenized ({escape(manifest['format'])}): {totals['documents']:,} documents, "
        f"{totals['tokens']:,} tokens in {len(manifest['shards'])} shards; tokenizer {escape(str(tokenizer['name']))} "
        f"(vocab {tokenizer['vocab_size']:,}, {manifest['dtype']}, {escape(str(tokenizer['fingerprint'])[:23])}...)"
    )
    mix = Table(title="Sources", title_justify="left")
    for col in ("source", "documents in", "tokens in", "weight", "rate", "tokens out", "share"):
        mix.add_column(col, justify="left" if col == "source" else "right")
    for name, info in manifest["mixture"]["sources"].items():
        mix.add_row(name, f"{info['documents']:,}", f"{info['tokens']:,}", "" if info["weight"] is None else f"{info['weight']}",
                    f"{info['rate']:.3f}", f"{totals['by_source'].get(name, 0):,}", f"{info['achieved']:.1%}")
    console.print(mix)
    summary: dict[str, Any] = {"manifest": manifest}
    if manifest.get("sources"):
        summary["sources"] = _mixture_sources(console, OutputLayout(directory), manifest["sources"])
    shards = Table(title="Shards", title_justify="left")
    for col in ("shard", "documents", "tokens", "by source"):
        shards.add_column(col, justify="left" if col in ("shard", "by source") else "right")
    for shard in manifest["shards"][:20]:
        shards.add_row(shard["path"], f"{shard['documents']:,}", f"{shard['tokens']:,}", ", ".join(f"{k} {v:,}" for k, v in shard["sources"].items()))
    if len(manifest["shards"]) > 20:
        shards.add_row(f"... {len(manifest['shards']) - 20} more", "", "", "")
    console.print(shards)
    if samples > 0 and manifest["shards"]:
        layout = OutputLayout(directory)
        with layout.fs.open(layout.path(manifest["shards"][0]["path"]), "rb") as f:
            first = pq.ParquetFile(f).read_row_group(0).slice(0, samples)
        decode = None
        try:
            from curate.tokenize.tokenizer import load_tokenizer

            decode = load_tokenizer(tokenizer.get("spec") or tokenizer["name"]).decode
        except Exception as exc:  # the tokenizer file may live elsewhere: show ids only
            console.print(f"[yellow]cannot load the tokenizer to decode samples[/yellow] ({escape(str(exc))})")
        for row in first.to_pylist():
            ids = row["input_ids"]
            text = decode(ids[:200]) if decode else " ".join(map(str, ids[:40]))
            where = escape(f"[{row['source']}, {row['num_tokens']:,} tokens]")
            console.print(f"[bold cyan]{escape(row['id'])}[/bold cyan] {where}\n  {escape(_shorten(text, 300))}")
    return summary


def _mixture_sources(console: Console, layout: OutputLayout, sources: dict[str, Any]) -> dict[str, Any]:
    """A mixture's curation per source: documents read, kept and rejected, and the top
    reasons, from each source pipeline's ``sources/NAME/stats.json``."""
    table = Table(title="Curation per source", title_justify="left")
    for col in ("source", "inputs", "documents kept", "rejected", "top reasons"):
        table.add_column(col, justify="left" if col in ("source", "top reasons") else "right")
    out: dict[str, Any] = {}
    for name, info in sources.items():
        if not info.get("output"):
            table.add_row(name, f"{info.get('files', 0):,} files", "(curated Parquet)", "", "")
            continue
        stats_path = layout.path(info["output"], "stats.json")
        if not layout.fs.exists(stats_path):
            table.add_row(name, "", "(stats.json missing)", "", "")
            continue
        with layout.fs.open(stats_path, "r") as f:
            stats = json.load(f)
        reasons: dict[str, int] = {}
        for stage in stats["stages"]:
            for reason, n in stage["dropped"].items():
                key = f"{stage['stage']}:{reason}" if ":" not in reason else reason
                reasons[key] = reasons.get(key, 0) + n
        top = sorted(reasons.items(), key=lambda kv: -kv[1])[:3]
        out[name] = {"documents": stats["documents"], "dropped": reasons}
        table.add_row(name, f"{stats['inputs']['total']:,}", f"{stats['documents']['kept']:,}", f"{stats['documents']['rejected']:,}",
                      ", ".join(f"{r} {n:,}" for r, n in top))
    console.print(table)
    return out
