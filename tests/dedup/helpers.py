"""Synthetic documents with known overlap, and running ``curate dedup`` on them."""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curate.cli import main
from curate.dedup.minhash import shingles

VOCAB_SIZE = 5000


def vocabulary(seed: int = 1234, size: int = VOCAB_SIZE) -> list[str]:
    """A fixed list of distinct lower-case pseudo words."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))))
    return sorted(words)


VOCAB = vocabulary()


def random_words(rng: random.Random, n: int) -> list[str]:
    return rng.choices(VOCAB, k=n)


def random_doc(rng: random.Random, n: int = 300) -> str:
    return " ".join(random_words(rng, n))


def replace_words(rng: random.Random, text: str, count: int) -> str:
    """``text`` with ``count`` words (distinct positions) replaced by words not in VOCAB."""
    words = text.split()
    for i in rng.sample(range(len(words)), count):
        words[i] = f"changed{i}x{rng.randrange(10**6)}"
    return " ".join(words)


def jaccard(a: str, b: str, ngram: int = 5) -> float:
    """True Jaccard of the two texts' shingle sets (the plain-Python reference)."""
    sa, sb = shingles(a, ngram), shingles(b, ngram)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def write_parquet(path: Path, ids: list[str], texts: list[str | None], **columns: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string()), **columns})
    pq.write_table(table, path)
    return path


def read_dir(directory: Path) -> pa.Table | None:
    files = sorted(directory.glob("part-*.parquet"))
    if not files:
        return None
    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def run_dedup(inputs: list[Path] | Path, output: Path, *options: str, executor: str = "local") -> None:
    paths = [str(p) for p in (inputs if isinstance(inputs, list) else [inputs])]
    rc = main(["dedup", *paths, "--output", str(output), "--executor", executor, "-q", *options])
    assert rc == 0, f"curate dedup exited with {rc}"


@dataclass
class Outcome:
    """What a dedup run decided, read back from its output directory."""

    kept: dict[str, dict[str, Any]]  # id -> data row (without text)
    removed: dict[str, dict[str, Any]]  # id -> rejects row (without text)
    stats: dict[str, Any]

    @property
    def kept_ids(self) -> set[str]:
        return set(self.kept)

    def clusters(self) -> dict[str, str]:
        """Every document id -> its cluster's kept id (the kept document's own id for singletons)."""
        out = {i: r["duplicate_cluster_id"] for i, r in self.kept.items()}
        out.update({i: r["duplicate_of"] for i, r in self.removed.items() if r["reason"] == "near_duplicate"})
        return out

    def cluster_of(self, doc_id: str) -> set[str]:
        clusters = self.clusters()
        return {i for i, c in clusters.items() if c == clusters[doc_id]}


def outcome(output: Path) -> Outcome:
    data = read_dir(output / "data")
    rejects = read_dir(output / "rejects")
    kept = {r["id"]: r for r in data.drop_columns(["text"]).to_pylist()} if data is not None else {}
    removed = {}
    if rejects is not None:
        rejects = rejects.drop_columns([c for c in ("text",) if c in rejects.column_names])
        removed = {r["id"]: r for r in rejects.to_pylist()}
    assert data is None or data.num_rows == len(kept), "a kept id appears twice"
    assert rejects is None or rejects.num_rows == len(removed), "a rejected id appears twice"
    assert not set(kept) & set(removed), "a document is both kept and rejected"
    return Outcome(kept, removed, json.loads((output / "stats.json").read_text()))


def check_consistent(result: Outcome, reference_ids: set[str] = frozenset()) -> None:
    """The invariants every dedup output holds (``reference_ids``: documents of an index
    that removed documents may point at)."""
    clusters = result.clusters()
    members: dict[str, list[str]] = {}
    for doc, rep in clusters.items():
        members.setdefault(rep, []).append(doc)
    clusters_here = {rep: docs for rep, docs in members.items() if rep not in reference_ids}
    for doc, row in result.kept.items():
        # a kept document is the representative of its own cluster
        assert row["duplicate_cluster_id"] == doc
        assert row["duplicate_cluster_size"] == len(clusters_here[doc]), doc
    for doc, row in result.removed.items():
        if row["reason"] != "near_duplicate":
            continue
        assert row["dropped_by"] == "minhash_dedup"
        rep = row["duplicate_of"]
        assert rep in result.kept or rep in reference_ids, f"{doc} points at {rep}, which is not kept"
        assert rep != doc
        assert row["duplicate_cluster_id"] == rep
        if rep in clusters_here:
            assert row["duplicate_cluster_size"] == len(clusters_here[rep])
    stages = {s["stage"]: s for s in result.stats["stages"]}
    assert stages["minhash_dedup"]["dropped"].get("near_duplicate", 0) == sum(
        1 for r in result.removed.values() if r["reason"] == "near_duplicate"
    )
    assert result.stats["documents"] == {"kept": len(result.kept), "rejected": len(result.removed)}
    assert "warning" not in result.stats
