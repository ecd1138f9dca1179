"""``curate inspect DIR`` in a terminal: renders :func:`curate.inspect.summarize_output` with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curate.inspect import _shorten, summarize_output
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL


def inspect_output(directory: str, samples: int = 3, show_rejects: bool = False, console: Console | None = None) -> dict[str, Any]:
    """Print the summary of an output directory and return it as a dict (see ``summarize_output``)."""
    summary = summarize_output(directory, samples=samples, show_rejects=show_rejects)
    render_summary(console or Console(), summary)
    return summary


def render_summary(console: Console, summary: dict[str, Any]) -> None:
    """Print a summary of :func:`curate.inspect.summarize_output`: header, tables and samples."""
    if summary.get("kind") == "tokenized":
        _render_tokenized(console, summary)
        return
    directory = summary["directory"]
    stats = summary["stats"]
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
    for saved in summary.get("cascade", []):
        share = saved["skipped"] / max(saved["pages"], 1)
        saved_by = ", ".join(f"{r} {n:,}" for r, n in saved["reasons"].items())
        console.print(f"[bold]cascade[/bold]: {saved['skipped']:,} of {saved['pages']:,} pages ({share:.1%}) skipped "
                      f"{escape(saved['stage'])}'s full work, rejected on cheap evidence ({escape(saved_by)})")
    for item in stats.get("damaged_inputs", []):
        console.print(f"[yellow]damaged input[/yellow] {escape(item['input'])}: {escape(item['damage'])}")

    _render_per_source(console, summary.get("sources", {}), summary.get("sources_column"))
    if "languages" in summary:
        _render_languages(console, summary["languages"], summary.get("languages_rejected", {}))
    if "text_length" in summary:
        console.print("Text length (characters): " + ", ".join(f"{k} {v:,}" for k, v in summary["text_length"].items()))
    for row in summary.get("sample_documents", []):
        score = f" {row['language_score']:.2f}" if row.get("language_score") is not None else ""
        lang = escape(f" [{row.get('language')}{score}]") if row.get("language") else ""
        console.print(f"[bold cyan]{escape(row.get(URL) or row['id'])}[/bold cyan]{lang}\n  {escape(_shorten(row.get(TEXT), 300))}")
    if stats.get("dedup"):
        _render_duplicates(console, stats["dedup"], summary.get("duplicates", {}), summary.get("duplicate_clusters", []))
    for stage, info in (stats.get("decontamination") or {}).items():
        _render_contamination(console, stage, info)
    if "sample_rejects" in summary:
        console.print("[bold]Sample rejects[/bold]")
        for row in summary["sample_rejects"]:
            key = f"{row[REJECT_DROPPED_BY]}:{row[REJECT_REASON]}"
            console.print(f"  [red]{escape(key)}[/red] {escape(row.get(URL) or row['id'])}  {escape(_shorten(row.get(TEXT), 120))}")


def _render_per_source(console: Console, counts: dict[str, dict[str, int]], column: str | None, top: int = 10) -> None:
    """Documents kept and rejected per repository (code) or per input, largest first."""
    if len(counts) < 2:  # one input: the stage table already says it all
        return
    table = Table(title=f"Per {'repository' if column == 'repo' else 'input'}", title_justify="left")
    for col in (column or "source", "kept", "rejected"):
        table.add_column(col, justify="left" if col in ("repo", "source") else "right")
    ranked = sorted(counts.items(), key=lambda kv: -(kv[1]["kept"] + kv[1]["rejected"]))
    for name, c in ranked[:top]:
        table.add_row(escape(_shorten(name, 70)), f"{c['kept']:,}", f"{c['rejected']:,}")
    if len(ranked) > top:
        table.add_row(f"... {len(ranked) - top} more", "", "")
    console.print(table)


def _render_languages(console: Console, kept: dict[str, int], rejected: dict[str, int]) -> None:
    """Histogram of identified languages: kept, and rejected after identification."""
    total = sum(kept.values()) + sum(rejected.values())
    hist = Table(title="Languages (identified documents)", title_justify="left")
    for col in ("language", "kept", "rejected", "share"):
        hist.add_column(col, justify="left" if col == "language" else "right")
    order = list(kept)
    for lang in order[:20]:
        n = kept.get(lang, 0) + rejected.get(lang, 0)
        hist.add_row(str(lang), f"{kept.get(lang, 0):,}", f"{rejected.get(lang, 0):,}", f"{n / total:.1%}")
    if len(order) > 20:
        hist.add_row(f"... {len(order) - 20} more", "", "", "")
    console.print(hist)


def _render_duplicates(console: Console, dedup: dict[str, Any], duplicates: dict[str, Any], clusters: list[dict[str, Any]]) -> None:
    """Dedup figures per stage, cluster sizes, and the largest clusters side by side."""
    for stage, info in dedup.items():
        figures = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
            for k, v in info.items()
            if k not in ("steps",) and not isinstance(v, dict | list)
        )
        console.print(f"[bold]{escape(stage)}[/bold]: {escape(figures)}")
    if "kept_by_cluster_size" not in duplicates:
        return
    hist = duplicates["kept_by_cluster_size"]
    console.print("Kept documents by duplicate cluster size: " + ", ".join(f"{k}: {v:,}" for k, v in hist.items()))
    for cluster in clusters:
        kept, other = cluster["kept"], cluster["removed"]
        grid = Table(title=f"Duplicate cluster of {cluster['size']} ({cluster['removed_here']} removed here)", title_justify="left", show_lines=True)
        grid.add_column("kept: " + _shorten(kept.get(URL) or kept["id"], 50), ratio=1)
        grid.add_column(f"removed ({other.get(REJECT_REASON)}): " + _shorten(other.get(URL) or other["id"], 50), ratio=1)
        grid.add_row(escape(_shorten(kept.get(TEXT), 400)), escape(_shorten(other.get(TEXT), 400)))
        console.print(grid)


def _render_contamination(console: Console, stage: str, info: dict[str, Any]) -> None:
    """Documents and benchmark items touched, per benchmark, of one decontaminate stage."""
    index = info.get("index") or {}
    table = Table(title=f"Contamination ({stage}: policy {info.get('policy')}, {info.get('ngram')}-grams, "
                        f"index of {index.get('entries', 0):,} n-grams)", title_justify="left")
    for col in ("benchmark", "documents", "kept", "dropped", "cut", "items touched", "items", "too short"):
        table.add_column(col, justify="left" if col == "benchmark" else "right")
    for name, b in info.get("benchmarks", {}).items():
        table.add_row(escape(name), f"{b.get('documents', 0):,}", f"{b.get('documents_kept', 0):,}", f"{b.get('documents_dropped', 0):,}",
                      f"{b.get('documents_cut', 0):,}", f"{b.get('items_touched', 0):,}", f"{b.get('items', 0):,}",
                      f"{b.get('items_too_short', 0):,}")
    console.print(table)


def _render_tokenized(console: Console, summary: dict[str, Any]) -> None:
    """Token counts per source and shard of a tokenized output, and decoded samples."""
    directory = summary["directory"]
    manifest = summary["manifest"]
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
    if "curation_per_source" in summary:
        _render_mixture_sources(console, summary["curation_per_source"])
    shards = Table(title="Shards", title_justify="left")
    for col in ("shard", "documents", "tokens", "by source"):
        shards.add_column(col, justify="left" if col in ("shard", "by source") else "right")
    for shard in manifest["shards"][:20]:
        shards.add_row(shard["path"], f"{shard['documents']:,}", f"{shard['tokens']:,}", ", ".join(f"{k} {v:,}" for k, v in shard["sources"].items()))
    if len(manifest["shards"]) > 20:
        shards.add_row(f"... {len(manifest['shards']) - 20} more", "", "", "")
    console.print(shards)
    if summary.get("tokenizer_error") is not None:
        console.print(f"[yellow]cannot load the tokenizer to decode samples[/yellow] ({escape(summary['tokenizer_error'])})")
    for row in summary.get("decoded_samples", []):
        where = escape(f"[{row['source']}, {row['num_tokens']:,} tokens]")
        console.print(f"[bold cyan]{escape(row['id'])}[/bold cyan] {where}\n  {escape(_shorten(row['text'], 300))}")


def _render_mixture_sources(console: Console, rows: list[dict[str, Any]]) -> None:
    """A mixture's curation per source: documents read, kept and rejected, and the top reasons."""
    table = Table(title="Curation per source", title_justify="left")
    for col in ("source", "inputs", "documents kept", "rejected", "top reasons"):
        table.add_column(col, justify="left" if col in ("source", "top reasons") else "right")
    for row in rows:
        name = row["source"]
        if row["status"] == "curated":
            table.add_row(name, f"{row.get('files', 0):,} files", "(curated Parquet)", "", "")
        elif row["status"] == "stats_missing":
            table.add_row(name, "", "(stats.json missing)", "", "")
        else:
            table.add_row(name, f"{row['inputs']:,}", f"{row['kept']:,}", f"{row['rejected']:,}",
                          ", ".join(f"{r} {n:,}" for r, n in row["top_reasons"]))
    console.print(table)
