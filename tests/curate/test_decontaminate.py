"""The ``decontaminate`` stage on a planted corpus of real text (``tests/curate/decontam_corpus.py``).

Benchmarks are made from real text of ``$CURATE_SHARED_DATA`` (wcxb paragraphs as MMLU-like
questions, lingua sentences in English, German, Chinese and Japanese); documents are
other real text (articles, DCLM documents, Gutenberg pages, lingua paragraphs) with
exact, partial and paraphrased copies of benchmark items planted in some of them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.cli import main as cli_main
from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
import decontam_corpus as dc  # noqa: E402

DOCUMENTS = 1500
COLUMNS = ["contamination_benchmarks", "contamination_ngrams", "contamination_fraction", "contamination_items"]


# -- helpers -------------------------------------------------------------------------------
def read_dir(path: Path) -> pa.Table | None:
    files = sorted(path.glob("part-*.parquet"))
    if not files:
        return None
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def outputs(out: Path) -> tuple[pa.Table | None, pa.Table | None]:
    """``(data, rejects)`` of an output folder."""
    return read_dir(out / "data"), read_dir(out / "rejects")


def rows_by_id(*tables: pa.Table | None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for table in tables:
        if table is not None:
            out.update({row["id"]: row for row in table.to_pylist()})
    return out


def decontaminate(inputs: list[str], out: Path, executor: str = "local", input_format: str = "jsonl",
                  extract: bool = False, **settings: Any) -> Any:
    stages: list[dict[str, Any]] = [{"decontaminate": settings}]
    if extract:
        stages.insert(0, {"extract_html": {"engine": "trafilatura", "prefilter_languages": None}})
    pipeline = pipeline_from_dict({"name": "dc", "input": {"format": input_format}, "stages": stages})
    return run_pipeline(pipeline, inputs=inputs, output=str(out), executor=executor, overwrite=True)


def write_docs(path: Path, texts: dict[str, str]) -> str:
    dc.write_jsonl([{"id": k, "text": v} for k, v in texts.items()], path)
    return str(path)


def write_bench(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def corpus(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dc.Corpus:
    folder = tmp_path_factory.mktemp("decontam-corpus")
    corpus = dc.build_corpus(shared_data, folder, documents=DOCUMENTS, seed=0)
    dc.write_jsonl(corpus.documents, folder / "docs.jsonl")
    return corpus


@pytest.fixture(scope="module")
def flagged_run(corpus: dc.Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted corpus through ``policy: flag`` (broadcast path)."""
    out = tmp_path_factory.mktemp("flag") / "out"
    decontaminate([str(corpus.folder / "docs.jsonl")], out, benchmarks=corpus.specs(), policy="flag")
    return out


@pytest.fixture(scope="module")
def dropped_run(corpus: dc.Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted corpus through ``policy: drop`` (broadcast path)."""
    out = tmp_path_factory.mktemp("drop") / "out"
    decontaminate([str(corpus.folder / "docs.jsonl")], out, benchmarks=corpus.specs(), policy="drop")
    return out


@pytest.fixture
def real_sentences(shared_data: Path) -> dict[str, list[str]]:
    """Lingua sentences by language (real text for the small hand-made cases)."""
    base = shared_data / "langid" / "lingua-sentences"
    return {lang: [s for s in (base / f"{lang}.txt").read_text(encoding="utf-8").splitlines() if s.strip()]
            for lang in ("en", "de", "zh", "ja", "fr")}


def long_filler(sentences: list[str], words: int) -> str:
    out: list[str] = []
    count = 0
    for s in sentences:
        out.append(s)
        count += len(s.split())
        if count >= words:
            break
    return " ".join(out)


# -- recall and false positives --------------------------------------------------------------
def test_recall_on_planted_corpus_and_no_false_positives(corpus: dc.Corpus, flagged_run: Path) -> None:
    """Exact and partial copies (>= 13 words, or a whole 8-12-word item) are found in >= 99% of
    the documents holding them; no clean document and no document holding only an item too
    short to index is flagged; every flagged document names the planted benchmark and item."""
    data, rejects = outputs(flagged_run)
    assert rejects is None  # flag: nothing dropped
    assert data is not None and data.num_rows == DOCUMENTS
    rows = rows_by_id(data)
    flagged = {i for i, r in rows.items() if r["contamination_ngrams"] > 0}
    table = dc.recall_table(corpus, flagged)
    assert table["exact"]["documents"] >= 80 and table["partial"]["documents"] >= 80
    assert table["exact"]["rate"] >= 0.99, table
    assert table["partial"]["rate"] >= 0.99, table
    assert table["clean"]["flagged"] == 0, sorted(corpus.ids_of("clean") & flagged)[:5]
    assert table["too_short"]["flagged"] == 0
    for doc_id in flagged:
        label = corpus.labels[doc_id]
        row = rows[doc_id]
        if label.kind in ("exact", "partial"):
            assert row["contamination_benchmarks"][0] == label.benchmark
            assert f"{label.benchmark}:{label.item}" in row["contamination_items"]
            assert 0 < row["contamination_fraction"] <= 1
    # every benchmark, CJK and German included, had exact copies found
    found = {corpus.labels[i].benchmark for i in flagged if corpus.labels[i].kind == "exact"}
    assert found == {"qa", "short", "de", "cjk"}


def test_drop_policy_reason_and_stats_match_outputs(corpus: dc.Corpus, dropped_run: Path) -> None:
    """``policy: drop`` rejects exactly the flagged documents with reason
    ``contaminated:<benchmark>``; stats.json's per-benchmark figures equal counts made
    from the Parquet outputs; ``curate inspect`` names the benchmarks."""
    data, rejects = outputs(dropped_run)
    assert data is not None and rejects is not None
    assert data.num_rows + rejects.num_rows == DOCUMENTS
    assert set(data["contamination_ngrams"].to_pylist()) == {0}
    for row in rejects.to_pylist():
        assert row["reason"] == f"contaminated:{row['contamination_benchmarks'][0]}"
        assert row["dropped_by"]
    planted = corpus.ids_of("exact") | corpus.ids_of("partial")
    dropped = set(rejects["id"].to_pylist())
    assert planted <= dropped
    assert not dropped & corpus.ids_of("clean")

    stats = json.loads((dropped_run / "stats.json").read_text())
    section = stats["decontamination"]
    assert len(section) == 1
    figures = next(iter(section.values()))
    assert figures["index"]["entries"] > 0
    for name, records in corpus.items.items():
        b = figures["benchmarks"][name]
        rows = [r for r in rejects.to_pylist() if name in r["contamination_benchmarks"]]
        assert b["documents"] == len(rows)
        assert b["documents_dropped"] == len(rows)
        assert b["documents_kept"] == 0 and b["documents_cut"] == 0
        touched = {i for r in rows for i in r["contamination_items"] if i.startswith(f"{name}:")}
        assert b["items_touched"] == len(touched)
        assert b["items"] == len(records)
        too_short = sum(1 for r in records if len(dc.words(dc.item_text(r, corpus.fields[name]))) < dc.MIN_NGRAM)
        assert b["items_too_short"] == too_short
        assert b["items_indexed"] == len(records) - too_short
    assert figures["benchmarks"]["short"]["items_too_short"] == 30

    assert cli_main(["inspect", str(dropped_run)]) == 0


def test_inspect_mentions_benchmark(dropped_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``curate inspect`` of a decontaminated output names the benchmark in its drop reasons."""
    assert cli_main(["inspect", str(dropped_run)]) == 0
    out = capsys.readouterr().out
    assert "contaminated:qa" in out or ("contaminat" in out and "qa" in out)


def test_partitioned_join_equals_broadcast(corpus: dc.Corpus, flagged_run: Path, tmp_path: Path) -> None:
    """With a tiny ``broadcast_max_mb`` the stage is global (hash-partitioned join) and gives
    the same columns, row by row, as the broadcast path; stats.json says it was partitioned."""
    out = tmp_path / "out"
    decontaminate([str(corpus.folder / "docs.jsonl")], out, benchmarks=corpus.specs(), policy="flag", broadcast_max_mb=0.01)
    stats = json.loads((out / "stats.json").read_text())
    assert next(iter(stats["decontamination"].values()))["index"]["partitioned"] is True
    broadcast = rows_by_id(read_dir(flagged_run / "data"))
    partitioned = rows_by_id(read_dir(out / "data"))
    assert broadcast.keys() == partitioned.keys()
    for doc_id, row in broadcast.items():
        other = partitioned[doc_id]
        for column in COLUMNS:
            assert other[column] == pytest.approx(row[column]) if column == "contamination_fraction" else other[column] == row[column], (doc_id, column)


def test_partitioned_drop_and_remove_spans_equal_broadcast(corpus: dc.Corpus, tmp_path: Path) -> None:
    """The decisions (kept / dropped, reason, cut text) of ``drop`` and ``remove_spans`` are
    the same on both paths."""
    docs = [str(corpus.folder / "docs.jsonl")]
    for policy in ("drop", "remove_spans"):
        results = []
        for name, mb in (("b", 1024.0), ("p", 0.01)):
            out = tmp_path / f"{policy}-{name}"
            decontaminate(docs, out, benchmarks=corpus.specs(), policy=policy, broadcast_max_mb=mb)
            data, rejects = outputs(out)
            results.append(({r["id"]: r["text"] for r in data.to_pylist()} if data is not None else {},
                            {r["id"]: r["reason"] for r in rejects.to_pylist()} if rejects is not None else {}))
        assert results[0] == results[1], policy


# -- the WARC path ---------------------------------------------------------------------------
def test_benchmark_warc_through_extract_html(shared_data: Path, tmp_path: Path) -> None:
    """Documents written as HTML pages into a WARC, through ``extract_html`` (trafilatura) then
    ``decontaminate``: every planted exact and partial copy survives extraction and is
    dropped; no clean page is."""
    corpus = dc.build_corpus(shared_data, tmp_path / "bench", documents=160, seed=1, plant_rate=0.15)
    warc = dc.write_warc(corpus.documents, tmp_path / "bench.warc.gz")
    out = tmp_path / "out"
    decontaminate([str(warc)], out, input_format="warc", extract=True, benchmarks=corpus.specs(), policy="drop")
    data, rejects = outputs(out)
    assert rejects is not None
    by_url = {d["url"]: d["id"] for d in corpus.documents}
    reasons = {by_url[u]: r for u, r in zip(rejects["url"].to_pylist(), rejects["reason"].to_pylist())}
    dropped = {i for i, r in reasons.items() if r.startswith("contaminated:")}
    table = dc.recall_table(corpus, dropped)
    assert table["exact"]["documents"] >= 10
    assert table["exact"]["rate"] == 1.0, table
    assert table["partial"]["rate"] >= 0.99, table
    assert table["clean"]["flagged"] == 0
    for doc_id in corpus.ids_of("exact"):
        assert reasons[doc_id] == f"contaminated:{corpus.labels[doc_id].benchmark}"


# -- policies --------------------------------------------------------------------------------
def test_remove_spans_cuts_span_and_margin(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """``remove_spans`` cuts the planted item plus ``margin_chars`` either side and keeps the
    rest of the text; a document left too short, or cut into too many pieces, is dropped."""
    en = real_sentences["en"]
    item = " ".join(en[0:2])  # a real 2-sentence item, >= 13 words
    assert len(item.split()) >= 13
    bench = write_bench(tmp_path / "b.jsonl", [{"question": item}])
    head, tail = long_filler(en[10:], 200), long_filler(en[100:], 200)
    short_tail = en[300]
    pieces = "\n".join(f"{long_filler(en[400 + 40 * k:], 80)}\n{item}" for k in range(4)) + "\n" + long_filler(en[700:], 80)
    docs = write_docs(tmp_path / "d.jsonl", {
        "middle": f"{head}\n{item}\n{tail}",
        "short": f"{short_tail}\n{item}",
        "pieces": pieces,
        "clean": long_filler(en[900:], 100),
    })
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "b", "path": bench, "fields": ["question"]}],
                  policy="remove_spans", margin_chars=50, min_remaining_chars=200, max_pieces=3)
    data, rejects = outputs(out)
    kept = rows_by_id(data)
    dropped = rows_by_id(rejects)
    assert set(dropped) == {"short", "pieces"}
    assert dropped["short"]["reason"] == "contaminated:b"
    middle = kept["middle"]
    assert item not in middle["text"]
    assert middle["text"].startswith(head[:-60].strip()) and middle["text"].endswith(tail[60:].strip())
    # the item plus at most 50 characters each side (and the newlines around it) were cut
    original = len(f"{head}\n{item}\n{tail}")
    assert len(item) + 2 * 45 <= middle["contamination_removed_chars"] <= len(item) + 2 * 50 + 2
    assert len(middle["text"]) >= original - middle["contamination_removed_chars"] - 2
    assert kept["clean"]["contamination_removed_chars"] == 0 and kept["clean"]["text"] == long_filler(en[900:], 100)
    stats = json.loads((out / "stats.json").read_text())
    b = next(iter(stats["decontamination"].values()))["benchmarks"]["b"]
    assert b == {**b, "documents": 3, "documents_cut": 1, "documents_kept": 1, "documents_dropped": 2}


def test_flag_policy_keeps_everything(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """``policy: flag`` adds the columns and drops nothing."""
    en = real_sentences["en"]
    item = " ".join(en[0:2])
    bench = write_bench(tmp_path / "b.jsonl", [{"question": item}])
    docs = write_docs(tmp_path / "d.jsonl", {"hit": f"{en[5]}\n{item}", "clean": en[6]})
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "b", "path": bench, "fields": ["question"]}], policy="flag")
    data, rejects = outputs(out)
    assert rejects is None
    rows = rows_by_id(data)
    assert rows["hit"]["contamination_benchmarks"] == ["b"] and rows["hit"]["contamination_items"] == ["b:0"]
    assert rows["hit"]["contamination_ngrams"] == len(dc.words(item)) - 12
    assert rows["clean"]["contamination_benchmarks"] == [] and rows["clean"]["contamination_ngrams"] == 0


# -- the saved index -------------------------------------------------------------------------
def test_index_saved_and_reused(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """The index is saved under the output (``_curate/decontaminate/<stage>/index-<fp>``) and
    reused by a second run with the same benchmarks (``built_now`` false, files untouched);
    ``index:`` pointing at the saved folder without benchmarks works; other benchmarks with
    the same ``index:`` folder fail with an error naming the folder."""
    from curate.decontam.index import IndexMismatchError

    en = real_sentences["en"]
    bench = write_bench(tmp_path / "b.jsonl", [{"question": " ".join(en[i : i + 2])} for i in range(0, 40, 2)])
    docs = write_docs(tmp_path / "d.jsonl", {"hit": f"{en[50]} {en[4]} {en[5]}", "clean": en[60]})
    spec = [{"name": "b", "path": bench, "fields": ["question"]}]
    out = tmp_path / "out"

    def run(output: Path, overwrite: bool = True, **settings: Any) -> Any:
        pipeline = pipeline_from_dict({"name": "dc", "input": {"format": "jsonl"}, "stages": [{"decontaminate": settings}]})
        run_pipeline(pipeline, inputs=[docs], output=str(output), executor="local", overwrite=overwrite)
        return pipeline.stages[0].__dict__["prepared_meta"]

    assert run(out, benchmarks=spec, policy="drop")["built_now"] is True
    folders = list((out / "_curate" / "decontaminate").glob("*/index-*"))
    assert len(folders) == 1, list((out / "_curate").rglob("*"))
    saved = folders[0]
    assert {"index.json", "index.parquet", "items.parquet"} <= {p.name for p in saved.iterdir()}
    mtimes = {p.name: p.stat().st_mtime_ns for p in saved.iterdir()}

    # the same command again (a resumed or repeated run): the saved index is used as it is
    assert run(out, overwrite=False, benchmarks=spec, policy="drop")["built_now"] is False
    assert {p.name: p.stat().st_mtime_ns for p in saved.iterdir()} == mtimes

    # index: the saved folder, no benchmarks
    again = tmp_path / "again"
    meta = run(again, index=str(saved), policy="drop")
    assert meta["built_now"] is False and meta["benchmarks"] == ["b"]
    _, rejects = outputs(again)
    assert rejects is not None and rejects["id"].to_pylist() == ["hit"]
    assert {p.name: p.stat().st_mtime_ns for p in saved.iterdir()} == mtimes
    assert not (again / "_curate" / "decontaminate").exists() or not list((again / "_curate" / "decontaminate").rglob("index.json"))

    # index: the saved folder, with the same benchmarks: reused; with other ones: refused
    assert run(tmp_path / "same", index=str(saved), benchmarks=spec, policy="drop")["built_now"] is False
    other = write_bench(tmp_path / "other.jsonl", [{"question": " ".join(en[200:202])}])
    with pytest.raises(IndexMismatchError, match="other benchmarks") as caught:
        run(tmp_path / "bad", index=str(saved), benchmarks=[{"name": "b", "path": other, "fields": ["question"]}])
    assert str(saved) in str(caught.value) and "\n" not in str(caught.value)
    assert {p.name: p.stat().st_mtime_ns for p in saved.iterdir()} == mtimes


def test_index_mismatch_message(real_sentences: dict[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Different benchmarks with an existing ``--index`` folder: exit 2, one line naming the folder."""
    en = real_sentences["en"]
    first = write_bench(tmp_path / "a.jsonl", [{"question": " ".join(en[0:2])}])
    other = write_bench(tmp_path / "o.jsonl", [{"question": " ".join(en[2:4])}])
    docs = write_docs(tmp_path / "d.jsonl", {"x": en[10]})
    index = tmp_path / "idx"
    assert cli_main(["decontaminate", docs, "-o", str(tmp_path / "o1"), "-b", f"a={first}#question", "--index", str(index),
                     "--executor", "local"]) == 0
    capsys.readouterr()
    assert cli_main(["decontaminate", docs, "-o", str(tmp_path / "o2"), "-b", f"a={other}#question", "--index", str(index),
                     "--executor", "local"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(index) in err and "other benchmarks" in err


# -- edge cases ------------------------------------------------------------------------------
def test_short_items_matched_whole_and_too_short_not(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """An item of 8-12 words is matched as a whole; one of fewer than ``min_ngram`` words is
    counted as too short and never matched; a partial copy of a short item is not a match."""
    en = real_sentences["en"]
    ten = next(s for s in en if len(dc.words(s)) == 10)
    five = next(s for s in en if len(dc.words(s)) == 5)
    bench = write_bench(tmp_path / "b.jsonl", [{"question": ten}, {"question": five}])
    filler = long_filler(en[500:], 60)
    half = " ".join(ten.split()[:7])
    docs = write_docs(tmp_path / "d.jsonl", {"ten": f"{filler} {ten.upper()} {filler}", "five": f"{filler} {five} {filler}",
                                             "half": f"{filler} {half} {filler}"})
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "b", "path": bench, "fields": ["question"]}], policy="flag")
    rows = rows_by_id(read_dir(out / "data"))
    assert rows["ten"]["contamination_items"] == ["b:0"] and rows["ten"]["contamination_ngrams"] == 1
    assert rows["five"]["contamination_ngrams"] == 0
    assert rows["half"]["contamination_ngrams"] == 0
    b = next(iter(json.loads((out / "stats.json").read_text())["decontamination"].values()))["benchmarks"]["b"]
    assert (b["items"], b["items_indexed"], b["items_too_short"]) == (2, 1, 1)


def test_cjk_and_german_benchmarks(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """Chinese and Japanese items (each character a word) and German items (umlauts, case
    folded) are found in documents of their language; a run of 12 characters is not
    enough, 13 are."""
    zh = next(s for s in real_sentences["zh"] if len(dc.words(s)) >= 30)
    ja = next(s for s in real_sentences["ja"] if len(dc.words(s)) >= 30)
    de = next(s for s in real_sentences["de"] if len(dc.words(s)) >= 16 and any(c in s for c in "äöüß"))
    bench = write_bench(tmp_path / "b.jsonl", [{"q": zh}, {"q": ja}, {"q": de}])
    spans = dc.word_spans(zh)
    run13 = zh[spans[3][0] : spans[15][1]]
    run12 = zh[spans[3][0] : spans[14][1]]
    docs = write_docs(tmp_path / "d.jsonl", {
        "zh": real_sentences["zh"][-1] + zh + real_sentences["zh"][-2],
        "zh13": real_sentences["zh"][-3] + run13 + real_sentences["zh"][-4],
        "zh12": real_sentences["zh"][-5] + run12 + real_sentences["zh"][-6],
        "ja": real_sentences["ja"][-1] + "\n" + ja,
        "de": f"{real_sentences['de'][-1]} {de.upper()} {real_sentences['de'][-2]}",
        "fr": " ".join(real_sentences["fr"][:5]),
    })
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "intl", "path": bench, "fields": ["q"]}], policy="flag")
    rows = rows_by_id(read_dir(out / "data"))
    assert rows["zh"]["contamination_items"] == ["intl:0"]
    assert rows["zh13"]["contamination_ngrams"] == 1
    assert rows["zh12"]["contamination_ngrams"] == 0
    assert rows["ja"]["contamination_items"] == ["intl:1"]
    assert rows["de"]["contamination_items"] == ["intl:2"]
    assert rows["fr"]["contamination_ngrams"] == 0


def test_empty_benchmark_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty benchmark file: the command exits 2 with one line naming the benchmark."""
    (tmp_path / "empty.jsonl").write_text("")
    docs = write_docs(tmp_path / "d.jsonl", {"x": "some text of a document"})
    code = cli_main(["decontaminate", docs, "-o", str(tmp_path / "out"), "-b", f"mmlu={tmp_path / 'empty.jsonl'}#question",
                     "--executor", "local"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "mmlu" in err and "no records" in err


def test_missing_field_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A field the benchmark's records lack: exit 2, the message names the field and the
    fields the records have."""
    bench = write_bench(tmp_path / "b.jsonl", [{"question": "what is the capital of France and why is it there today"}])
    docs = write_docs(tmp_path / "d.jsonl", {"x": "some text of a document"})
    code = cli_main(["decontaminate", docs, "-o", str(tmp_path / "out"), "-b", f"b={bench}#question,choices", "--executor", "local"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "choices" in err and "question" in err


def test_hf_dataset_saved_to_disk(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """A Hugging Face ``datasets`` benchmark given as a local ``save_to_disk`` folder (in YAML
    and as ``hf:PATH@SPLIT`` on the command line) is indexed and matched."""
    datasets = pytest.importorskip("datasets")
    en = real_sentences["en"]
    items = [" ".join(en[i : i + 2]) for i in range(0, 20, 2)]
    folder = tmp_path / "hf"
    datasets.Dataset.from_dict({"ctx": items, "label": list(range(len(items)))}).save_to_disk(str(folder))
    docs = write_docs(tmp_path / "d.jsonl", {"hit": f"{en[100]} {items[3]} {en[101]}", "clean": en[102]})
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "hs", "dataset": str(folder), "fields": ["ctx"]}], policy="drop")
    _, rejects = outputs(out)
    assert rejects is not None and rejects["id"].to_pylist() == ["hit"] and rejects["reason"].to_pylist() == ["contaminated:hs"]
    assert rejects["contamination_items"].to_pylist() == [["hs:3"]]
    assert cli_main(["decontaminate", docs, "-o", str(tmp_path / "cli"), "-b", f"hs=hf:{folder}@train#ctx", "--executor", "local"]) == 0
    _, rejects = outputs(tmp_path / "cli")
    assert rejects is not None and rejects["id"].to_pylist() == ["hit"]


# -- Ray -------------------------------------------------------------------------------------
@pytest.mark.ray
def test_ray_broadcast_equals_local(ray_session: Any, corpus: dc.Corpus, dropped_run: Path, tmp_path: Path) -> None:
    """Through Ray (the index loaded in an actor pool) the drops are those of the local run."""
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    out = tmp_path / "out"
    decontaminate([str(corpus.folder / "docs.jsonl")], out, executor="ray", benchmarks=corpus.specs(), policy="drop")
    _, ray_rejects = outputs(out)
    _, local_rejects = outputs(dropped_run)
    assert ray_rejects is not None and local_rejects is not None
    assert dict(zip(ray_rejects["id"].to_pylist(), ray_rejects["reason"].to_pylist())) == dict(
        zip(local_rejects["id"].to_pylist(), local_rejects["reason"].to_pylist()))


def test_benchmark_jsonl_with_unicode_line_separator(real_sentences: dict[str, list[str]], tmp_path: Path) -> None:
    """A benchmark JSONL whose strings hold a raw U+2028 (as ``json.dumps(ensure_ascii=False)``
    writes it) is read line by line on ``\\n`` only, not broken apart inside the string."""
    en = real_sentences["en"]
    item = f"{en[0]}\u2028{en[1]}"
    bench = write_bench(tmp_path / "b.jsonl", [{"question": item}, {"question": " ".join(en[2:4])}])
    assert "\u2028" in Path(bench).read_text(encoding="utf-8")
    docs = write_docs(tmp_path / "d.jsonl", {"hit": f"{en[50]} {en[0]} {en[1]}", "clean": en[60]})
    out = tmp_path / "out"
    decontaminate([docs], out, benchmarks=[{"name": "b", "path": bench, "fields": ["question"]}], policy="flag")
    rows = rows_by_id(read_dir(out / "data"))
    assert rows["hit"]["contamination_items"] == ["b:0"] and rows["clean"]["contamination_ngrams"] == 0
