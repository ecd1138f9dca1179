"""The ``curate`` command line: run, explain, inspect, stages."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from typing import Any

from curate import __version__


def _progress_view(args: argparse.Namespace) -> Any:
    """The live progress line, unless ``--quiet``."""
    from curate.cli_output import TerminalProgress, make_console

    return None if args.quiet else TerminalProgress(make_console())


def _cmd_run(args: argparse.Namespace) -> int:
    from curate.errors import RunError
    from curate.mixture import is_mixture_file, load_mixture, run_mixture
    from curate.pipeline import load_pipeline
    from curate.run import run_pipeline

    if is_mixture_file(args.pipeline):
        if not args.output:
            raise RunError("no output directory: pass --output DIR")
        run_mixture(
            load_mixture(args.pipeline), args.output, inputs=args.input, executor=args.executor,
            ray_address=args.ray_address, overwrite=args.overwrite, progress=_progress_view(args),
            tokenizer=args.tokenizer, allow_other_files=args.allow_other_files,
        )
        return 0
    if args.tokenizer:
        raise RunError("--tokenizer applies to mixture pipelines; set tokenize: {tokenizer: ...} in the pipeline")
    pipeline = load_pipeline(args.pipeline)
    if args.paths_base_url:
        pipeline.input.paths_base_url = args.paths_base_url
    if args.limit:
        pipeline.input.limit = args.limit
    if args.num_cpus:
        pipeline.execution.num_cpus = args.num_cpus
    result = run_pipeline(
        pipeline,
        inputs=args.input,
        output=args.output,
        executor=args.executor,
        ray_address=args.ray_address,
        overwrite=args.overwrite,
        progress=_progress_view(args),
        allow_other_files=args.allow_other_files,
    )
    return 0 if result.stats.get("warning") is None else 1


def _run_one_stage(args: argparse.Namespace, name: str, settings: dict[str, Any], pipeline_name: str) -> int:
    """Run the stage ``name`` (its ``settings`` that are not None) over a Parquet / JSONL
    dataset, the way the standalone commands (dedup, decontaminate) do."""
    from curate.config import ExecutionConfig, InputConfig
    from curate.pipeline import Pipeline
    from curate.registry import build_stage
    from curate.run import run_pipeline

    stage = build_stage(name, {k: v for k, v in settings.items() if v is not None})
    pipeline = Pipeline(
        stages=[stage],
        name=pipeline_name,
        input=InputConfig(format=args.format, options={"text_field": args.text_field, "id_field": args.id_field, "fields": ["*"]}),
        execution=ExecutionConfig(num_cpus=args.num_cpus),
    )
    run_pipeline(
        pipeline, inputs=args.input, output=args.output, executor=args.executor,
        ray_address=args.ray_address, overwrite=args.overwrite, progress=_progress_view(args),
        allow_other_files=args.allow_other_files,
    )
    return 0


def _cmd_dedup(args: argparse.Namespace) -> int:
    if args.method == "minhash":
        settings = {
            "threshold": args.threshold, "num_perm": args.num_perm, "ngram": args.ngram, "bands": args.bands,
            "rows": args.rows, "verify": args.verify, "keep": args.keep, "index": args.index, "seed": args.seed,
        }
        return _run_one_stage(args, "minhash_dedup", settings, f"dedup-{args.method}")
    return _run_one_stage(args, "exact_dedup", {"key": args.method, "keep": args.keep}, f"dedup-{args.method}")


def _cmd_decontaminate(args: argparse.Namespace) -> int:
    settings = {
        "benchmarks": args.benchmarks, "index": args.index, "ngram": args.ngram, "min_ngram": args.min_ngram,
        "policy": args.policy, "min_matches": args.min_matches, "margin_chars": args.margin_chars,
        "min_remaining_chars": args.min_remaining_chars, "max_pieces": args.max_pieces,
        "broadcast_max_mb": args.broadcast_max_mb,
    }
    return _run_one_stage(args, "decontaminate", settings, "decontaminate")


def _cmd_tokenize(args: argparse.Namespace) -> int:
    from curate.config import ExecutionConfig
    from curate.execution.tasks import task_runner
    from curate.inputs import expand_inputs
    from curate.tokenize.shards import (
        Source,
        TokenizedSettings,
        claim_tokenized_output,
        write_tokenized,
    )

    sources = []
    for spec in args.mix or []:
        name, _, rest = spec.partition("=")
        path, _, weight = rest.rpartition(":") if ":" in rest and rest.rsplit(":", 1)[1].replace(".", "", 1).isdigit() else (rest, "", "")
        if not name or not path:
            raise ValueError(f"--mix {spec!r}: write NAME=PATH[:WEIGHT], e.g. web=out/web/data:0.7")
        files = [f.path for f in expand_inputs([path])]
        sources.append(Source(name, files, float(weight) if weight else None))
    if args.input:
        files = [f.path for f in expand_inputs(args.input)]
        sources.append(Source(args.source_name, files, None))
    if not sources:
        raise ValueError("no inputs: give INPUT paths or --mix NAME=PATH[:WEIGHT]")
    settings = TokenizedSettings(
        tokenizer=args.tokenizer, add_bos=args.bos, add_eos=args.eos, shard_tokens=args.shard_tokens,
        row_group_tokens=args.row_group_tokens, seed=args.seed, total_tokens=args.total_tokens,
        reader={"text_field": args.text_field, "id_field": args.id_field},
    )
    owner = claim_tokenized_output(args.output, overwrite=args.overwrite, allow_other_files=args.allow_other_files)
    with task_runner(args.executor, ExecutionConfig(num_cpus=args.num_cpus), args.ray_address) as runner:
        manifest = write_tokenized(sources, args.output, settings, runner, owner=owner)
    totals = manifest["totals"]
    print(f"done: {totals['documents']:,} documents, {totals['tokens']:,} tokens in {len(manifest['shards'])} shards -> {args.output}")
    for name, info in manifest["mixture"]["sources"].items():
        print(f"  {name:<12} {info['tokens']:>14,} tokens available, rate {info['rate']:.3f}, share {info['achieved']:.3f}" + (f" (weight {info['weight']})" if info["weight"] is not None else ""))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    from curate.mixture import is_mixture_file, load_mixture
    from curate.pipeline import load_pipeline

    if is_mixture_file(args.pipeline):
        print(describe_mixture(load_mixture(args.pipeline)))
    else:
        from curate.pipeline_checks import resolve_prefilter_languages

        pipeline = load_pipeline(args.pipeline)
        notes = resolve_prefilter_languages(pipeline)  # as a run resolves prefilter_languages: auto
        print(pipeline.describe())
        for note in notes:
            print(f"note: {note}")
    return 0


def describe_mixture(mixture: Any) -> str:
    """The plan of a mixture: each source's pipeline (as ``explain`` prints one), then the
    tokenize settings that mix them."""
    from curate.tokenize.shards import TokenizedSettings

    lines = [f"mixture {mixture.name}"]
    for source in mixture.sources:
        weight = "no weight (its natural share)" if source.weight is None else f"weight {source.weight}"
        if source.pipeline is None:
            lines.append(f"  source {source.name}: {weight}; curated data {source.data or source.inputs or '(pass --input ' + source.name + '=PATH)'}")
            continue
        inputs = ", ".join(source.inputs or source.pipeline.input.paths) or f"(pass --input {source.name}=PATH)"
        lines.append(f"  source {source.name}: {weight}; {source.pipeline.source_file or source.pipeline.name} -> OUTPUT/sources/{source.name}")
        lines.append(f"    inputs: {inputs}")
        lines.extend("    " + line for line in source.pipeline.describe().splitlines())
    settings = {f.name: f.default for f in dataclasses.fields(TokenizedSettings)
                if f.name in TOKENIZE_SHOWN and f.default is not dataclasses.MISSING}
    settings.update(mixture.tokenize)
    tokenizer = settings.pop("tokenizer", None) or "(none: pass --tokenizer)"
    lines.append(f"  tokenize    {tokenizer}  {settings}")
    lines.append("              (the sources' kept documents are tokenized, sampled to the weights, shuffled and")
    lines.append("               sharded into OUTPUT/tokens/ with OUTPUT/manifest.json)")
    return "\n".join(lines)


TOKENIZE_SHOWN = ("tokenizer", "add_bos", "add_eos", "total_tokens", "shard_tokens", "row_group_tokens", "seed")


def _cmd_inspect(args: argparse.Namespace) -> int:
    from curate.inspect_view import inspect_output

    inspect_output(args.directory, samples=args.samples, show_rejects=args.rejects)
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    import json

    from curate.diff_view import diff_outputs

    diff = diff_outputs(args.run_a, args.run_b, samples=args.samples)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(diff, f, indent=2, default=str)
            f.write("\n")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from curate.report import write_report

    size = write_report(args.directory, args.output, max_rows=args.max_rows, samples=args.samples, diff_with=args.diff)
    print(f"{args.output} ({size / 1e6:.1f} MB)")
    return 0


def _cmd_stages(args: argparse.Namespace) -> int:
    from curate.registry import registered_stages
    from curate.stage import stateful_by_default

    for name, cls in registered_stages().items():
        declared = cls.__dict__.get("is_global", getattr(cls, "is_global", False))
        if isinstance(declared, property):  # global only with some settings (decontaminate: a large index)
            kind = "actor/global"
        else:
            kind = "global" if declared else "actor" if stateful_by_default(cls) else "task"
        print(f"{name:<28} {kind:<6} {first_sentence(cls.__doc__)}")
    return 0


def first_sentence(doc: str | None) -> str:
    """The first sentence of a docstring's first paragraph, on one line (never cut mid-way)."""
    import re

    paragraph = " ".join(line.strip() for line in (doc or "").strip().split("\n\n", 1)[0].splitlines())
    paragraph = paragraph.replace("``", "")
    match = re.search(r"^.+?[.!?:](?=\s+[A-Z(`]|$)", paragraph)
    sentence = match.group(0) if match else paragraph
    return sentence[:-1] + "." if sentence.endswith(":") else sentence


def _cmd_train_classifier(args: argparse.Namespace) -> int:
    from curate.train_classifier import TrainSettings, format_report, train_classifier

    settings = TrainSettings(
        epoch=args.epoch, lr=args.lr, word_ngrams=args.word_ngrams, dim=args.dim,
        min_count=args.min_count, loss=args.loss, bucket=args.bucket, threads=args.threads, seed=args.seed,
    )
    result = train_classifier(
        args.input, args.output, text_field=args.text_field, label_field=args.label_field,
        test_fraction=args.test_fraction, settings=settings, max_chars=args.max_chars or None,
        lowercase=args.lowercase, positive_label=args.positive_label, quantize=args.quantize,
        verbose=0 if args.quiet else (2 if sys.stderr.isatty() else 1),
    )
    print(format_report(result.report))
    print(f"report      {result.report_path}", flush=True)
    return 0


def _execution_options(parser: argparse.ArgumentParser, output: bool) -> None:
    """Where a command runs (``--executor``, ``--ray-address``, ``--num-cpus``), what it
    may do to an existing output (``--overwrite``, ``--allow-other-files``) and, for
    commands that write a run output, ``--quiet``."""
    parser.add_argument("--executor", choices=["auto", "ray", "local"], default="auto",
                        help="auto (default): this process for small local inputs (up to 32 MB), else Ray; "
                        "ray: an embedded Ray, or the cluster at --ray-address; local: this process")
    parser.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"), help="Ray cluster to run on (default: start a local Ray)")
    parser.add_argument("--num-cpus", type=int, help="CPUs for the embedded local Ray")
    parser.add_argument("--overwrite", action="store_true", help="replace the output curate wrote there before (it deletes only files it wrote)")
    parser.add_argument("--allow-other-files", action="store_true",
                        help="write into an output folder that also holds files curate did not write (they are never deleted)")
    if output:
        parser.add_argument("--quiet", "-q", action="store_true", help="no progress display")


def _dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The input and output of a command that runs one stage over a Parquet / JSONL dataset
    (see :func:`_run_one_stage`)."""
    parser.add_argument("input", nargs="+", help="Parquet or JSONL files, directories or globs (a curate output's data/ works)")
    parser.add_argument("--output", "-o", required=True, help="output directory")
    parser.add_argument("--format", default="auto", choices=["auto", "parquet", "jsonl"], help="input format (default: by file name)")
    parser.add_argument("--text-field", default="text", help="column holding the text (default text)")
    parser.add_argument("--id-field", default="id", help="column holding the document id (default id; derived from the row when absent)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="curate", description="Curate pre-training data on Ray.")
    parser.add_argument("--version", action="version", version=f"curate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a YAML pipeline")
    run.add_argument("pipeline", help="pipeline YAML file (see pipelines/)")
    run.add_argument("--input", "-i", nargs="+", action="extend", help="files, directories, globs, URLs (s3://, https://) or *.paths.gz listings; for a mixture NAME=PATH per source")
    run.add_argument("--output", "-o", help="output directory (local path or URL)")
    run.add_argument("--paths-base-url", help="prefix for the lines of a warc.paths.gz listing (default https://data.commoncrawl.org/)")
    run.add_argument("--limit", type=int, help="process only the first N inputs")
    run.add_argument("--tokenizer", help="mixture pipelines: the tokenizer (tokenizer.json path, tiktoken:NAME or hub name), replacing tokenize.tokenizer")
    _execution_options(run, output=True)
    run.set_defaults(func=_cmd_run)

    dedup = sub.add_parser(
        "dedup",
        help="deduplicate a Parquet or JSONL dataset (MinHash-LSH near duplicates, or exact)",
        description="Remove near-duplicate (minhash) or exact duplicate documents from a dataset, "
        "writing the same layout as curate run: data/ (kept, with duplicate_cluster_id and "
        "duplicate_cluster_size), rejects/ (with duplicate_of), stats.json.",
    )
    _dataset_arguments(dedup)
    dedup.add_argument("--method", choices=["minhash", "text", "url"], default="minhash",
                       help="minhash: near duplicates (default); text: exact duplicates of normalised text; url: same URL")
    dedup.add_argument("--threshold", type=float, help="Jaccard similarity of 5-word shingle sets that makes a duplicate (default 0.8)")
    dedup.add_argument("--num-perm", type=int, help="MinHash permutations (default 128)")
    dedup.add_argument("--ngram", type=int, help="words per shingle (default 5)")
    dedup.add_argument("--bands", type=int, help="LSH bands (default: derived from --threshold)")
    dedup.add_argument("--rows", type=int, help="signature values per band (with --bands)")
    dedup.add_argument("--verify", choices=["none", "estimated", "exact"], help="check candidate pairs: exact (true Jaccard of the shingle sets, default), estimated (full signatures: faster, no text needed) or none")
    dedup.add_argument("--keep", default="first", help="which document of a cluster stays: first (input order), longest, or score:COLUMN (highest)")
    dedup.add_argument("--index", nargs="+", help="earlier runs' dedup index folders (OUT/_curate/dedup/minhash_dedup): also drop documents that duplicate those")
    dedup.add_argument("--seed", type=int, help="seed of the MinHash permutations (default 1)")
    _execution_options(dedup, output=True)
    dedup.set_defaults(func=_cmd_dedup)

    decont = sub.add_parser(
        "decontaminate",
        help="find benchmark text (n-gram overlap) in a Parquet or JSONL dataset: drop, cut or flag it",
        description="Look every document's word 13-grams (case, punctuation and spacing ignored) up in an index of "
        "the benchmarks' n-grams, built once and saved (OUT/_curate/decontaminate/, or --index DIR), and drop the "
        "documents that contain any (reason contaminated:<benchmark>), cut the overlapping spans out, or only flag "
        "them. Writes the layout of curate run: data/ (with contamination_* columns), rejects/, stats.json (documents "
        "and benchmark items touched per benchmark).",
    )
    _dataset_arguments(decont)
    decont.add_argument("--benchmarks", "-b", nargs="+", action="extend",
                        help="NAME=PATH#FIELD,FIELD (JSONL or Parquet files) or NAME=hf:DATASET[/CONFIG]@SPLIT#FIELDS "
                        "(Hugging Face datasets: a Hub name or a save_to_disk folder); without #FIELDS every string field")
    decont.add_argument("--index", help="a saved index folder: reused when it matches --benchmarks (or used as it is "
                        "without them), built there when empty")
    decont.add_argument("--policy", choices=["drop", "remove_spans", "flag"], help="drop (default): drop contaminated "
                        "documents; remove_spans: cut the matched spans plus a margin, drop only when too little is left; "
                        "flag: add columns only")
    decont.add_argument("--ngram", type=int, help="words per n-gram (default 13)")
    decont.add_argument("--min-ngram", type=int, help="benchmark items with fewer words than --ngram but at least this "
                        "many are matched whole (default 8); shorter ones are not indexed")
    decont.add_argument("--min-matches", type=int, help="benchmark n-grams that make a document contaminated (default 1)")
    decont.add_argument("--margin-chars", type=int, help="remove_spans: characters cut on each side of a match (default 200)")
    decont.add_argument("--min-remaining-chars", type=int, help="remove_spans: drop a document left shorter (default 200)")
    decont.add_argument("--max-pieces", type=int, help="remove_spans: drop a document cut into more pieces (default 10)")
    decont.add_argument("--broadcast-max-mb", type=float, help="an index larger than this is joined by hash partition "
                        "instead of loaded in every worker (default 1024)")
    _execution_options(decont, output=True)
    decont.set_defaults(func=_cmd_decontaminate)

    tok = sub.add_parser(
        "tokenize",
        help="tokenize Parquet/JSONL documents into shuffled, sharded tokenized Parquet with a manifest",
        description="Tokenize documents (a curate output's data/ or any Parquet with a text column) into "
        "DIR/tokens/shard-*.parquet (id, input_ids, num_tokens, source) and DIR/manifest.json, shuffled "
        "across shards for a seed; --mix combines sources with weights by tokens.",
    )
    tok.add_argument("input", nargs="*", help="Parquet files, directories or globs (one source)")
    tok.add_argument("--tokenizer", "-t", required=True, help="tokenizer.json path, tiktoken:NAME (cl100k_base, o200k_base, ...) or a Hugging Face Hub name")
    tok.add_argument("--output", "-o", required=True, help="output directory")
    tok.add_argument("--mix", nargs="+", action="extend", help="sources as NAME=PATH[:WEIGHT], e.g. web=out/web/data:0.7 books=out/books/data:0.15")
    tok.add_argument("--source-name", default="default", help="source name of plain INPUT paths (default 'default')")
    tok.add_argument("--total-tokens", type=int, help="tokens in the mixture (default: the sum of the sources)")
    tok.add_argument("--shard-tokens", type=int, default=100_000_000, help="target tokens per shard (default 100M)")
    tok.add_argument("--row-group-tokens", type=int, default=1_000_000, help="target tokens per Parquet row group (default 1M)")
    tok.add_argument("--seed", type=int, default=0, help="shuffle and sampling seed (default 0)")
    tok.add_argument("--bos", action=argparse.BooleanOptionalAction, default=None, help="add BOS to each document (default: when the tokenizer has one)")
    tok.add_argument("--eos", action=argparse.BooleanOptionalAction, default=True, help="add EOS to each document (default on)")
    tok.add_argument("--text-field", default="text", help="column holding the document text (default text)")
    tok.add_argument("--id-field", default="id", help="column holding the document id (default id; derived from the row when absent)")
    _execution_options(tok, output=False)
    tok.set_defaults(func=_cmd_tokenize)

    explain = sub.add_parser("explain", help="print how a pipeline will run")
    explain.add_argument("pipeline", help="pipeline or mixture YAML file (see pipelines/)")
    explain.set_defaults(func=_cmd_explain)

    inspect = sub.add_parser("inspect", help="summarise an output directory")
    inspect.add_argument("directory", help="an output of curate run, dedup or tokenize, or a mixture (local path or URL)")
    inspect.add_argument("--samples", type=int, default=3, help="sample documents to show")
    inspect.add_argument("--rejects", action="store_true", help="also show sample rejected documents per reason")
    inspect.set_defaults(func=_cmd_inspect)

    diff = sub.add_parser(
        "diff",
        help="compare two outputs of curate run: which documents one kept and the other did not, and why",
        description="Match the documents of two outputs of curate run by id and show which each run kept that "
        "the other did not (by the other run's stage and reason, with examples and their scores), documents "
        "rejected for different reasons, the two funnels per stage, and the settings that differ.",
    )
    diff.add_argument("run_a", help="the first output directory (A; local path or URL)")
    diff.add_argument("run_b", help="the second output directory (B; local path or URL)")
    diff.add_argument("--samples", type=int, default=3, help="example documents per reason (default 3)")
    diff.add_argument("--json", metavar="FILE", help="also write the comparison as JSON to FILE")
    diff.set_defaults(func=_cmd_diff)

    report = sub.add_parser(
        "report",
        help="write one offline HTML page about an output: funnel, score distributions, what-ifs, dedup, examples",
        description="Write one self-contained HTML file (no server, no network) for an output of curate run: the "
        "funnel per stage from stats.json, histograms of every score kept vs dropped with the pipeline's thresholds, "
        "the kept fraction as each threshold moves, languages, text lengths, the dedup clusters and example "
        "documents; for a tokenized or mixture output, tokens per source and shard, the achieved mixture against "
        "its weights, and decoded samples.",
    )
    report.add_argument("directory", help="an output of curate run, tokenize or a mixture (local path or URL)")
    report.add_argument("-o", "--output", required=True, metavar="FILE", help="the HTML file to write (e.g. report.html)")
    report.add_argument("--max-rows", type=int, default=20_000, metavar="N",
                        help="rows read at most from data/ and from rejects/ each for the charts (default 20000)")
    report.add_argument("--samples", type=int, default=3, help="example documents kept, and per drop reason (default 3)")
    report.add_argument("--diff", metavar="RUN_B", help="also compare with another output of curate run (as curate diff "
                        "OUTPUT RUN_B): counts, changed settings, documents only one run kept and why")
    report.set_defaults(func=_cmd_report)

    stages = sub.add_parser("stages", help="list the registered stages")
    stages.set_defaults(func=_cmd_stages)

    train = sub.add_parser(
        "train-classifier",
        help="train a fastText classifier for fasttext_classifier from labelled JSONL/Parquet",
        description="Train a supervised fastText classifier (needs pip install 'curate[train]'), "
        "report precision/recall on a held-out split, and write MODEL.bin plus MODEL.json.",
    )
    train.add_argument("input", nargs="+", help="labelled .jsonl(.gz) or .parquet files")
    train.add_argument("--output", "-o", required=True, help="model path (.bin); the report goes to the same name .json")
    train.add_argument("--text-field", default="text", help="column with the document text (default text)")
    train.add_argument("--label-field", default="label", help="column with the label: 0/1, bool or string (default label)")
    train.add_argument("--positive-label", help="label whose probability the filter scores (default: 1 or hq when present)")
    train.add_argument("--test-fraction", type=float, default=0.1, help="held-out share of each label (default 0.1; 0 = none)")
    train.add_argument("--seed", type=int, default=0, help="seed of the split and of fastText (default 0)")
    train.add_argument("--epoch", type=int, default=25, help="passes over the data (default 25; 5 suffices for 100k+ documents)")
    train.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    train.add_argument("--word-ngrams", type=int, default=2, help="word n-grams (default 2, as DCLM)")
    train.add_argument("--dim", type=int, default=100, help="size of the word vectors (default 100)")
    train.add_argument("--min-count", type=int, default=1, help="words seen fewer times are ignored (default 1)")
    train.add_argument("--loss", default="softmax", choices=["softmax", "hs", "ova", "ns"],
                       help="softmax (default), hs (hierarchical softmax, faster with many labels), ova (one-vs-all, independent labels) or ns (negative sampling)")
    train.add_argument("--bucket", type=int, default=2_000_000, help="n-gram hash buckets (model size ~ bucket*dim*4 bytes; default 2000000)")
    train.add_argument("--threads", type=int, default=11, help="fastText training threads (default and minimum 11, whatever the number of cores: fastText "
                       "fills its model in blocks, one per thread, and with fewer threads most rows stay uninitialised; "
                       "threads share the cores, and runs differ slightly)")
    train.add_argument("--max-chars", type=int, default=100_000, help="characters of each document used (default 100000; 0 = all)")
    train.add_argument("--lowercase", action="store_true", help="lowercase the text (then run the filter with lowercase: true)")
    train.add_argument("--quantize", action="store_true", help="also write a quantized MODEL.ftz")
    train.add_argument("--quiet", "-q", action="store_true", help="no fastText progress output")
    train.set_defaults(func=_cmd_train_classifier)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import logging

    from curate.cli_output import install, make_console

    handler = install(make_console())  # for this command only (main may be called again in one process)
    try:
        return _dispatch(args)
    finally:
        logging.getLogger("curate").removeHandler(handler)


def _dispatch(args: argparse.Namespace) -> int:
    from curate.errors import RunError
    from curate.inputs import InputError
    from curate.pipeline import PipelineConfigError
    from curate.registry import UnknownStageError
    from curate.stage import MissingDependencyError

    try:
        return args.func(args)
    except (RunError, InputError, PipelineConfigError, UnknownStageError, MissingDependencyError, FileNotFoundError, ValueError) as exc:
        print(f"curate: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("curate: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a stage failed on a worker: one line, the root cause
        if os.environ.get("CURATE_DEBUG"):
            raise
        root = root_cause(exc)
        if isinstance(root, ImportError):  # on the driver or on a worker: a missing package, not a failed input
            hint = " (s3:// needs it: pip install 'curate[s3]' on every node)" if getattr(root, "name", "") == "s3fs" else ""
            print(f"curate: error: {type(root).__name__}: {root}{hint}; install it and run the same command again", file=sys.stderr)
            return 2
        print(
            f"curate: error: {type(root).__name__}: {root}; completed inputs are kept, "
            "re-run the same command to resume (CURATE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1


def root_cause(exc: BaseException) -> BaseException:
    """The innermost error behind Ray's wrappers (``RayTaskError``, ``UserCodeException``)."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "cause", None) or exc.__cause__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


# Modules every ``curate`` subcommand imports (the ``pipeline`` extra); the base install
# (the loader alone) lacks them.
COMMAND_MODULES = {"yaml": "pyyaml", "pydantic": "pydantic", "rich": "rich"}


def missing_command_packages() -> list[str]:
    """The packages of :data:`COMMAND_MODULES` that are not installed."""
    import importlib.util

    return [package for module, package in COMMAND_MODULES.items() if importlib.util.find_spec(module) is None]


def run_and_exit(argv: list[str] | None = None) -> None:
    """The ``curate`` command: run it, then leave without the interpreter's teardown.

    By then every output is written and committed and any Ray this process started is
    stopped.  What remains are threads of Ray and Arrow that may still be inside C++ code;
    tearing the interpreter down under them can abort the process (SIGABRT from
    ``pthread_exit`` unwinding through a C++ destructor) after the command succeeded.

    What native code writes to stderr (Ray's C++ logging) goes to a log file that is
    named at the end when it holds more than Ray's usual notices (``CURATE_DEBUG=1``
    leaves it on the terminal).
    """
    missing = missing_command_packages()
    if missing:
        print(f"curate: the command needs curate's pipeline extras (missing: {', '.join(missing)}); "
              "install them with: pip install 'curate[all]' (plain `pip install curate` is the training-data loader only)",
              file=sys.stderr)
        sys.exit(2)
    from curate.cli_output import NativeStderr

    native = None if os.environ.get("CURATE_DEBUG") else NativeStderr()
    code = 1
    try:
        if native is not None:
            native.start()
        code = main(argv)
    finally:
        note = native.finish() if native is not None else None
        if note:
            print(f"curate: {note}", file=sys.stderr)
        exit_now(code)


def exit_now(code: int) -> None:
    """Flush what was printed and logged, then end the process with ``code`` at once."""
    import logging

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    run_and_exit()
