"""stats.json's sizes: the bytes of the kept documents and of the rejected ones per stage and
reason, recorded in each part file's footer as it is written, equal what is on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curate.pipeline import load_pipeline
from curate.run import run_pipeline

from .conftest import REPO


def _bytes(paths: list[Path]) -> pa.Table:
    table = pa.concat_tables([pq.read_table(p) for p in paths], promote_options="permissive")
    return table.append_column("n", pc.fill_null(pc.binary_length(table["text"]), 0).cast(pa.int64()))


def test_text_bytes_equal_the_parquet_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_pipeline(load_pipeline(REPO / "pipelines" / "commoncrawl.yaml"),
                 inputs=[str(REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz")], output=str(out), executor="local")
    stats = json.loads((out / "stats.json").read_text())
    kept = _bytes(sorted((out / "data").glob("part-*.parquet")))
    rejected = _bytes(sorted((out / "rejects").glob("part-*.parquet")))
    assert stats["text_bytes"] == {"kept": pc.sum(kept["n"]).as_py(), "rejected": pc.sum(rejected["n"]).as_py()}
    by_reason = rejected.group_by(["dropped_by", "reason"]).aggregate([("n", "sum")]).to_pylist()
    expected = {(r["dropped_by"], r["reason"]): r["n_sum"] for r in by_reason}
    recorded = {(s["stage"], reason): n for s in stats["stages"] for reason, n in s["dropped_bytes"].items()}
    assert recorded == expected
    assert all(s["bytes_dropped"] == sum(s["dropped_bytes"].values()) for s in stats["stages"])
    assert recorded[("minhash_dedup", "near_duplicate")] > 0  # the text of two near-duplicate pages


def test_parts_without_sizes_are_counted_from_their_columns(tmp_path: Path) -> None:
    """Part files written by an older curate have no sizes in their footer: their drops are
    counted from the rejects' columns, the same counts, and no bytes are claimed."""
    from curate.output import OutputLayout, rows_per_input
    from curate.stats import drops

    out = tmp_path / "out"
    run_pipeline(load_pipeline(REPO / "pipelines" / "commoncrawl-text.yaml"),
                 inputs=[str(REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz")], output=str(out), executor="local")
    layout = OutputLayout(str(out))
    _, files = rows_per_input(layout)
    from_footers, sizes = drops(layout, files)
    assert sizes is not None and set(sizes) == set(from_footers)
    older = [{k: v for k, v in f.items() if k != "sizes"} for f in files]
    assert drops(layout, older) == (from_footers, None)
