"""Mixing sources by token weights: up- and down-sampling, achieved shares, repeated ids."""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.tokenize.sampling import mixture_rates
from curate.tokenize.shards import Source, TokenizedSettings, write_tokenized
from tests.tokenize.helpers import (
    Corpus,
    book_text,
    make_corpus,
    paragraphs,
    read_manifest,
    read_shards,
    word_windows,
)

WEIGHTS = {"books": 0.3, "dictionary": 0.7}
TOTAL_TOKENS = 150_000


@dataclass
class Mixed:
    """A two-source mixture written by ``write_tokenized`` and its inputs."""

    out: Path
    manifest: dict
    table: pa.Table
    inputs: dict[str, Corpus]


@pytest.fixture(scope="module")
def mixed(shared_data: Path, gpt_neo: str, tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    """``books`` (a novel in 20-word documents, about 0.1 M tokens, two files) at weight 0.3
    and ``dictionary`` (150 paragraphs, about 5,500 tokens, so up-sampled about 19x) at 0.7,
    150,000 tokens requested."""
    root = tmp_path_factory.mktemp("mix")
    novel = word_windows(book_text(shared_data, "nowhere"), 20)
    half = len(novel) // 2
    inputs = {
        "books": make_corpus(root / "books", {"novel-a": novel[:half], "novel-b": novel[half:]}),
        "dictionary": make_corpus(root / "dictionary", {"dict": paragraphs(book_text(shared_data, "dictionary"))[:150]}),
    }
    sources = [Source(name, [str(f) for f in corpus.files], WEIGHTS[name]) for name, corpus in inputs.items()]
    settings = TokenizedSettings(tokenizer=gpt_neo, seed=5, total_tokens=TOTAL_TOKENS, shard_tokens=40_000, row_group_tokens=4_000)
    manifest = write_tokenized(sources, str(root / "out"), settings)
    return Mixed(root / "out", manifest, read_shards(root / "out"), inputs)


def test_achieved_shares_follow_weights(mixed: Mixed) -> None:
    sources = mixed.manifest["mixture"]["sources"]
    assert sources["dictionary"]["rate"] > 10 > 1 > sources["books"]["rate"]
    for name, weight in WEIGHTS.items():
        assert sources[name]["weight"] == weight
        assert abs(sources[name]["achieved"] - weight) < 0.02, (name, sources[name])


def test_manifest_mixture_matches_the_shards(mixed: Mixed) -> None:
    tokens = mixed.table["num_tokens"].to_numpy().astype(np.int64)
    by_source: Counter[str] = Counter()
    for source, count in zip(mixed.table["source"].to_pylist(), tokens):
        by_source[source] += int(count)
    totals = mixed.manifest["totals"]
    assert dict(by_source) == totals["by_source"]
    assert sum(by_source.values()) == totals["tokens"] == int(tokens.sum())
    assert totals["documents"] == mixed.table.num_rows
    for name, info in mixed.manifest["mixture"]["sources"].items():
        assert info["achieved"] == pytest.approx(by_source[name] / totals["tokens"], abs=1e-6)
        assert info["documents"] == len(mixed.inputs[name].ids)


def test_total_tokens_honoured(mixed: Mixed) -> None:
    assert mixed.manifest["mixture"]["total_tokens_requested"] == TOTAL_TOKENS
    assert abs(mixed.manifest["totals"]["tokens"] - TOTAL_TOKENS) / TOTAL_TOKENS < 0.03


def test_repeated_documents_have_distinct_ids(mixed: Mixed) -> None:
    """Up-sampled copies get ids ``ID#k``; each document appears floor(rate) or
    floor(rate) + 1 times, with identical tokens, and not side by side."""
    ids = mixed.table["id"].to_pylist()
    assert len(ids) == len(set(ids))
    rate = mixed.manifest["mixture"]["sources"]["dictionary"]["rate"]
    base_ids = mixed.inputs["dictionary"].ids
    positions: dict[str, list[int]] = defaultdict(list)
    rows: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    input_ids = mixed.table["input_ids"].to_pylist()
    for i, (doc, source) in enumerate(zip(ids, mixed.table["source"].to_pylist())):
        if source == "dictionary":
            base = doc.split("#", 1)[0]
            positions[base].append(i)
            rows[base].add(tuple(input_ids[i]))
    assert set(positions) == set(base_ids)
    assert {len(p) for p in positions.values()} <= {math.floor(rate), math.floor(rate) + 1}
    assert all(len(r) == 1 for r in rows.values())
    assert all(np.diff(p).min() > 0 for p in positions.values())
    assert float(np.mean([np.diff(p).mean() for p in positions.values()])) > 10


def test_repeated_copies_spread_across_shards(mixed: Mixed) -> None:
    """The copies of an up-sampled document are spread over the shards, not all in the
    shard of the original: a loader streams shards (row groups) one after another, so
    copies confined to one shard are all seen within one shard's worth of training
    tokens instead of once per pass over the mixture."""
    shards = mixed.manifest["shards"]
    assert len(shards) >= 3
    where: dict[str, set[int]] = defaultdict(set)
    for index, shard in enumerate(shards):
        table = pq.read_table(mixed.out / shard["path"], columns=["id", "source"])
        for doc, source in zip(table["id"].to_pylist(), table["source"].to_pylist()):
            if source == "dictionary":
                where[doc.split("#", 1)[0]].add(index)
    spread = [len(s) for s in where.values()]
    # 18-19 copies over len(shards) shards: a random placement covers nearly all of them.
    assert float(np.median(spread)) >= len(shards) / 2, f"copies of a document cover {sorted(Counter(spread).items())} (shards, documents)"


def test_down_sampled_source_keeps_each_document_at_most_once(mixed: Mixed) -> None:
    ids = [d for d, s in zip(mixed.table["id"].to_pylist(), mixed.table["source"].to_pylist()) if s == "books"]
    assert not any("#" in d for d in ids)
    assert set(ids) <= set(mixed.inputs["books"].ids)
    rate = mixed.manifest["mixture"]["sources"]["books"]["rate"]
    assert abs(len(ids) / len(mixed.inputs["books"].ids) - rate) < 0.05


def test_mixture_rates_errors() -> None:
    with pytest.raises(ValueError, match="every source"):
        mixture_rates([Source("a", [], 1.0), Source("b", [])], {"a": 10, "b": 10}, None)
    with pytest.raises(ValueError, match="no tokens"):
        mixture_rates([Source("a", [], 1.0), Source("b", [], 1.0)], {"a": 10, "b": 0}, None)
    assert mixture_rates([Source("a", []), Source("b", [])], {"a": 10, "b": 30}, 5) == {"a": 1.0, "b": 1.0}
    rates = mixture_rates([Source("a", [], 3.0), Source("b", [], 1.0)], {"a": 100, "b": 100}, None)
    assert rates == pytest.approx({"a": 1.5, "b": 0.5})


def test_same_seed_same_mixture(mixed: Mixed, gpt_neo: str, tmp_path: Path) -> None:
    """Sampling is a function of the seed: the mixture is reproduced exactly."""
    sources = [Source(name, [str(f) for f in corpus.files], WEIGHTS[name]) for name, corpus in mixed.inputs.items()]
    settings = TokenizedSettings(tokenizer=gpt_neo, seed=5, total_tokens=TOTAL_TOKENS, shard_tokens=40_000, row_group_tokens=4_000)
    write_tokenized(sources, str(tmp_path / "again"), settings)
    assert read_shards(tmp_path / "again").equals(mixed.table)


def test_sampling_writes_at_most_shards_squared_files(
    shared_data: Path, gpt_neo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampling step writes each task's rows straight to the output shards'
    partitions: about shards x shards files, not one per pair of shuffle buckets."""
    from curate.execution.workdir import WorkDir

    monkeypatch.setattr(WorkDir, "remove", lambda self, step: None)  # keep the step's files
    novel = word_windows(book_text(shared_data, "nowhere"), 20)
    corpus = make_corpus(tmp_path / "books", {f"part-{i}": novel[i::4] for i in range(4)})
    small = make_corpus(tmp_path / "dict", {"dict": paragraphs(book_text(shared_data, "dictionary"))[:100]})
    sources = [Source("books", [str(f) for f in corpus.files], 0.5), Source("dictionary", [str(f) for f in small.files], 0.5)]
    settings = TokenizedSettings(tokenizer=gpt_neo, seed=1, shard_tokens=20_000, row_group_tokens=2_000)
    manifest = write_tokenized(sources, str(tmp_path / "out"), settings)
    shards = len(manifest["shards"])
    mixed = list((tmp_path / "out" / "_curate" / "tokenize" / "mixed").rglob("*.parquet"))
    buckets = len(list((tmp_path / "out" / "_curate" / "tokenize" / "buckets").glob("p*")))
    assert shards >= 5 and buckets > 2 * shards
    assert 0 < len(mixed) <= (shards + 1) ** 2 < buckets**2
    # every shard is within a few percent of the expected size (keys spread evenly)
    sizes = np.array([s["tokens"] for s in manifest["shards"]])
    assert sizes.max() <= 20_000 * 1.15 and sizes.min() >= sizes.mean() * 0.8


def test_few_large_documents_reach_their_share(shared_data: Path, gpt_neo: str, tmp_path: Path) -> None:
    """Three whole books down-sampled to about a third: token-tracking selection takes one
    of them (an independent draw per book takes none with chance (1 - rate)^3, about one
    half at this rate)."""
    books = make_corpus(tmp_path / "books", {name: [book_text(shared_data, name)] for name in ("nowhere", "dictionary", "nowhere-old")})
    web = make_corpus(tmp_path / "web", {"web": paragraphs(book_text(shared_data, "dictionary-old"))})
    sources = [Source("books", [str(f) for f in books.files], 0.2), Source("web", [str(f) for f in web.files], 0.8)]
    for seed in range(4):
        settings = TokenizedSettings(tokenizer=gpt_neo, seed=seed, total_tokens=300_000, shard_tokens=100_000)
        manifest = write_tokenized(sources, str(tmp_path / f"out{seed}"), settings)
        info = manifest["mixture"]["sources"]["books"]
        assert info["sampling"] == "tracked" and info["rate"] < 0.5
        assert manifest["totals"]["by_source"]["books"] > 0  # one whole book (about 90-110k tokens)
        assert manifest["mixture"]["sources"]["web"]["sampling"] == "tracked"
        assert manifest["mixture"]["sources"]["web"]["achieved"] > 0.6


def test_tracked_selection_is_within_one_document() -> None:
    from curate.tokenize.sampling import tracked_selection

    rng = np.random.default_rng(0)
    tokens = rng.pareto(1.2, 5000).astype(np.int64) * 300 + 10  # heavy-tailed sizes
    keys = np.arange(5000, dtype=np.uint64) * np.uint64(2654435761)
    by_key = dict(zip(keys.tolist(), tokens.tolist()))
    for fraction in (0.05, 0.3, 0.77):
        chosen = tracked_selection(keys, tokens, fraction, seed=1)
        taken = sum(by_key[k] for k in chosen.tolist())
        assert abs(taken - fraction * tokens.sum()) <= tokens.max() / 2 + 1
        assert len(set(chosen.tolist())) == len(chosen)


def test_heavily_repeated_source_warns(shared_data: Path, gpt_neo: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A source repeated more than ``max_repeats_warning`` times (here a dozen short
    paragraphs at half the mixture) is named in the log and in the manifest's warnings;
    a source below the limit, or no limit, gives none."""
    docs = paragraphs(book_text(shared_data, "dictionary"))
    inputs = {
        "big": make_corpus(tmp_path / "big", {"big": docs[:400]}),
        "tiny": make_corpus(tmp_path / "tiny", {"tiny": docs[400:412]}),
    }
    sources = [Source(name, [str(f) for f in corpus.files], 0.5) for name, corpus in inputs.items()]
    for limit, warned in ((4.0, True), (None, False), (1e9, False)):
        settings = TokenizedSettings(tokenizer=gpt_neo, seed=1, shard_tokens=1_000_000, max_repeats_warning=limit)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="curate"):
            manifest = write_tokenized(sources, str(tmp_path / f"out-{limit}"), settings)
        messages = [r.getMessage() for r in caplog.records if r.name == "curate.tokenize"]
        info = manifest["mixture"]["sources"]
        assert info["tiny"]["rate"] > 4 and info["tiny"]["repeated"] == info["tiny"]["rate"]
        assert info["big"]["repeated"] is None  # sampled down, not repeated
        on_disk = read_manifest(tmp_path / f"out-{limit}")
        assert on_disk["warnings"] == manifest["warnings"]
        logged = [m for m in messages if "warning" in m]
        if warned:
            assert len(manifest["warnings"]) == 1 and "'tiny'" in manifest["warnings"][0]
            assert f"{info['tiny']['rate']:.1f} times" in manifest["warnings"][0]
            assert len(logged) == 1 and "'tiny'" in logged[0]
        else:
            assert manifest["warnings"] == [] and logged == []
