"""What cheap signals predict about the full extraction path: evidence for a cascade.

Question: trafilatura is ~90% of the CPU time of ``pipelines/commoncrawl.yaml``.  Can a cheap
first pass (resiliparse plain text, fastText language ID and the cheap rules on that text)
tell which pages the full path would reject anyway, so that they skip trafilatura, while
the set of kept documents stays (nearly) the same?

Method, for every HTML response record of the given WARC files (records the reader itself
rejects -- not HTML, HTTP errors, too large -- are the same on both paths and not counted):

1. **Full path**: the pipeline's own ``extract_html`` stage (trafilatura with the pipeline's
   settings, through ``ExtractHtml.extract_one`` so that each page's CPU time is measured),
   then every stage after it up to and including ``fineweb_quality`` (language ID, language
   filter, Gopher repetition, Gopher quality, C4, FineWeb) run with ``curate.stage.run_stage``
   on Arrow tables, exactly as a run does (no dedup, no PII).  Records keep/drop and the
   stage and reason of the drop.
2. **Cheap signals** for two resiliparse variants of the text (``extract_plain_text`` with
   ``main_content=True`` -- prefix ``m`` -- and ``main_content=False`` -- prefix ``a``, all
   visible text): its words and characters, the same ``fasttext_language_id`` stage on it,
   the ``language_filter`` verdict, and each rule stage (``gopher_repetition``,
   ``gopher_quality``, ``c4_quality``, ``fineweb_quality``) applied *independently* to it,
   plus the whole chain (language filter then the rules, in pipeline order) on it.  Also
   the raw HTML size.
3. **Candidate skip rules** (a page skips trafilatura and is dropped when the rule fires):
   for each, the share of pages skipped, the false skips (pages the full path KEPT), the
   kept-set Jaccard cascade vs full path (= (K - false skips) / K, since a cascade can only
   remove pages from the kept set), the share of trafilatura CPU time skipped, and the net
   CPU saving of the whole extraction-to-fineweb path after paying for the cheap signals on
   every page.  CPU is ``time.process_time`` in this one process: per page for the
   extractors, per batch for language ID and rules (spread evenly over the batch's pages).
   Report ratios; absolute times depend on the machine and on what shares the CPU.

The candidate list covers single signals at several (conservative) thresholds and their
combinations; a greedy search also adds, one by one, the signal with the best
skipped-per-false-skip ratio while the kept-set Jaccard stays >= ``--target``.

Usage::

    python benchmarks/cascade_signals.py /tmp/bench/b3000.warc.gz --limit 1500 \\
        --dump /tmp/bench/b3000.signals.jsonl
    python benchmarks/cascade_signals.py /tmp/bench/mix.warc.gz --dump /tmp/bench/mix.signals.jsonl
    # re-evaluate rules without re-measuring (one or several dumps, each its own table):
    python benchmarks/cascade_signals.py --load /tmp/bench/b3000.signals.jsonl /tmp/bench/mix.signals.jsonl

The language-mix corpus is built from real pages with ``/work/shared/tools/make_bench_warc.py``:
every real page of ``warc/resiliparse`` (warcfile: CC-MAIN-2020-34, mostly zh/ja/ru/de/nl;
clueweb-quirk: Japanese), ``warc/commoncrawl-whirlwind`` and ``warc/dolma`` (English), plus
the wcxb / article-extraction-benchmark pages whose *ground-truth* text is not English
(fastText on the ground truth, so the choice does not depend on the signals measured
here) and 22 random pages with English ground truth, linked into one folder::

    python /work/shared/tools/make_bench_warc.py --pages /tmp/bench/mixpages --records 400 \
        --out /tmp/bench/mix.warc.gz --labels /tmp/bench/mix.labels.jsonl

(131 real pages, 47% English among them; the other 269 records are the generator's exact,
near and variant copies).  ``--labels`` adds the generator's
``kind`` (original/exact/near/variant) to each page so ``--kinds original`` can restrict
the evaluation to real, unedited pages.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from curate.pipeline import load_pipeline  # noqa: E402
from curate.readers.base import InputFile, ReadReport  # noqa: E402
from curate.readers.warc import WarcReader  # noqa: E402
from curate.schema import CHARSET, DROPPED_BY, ID, PAYLOAD, REASON, TEXT, URL  # noqa: E402
from curate.stage import Stage, run_stage  # noqa: E402
from curate.stages.extract import ExtractHtml  # noqa: E402

LAST_STAGE = "fineweb_quality"
RULES = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")
RULE_KEY = {"gopher_repetition": "gr", "gopher_quality": "gq", "c4_quality": "c4", "fineweb_quality": "fw"}
VARIANTS = {"m": {"main_content": True}, "a": {"main_content": False}}


# -- measurement --------------------------------------------------------------------------


def pipeline_stages(path: str) -> tuple[Any, list[Stage]]:
    """The pipeline and its stages from ``extract_html`` up to ``fineweb_quality``."""
    pipeline = load_pipeline(path)
    stages: list[Stage] = []
    for stage in pipeline.stages:
        stages.append(stage)
        if stage.name == LAST_STAGE:
            break
    if stages[0].name != "extract_html" or stages[-1].name != LAST_STAGE:
        raise SystemExit(f"{path}: expected extract_html ... {LAST_STAGE}")
    return pipeline, stages


def extract_table(extractor: ExtractHtml, rows: list[dict[str, Any]]) -> tuple[pa.Table, list[float]]:
    """Run ``extractor`` page by page (timed); a table of id/text with extraction drops marked."""
    texts: list[str | None] = []
    reasons: list[str | None] = []
    cpu: list[float] = []
    for row in rows:
        t0 = time.process_time()
        text, reason = extractor.extract_one(row[PAYLOAD], row[CHARSET], row[URL])
        cpu.append(time.process_time() - t0)
        texts.append(text)
        reasons.append(reason)
    table = pa.table(
        {
            ID: pa.array([r[ID] for r in rows], pa.string()),
            TEXT: pa.array(texts, pa.large_string()),
            DROPPED_BY: pa.array([extractor.stage_id if r else None for r in reasons], pa.string()),
            REASON: pa.array(reasons, pa.string()),
        }
    )
    return table, cpu


def timed_stage(stage: Stage, table: pa.Table, costs: Counter, key: str) -> pa.Table:
    stage.ensure_setup()
    t0 = time.process_time()
    out, _ = run_stage(stage, table)
    costs[key] += time.process_time() - t0
    return out


def by_id(table: pa.Table, columns: list[str]) -> dict[str, dict[str, Any]]:
    cols = {c: table[c].to_pylist() if c in table.column_names else [None] * table.num_rows for c in columns}
    return {i: {c: cols[c][k] for c in columns} for k, i in enumerate(table[ID].to_pylist())}


def measure_batch(rows: list[dict[str, Any]], stages: list[Stage], cheap: dict[str, ExtractHtml], costs: Counter) -> list[dict[str, Any]]:
    named = {s.name: s for s in stages}
    lid, langf = named["fasttext_language_id"], named["language_filter"]
    pages = [
        {"id": r[ID], "url": r[URL], "html_bytes": len(r[PAYLOAD]), "kind": r.get("kind")} for r in rows
    ]
    # 1. full path
    table, cpu = extract_table(stages[0], rows)
    costs["full:extract"] += sum(cpu)
    for stage in stages[1:]:
        table = timed_stage(stage, table, costs, f"full:{stage.name}")
    full = by_id(table, [DROPPED_BY, REASON, "language", "language_score", TEXT])
    for page, t in zip(pages, cpu):
        f = full[page["id"]]
        page.update(
            traf_cpu=t,
            full_keep=f[DROPPED_BY] is None,
            full_dropped_by=f[DROPPED_BY],
            full_reason=f[REASON],
            full_lang=f["language"],
            full_score=f["language_score"],
        )
    # 2. cheap signals, per resiliparse variant
    for v, extractor in cheap.items():
        table, cpu = extract_table(extractor, rows)
        costs[f"{v}:extract"] += sum(cpu)
        table = timed_stage(lid, table, costs, f"{v}:lid")
        lang = by_id(table, [TEXT, "language", "language_score", REASON])
        lf = by_id(timed_stage(langf, table, costs, f"{v}:language_filter"), [REASON])
        rule_out = {}
        for name in RULES:
            rule_out[name] = by_id(timed_stage(named[name], table, costs, f"{v}:{name}"), [REASON])
        chain = table
        for stage in stages[stages.index(langf) :]:
            chain = run_stage(stage, chain)[0]
        chain_out = by_id(chain, [DROPPED_BY, REASON])
        for page, t in zip(pages, cpu):
            i = page["id"]
            text = lang[i][TEXT] or ""
            page[f"{v}_cpu"] = t
            page[f"{v}_ok"] = lang[i][REASON] is None
            page[f"{v}_words"] = len(text.split())
            page[f"{v}_chars"] = len(text)
            page[f"{v}_lang"] = lang[i]["language"]
            page[f"{v}_score"] = lang[i]["language_score"]
            page[f"{v}_lf"] = lf[i][REASON] if lang[i][REASON] is None else None
            for name in RULES:
                page[f"{v}_{RULE_KEY[name]}"] = rule_out[name][i][REASON] if lang[i][REASON] is None else None
            page[f"{v}_chain"] = chain_out[i][REASON]
    return pages


def measure(paths: list[str], pipeline_path: str, limit: int | None, batch: int, labels: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, float]]:
    pipeline, stages = pipeline_stages(pipeline_path)
    extract: ExtractHtml = stages[0]  # type: ignore[assignment]
    cheap = {
        v: ExtractHtml(engine="resiliparse", timeout_s=extract.timeout_s, resiliparse_options=opts, label=f"resiliparse_{v}")
        for v, opts in VARIANTS.items()
    }
    options = {k: v for k, v in (pipeline.input.options or {}).items() if k in ("max_payload_bytes", "min_payload_bytes", "keep_http_errors")}
    reader = WarcReader(batch_rows=batch, **options)
    costs: Counter = Counter()
    pages: list[dict[str, Any]] = []
    skipped_by_reader: Counter = Counter()
    for path in paths:
        taken = 0
        report = ReadReport(path, "k")
        for table in reader.read(InputFile(path), report):
            dropped = table[DROPPED_BY]
            for reason in pc.filter(table[REASON], pc.is_valid(dropped)).to_pylist():
                skipped_by_reader[reason] += 1
            live = table.filter(pc.is_null(dropped)).select([ID, URL, PAYLOAD, CHARSET]).to_pylist()
            if limit is not None:
                live = live[: max(0, limit - taken)]
            for row in live:
                row["kind"] = labels.get(row[URL])
            if live:
                pages += measure_batch(live, stages, cheap, costs)
                taken += len(live)
                print(f"  {path}: {taken} pages", file=sys.stderr, flush=True)
            if limit is not None and taken >= limit:
                break
    if skipped_by_reader:
        print(f"  records the reader rejected (not counted): {dict(skipped_by_reader)}", file=sys.stderr)
    return pages, dict(costs)


# -- evaluation -----------------------------------------------------------------------------

Rule = tuple[str, Callable[[dict[str, Any]], bool], frozenset[str]]


def not_en(p: dict[str, Any], v: str, x: float) -> bool:
    """Cheap LID says some other language with top-1 score >= x."""
    return bool(p[f"{v}_ok"]) and p[f"{v}_lang"] not in (None, "en") and p[f"{v}_score"] >= x


def en_score(p: dict[str, Any], v: str) -> float:
    """The English probability when English is top-1, else 0 (it is then < 0.5)."""
    return p[f"{v}_score"] if p[f"{v}_lang"] == "en" else 0.0


def candidate_rules() -> list[Rule]:
    rules: list[Rule] = []

    def add(name: str, fn: Callable[[dict[str, Any]], bool], needs: set[str]) -> None:
        rules.append((name, fn, frozenset(needs)))

    for v in VARIANTS:
        ex, lid = f"{v}:extract", f"{v}:lid"
        add(f"{v}: no text", lambda p, v=v: not p[f"{v}_ok"], {ex})
        for n in (10, 20, 30, 50):
            add(f"{v}: words < {n}", lambda p, v=v, n=n: p[f"{v}_words"] < n, {ex})
        for x in (0.5, 0.65, 0.8, 0.9, 0.95):
            add(f"{v}: LID not-en, score >= {x}", lambda p, v=v, x=x: not_en(p, v, x), {ex, lid})
        for y in (0.1, 0.2, 0.3, 0.5):
            add(f"{v}: en-score < {y} (text present)", lambda p, v=v, y=y: p[f"{v}_ok"] and en_score(p, v) < y, {ex, lid})
        add(f"{v}: language_filter rejects", lambda p, v=v: p[f"{v}_lf"] is not None, {ex, lid, f"{v}:language_filter"})
        for name in RULES:
            k = RULE_KEY[name]
            add(f"{v}: {name} rejects", lambda p, v=v, k=k: p[f"{v}_{k}"] is not None, {ex, lid, f"{v}:{name}"})
        add(f"{v}: chain (lang+rules) rejects", lambda p, v=v: p[f"{v}_chain"] is not None,
            {ex, lid, f"{v}:language_filter", *(f"{v}:{n}" for n in RULES)})
    # agreement of both variants
    for x in (0.5, 0.65, 0.8):
        add(f"m&a: LID not-en >= {x} in both", lambda p, x=x: not_en(p, "m", x) and not_en(p, "a", x),
            {"m:extract", "m:lid", "a:extract", "a:lid"})
    add("a: no text OR words < 20", lambda p: (not p["a_ok"]) or p["a_words"] < 20, {"a:extract"})
    for x in (0.65, 0.8, 0.9):
        add(f"a: LID not-en >= {x} OR words < 20", lambda p, x=x: not_en(p, "a", x) or p["a_words"] < 20, {"a:extract", "a:lid"})
        add(f"m: LID not-en >= {x} OR a: words < 20",
            lambda p, x=x: not_en(p, "m", x) or p["a_words"] < 20, {"m:extract", "m:lid", "a:extract"})
    for v in VARIANTS:
        for reason in ("too_few_words", "too_few_alpha_words"):
            add(f"{v}: gopher_quality says {reason}", lambda p, v=v, r=reason: p[f"{v}_gq"] == f"gopher:{r}",
                {f"{v}:extract", f"{v}:lid", f"{v}:gopher_quality"})
    add("a: LID not-en >= 0.8 OR words < 20 OR gopher too_few_words",
        lambda p: not_en(p, "a", 0.8) or p["a_words"] < 20 or p["a_gq"] == "gopher:too_few_words",
        {"a:extract", "a:lid", "a:gopher_quality"})
    return rules


def evaluate(pages: list[dict[str, Any]], costs: dict[str, float], rule: Rule) -> dict[str, Any]:
    name, fn, needs = rule
    n = len(pages)
    kept = sum(p["full_keep"] for p in pages)
    skip = [p for p in pages if fn(p)]
    false = sum(p["full_keep"] for p in skip)
    traf_total = sum(p["traf_cpu"] for p in pages) or 1e-12
    traf_saved = sum(p["traf_cpu"] for p in skip)
    full_total = sum(v for k, v in costs.items() if k.startswith("full:")) or 1e-12
    # The stages after extraction cost per page about the same on skipped pages: spread evenly.
    downstream = (full_total - costs.get("full:extract", 0.0)) / max(n, 1)
    cheap = sum(costs.get(k, 0.0) for k in needs)
    saved = traf_saved + downstream * len(skip) - cheap
    return {
        "rule": name,
        "skip": len(skip) / max(n, 1),
        "n_skip": len(skip),
        "false_skips": false,
        "jaccard": (kept - false) / kept if kept else 1.0,
        "traf_saved": traf_saved / traf_total,
        "cheap_cost": cheap / full_total,
        "net_saving": saved / full_total,
    }


def greedy(pages: list[dict[str, Any]], costs: dict[str, float], rules: list[Rule], target: float) -> list[dict[str, Any]]:
    """Add signals one by one (OR) with the best skipped/false-skip ratio while Jaccard >= target."""
    chosen: list[Rule] = []
    steps = []
    while True:
        best = None
        for rule in rules:
            if rule in chosen:
                continue
            combo = chosen + [rule]
            fns = [r[1] for r in combo]
            merged: Rule = (" OR ".join(r[0] for r in combo), lambda p, fns=fns: any(f(p) for f in fns), frozenset().union(*(r[2] for r in combo)))
            res = evaluate(pages, costs, merged)
            if res["jaccard"] < target:
                continue
            base = steps[-1]["n_skip"] if steps else 0
            gain = res["n_skip"] - base
            if gain <= 0 or res["net_saving"] <= (steps[-1]["net_saving"] if steps else 0.0):
                continue
            fs = res["false_skips"] - (steps[-1]["false_skips"] if steps else 0)
            score = (gain / (fs + 0.5), res["net_saving"])
            if best is None or score > best[0]:
                best = (score, rule, res)
        if best is None:
            return steps
        chosen.append(best[1])
        steps.append(best[2] | {"added": best[1][0]})


def fmt_table(rows: list[dict[str, Any]], first: str = "rule") -> str:
    head = f"| {first} | skip % | skipped | false skips | kept Jaccard | trafilatura CPU skipped % | cheap cost % | net CPU saving % |"
    lines = [head, "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r.get('added', r['rule'])} | {100 * r['skip']:.1f} | {r['n_skip']} | {r['false_skips']} | {r['jaccard']:.4f} | "
            f"{100 * r['traf_saved']:.1f} | {100 * r['cheap_cost']:.1f} | {100 * r['net_saving']:.1f} |"
        )
    return "\n".join(lines)


def summary(name: str, pages: list[dict[str, Any]], costs: dict[str, float], target: float, show_all: bool) -> None:
    n = len(pages)
    kept = sum(p["full_keep"] for p in pages)
    full_en = sum(p["full_lang"] == "en" for p in pages)
    a_en = sum(p["a_lang"] == "en" for p in pages)
    print(f"\n## {name}: {n} HTML pages, full path keeps {kept} ({100 * kept / max(n, 1):.1f}%)")
    print(f"English share: {100 * full_en / max(n, 1):.1f}% by LID on trafilatura text, {100 * a_en / max(n, 1):.1f}% by LID on resiliparse all-text")
    kinds = Counter(p.get("kind") for p in pages)
    if any(kinds):
        print(f"kinds: {dict(kinds)}")
    drops = Counter(f"{p['full_dropped_by']}: {p['full_reason']}" for p in pages if not p["full_keep"])
    print("full-path drops: " + ", ".join(f"{k} {v}" for k, v in drops.most_common()))
    per_page = {k: v / max(n, 1) for k, v in costs.items()}
    traf = per_page.get("full:extract", 1e-12)
    full_total = sum(v for k, v in per_page.items() if k.startswith("full:"))
    print(f"\nCPU per page (process_time): trafilatura {1000 * traf:.2f} ms = {100 * traf / full_total:.1f}% of the full path "
          f"(extract..fineweb, {1000 * full_total:.2f} ms).  Cheap signals as a ratio of trafilatura:")
    print("| signal | ms/page | x trafilatura |\n|---|---:|---:|")
    for k in sorted(per_page):
        print(f"| {k} | {1000 * per_page[k]:.3f} | {per_page[k] / traf:.4f} |")
    rules = candidate_rules()
    results = [evaluate(pages, costs, r) for r in rules]
    if not show_all:
        results = [r for r in results if r["jaccard"] >= 0.9]
    print(f"\n### candidate skip rules (each alone){'' if show_all else '; rules with Jaccard < 0.9 not shown'}\n")
    print(fmt_table(results))
    print(f"\n### greedy OR-combination, kept-set Jaccard >= {target}\n")
    print(fmt_table(greedy(pages, costs, rules, target), first="added signal (cumulative)"))
    for rule in rules:
        if rule[0] in RECOMMENDED:
            fs = [p for p in pages if rule[1](p) and p["full_keep"]]
            for p in fs[:10]:
                print(f"  false skip of '{rule[0]}': {p['url']} full_lang={p['full_lang']}:{p['full_score'] or 0:.2f} "
                      f"a={p['a_lang']}:{p['a_score'] or 0:.2f} words a={p['a_words']} m={p['m_words']}")


# Rules whose false skips are listed page by page (the recommended cascade and neighbours).
RECOMMENDED = ("a: LID not-en, score >= 0.65", "a: LID not-en >= 0.8 OR words < 20", "a: en-score < 0.5 (text present)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warcs", nargs="*", help="WARC files to measure (or dumps with --load)")
    ap.add_argument("--pipeline", default=str(ROOT / "pipelines" / "commoncrawl.yaml"))
    ap.add_argument("--limit", type=int, default=None, help="at most this many HTML pages per input")
    ap.add_argument("--batch", type=int, default=200, help="rows per Arrow batch")
    ap.add_argument("--labels", help="make_bench_warc.py labels JSONL (adds each page's kind)")
    ap.add_argument("--kinds", nargs="*", help="evaluate only pages of these kinds (needs --labels at measurement)")
    ap.add_argument("--dump", help="write per-page signals and CPU costs to this JSONL")
    ap.add_argument("--load", action="store_true", help="the positional files are dumps: evaluate only")
    ap.add_argument("--target", type=float, default=0.99, help="kept-set Jaccard floor of the greedy search")
    ap.add_argument("--all", action="store_true", help="show every candidate rule")
    args = ap.parse_args()
    if not args.warcs:
        ap.error("give WARC files (or dumps with --load)")
    datasets: list[tuple[str, list[dict[str, Any]], dict[str, float]]] = []
    if args.load:
        for path in args.warcs:
            with open(path) as f:
                costs = json.loads(f.readline())["costs"]
                pages = [json.loads(line) for line in f]
            datasets.append((path, pages, costs))
    else:
        labels: dict[str, str] = {}
        if args.labels:
            with open(args.labels) as f:
                labels = {d["url"]: d.get("kind") for d in map(json.loads, f)}
        t0 = time.perf_counter()
        pages, costs = measure(args.warcs, args.pipeline, args.limit, args.batch, labels)
        print(f"measured {len(pages)} pages in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if args.dump:
            with open(args.dump, "w") as f:
                f.write(json.dumps({"costs": costs, "inputs": args.warcs}) + "\n")
                for p in pages:
                    f.write(json.dumps(p) + "\n")
        datasets.append((" + ".join(args.warcs), pages, costs))
    for name, pages, costs in datasets:
        if args.kinds:
            # Costs are totals over all pages: scale them to the selected share.
            share = len([p for p in pages if p.get("kind") in args.kinds]) / max(len(pages), 1)
            pages = [p for p in pages if p.get("kind") in args.kinds]
            costs = {k: v * share for k, v in costs.items()}
            name += f" (kinds {args.kinds})"
        summary(name, pages, costs, args.target, args.all)


if __name__ == "__main__":
    main()
