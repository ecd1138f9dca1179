"""``rejects/`` and ``data/`` are each one Parquet dataset: one schema for every part of a run.

A run of pipelines/commoncrawl.yaml over the sample WARC plus a few JSONL documents made
to fail each filter, in small batches, leaves rejects from every stage (read, extraction,
language, Gopher, C4, FineWeb, MinHash dedup), in many part files, from both phases of
the pipeline.  Each folder must read as one table in pyarrow.dataset, polars, DuckDB
(without ``union_by_name``) and Hugging Face ``datasets``.
"""

from __future__ import annotations

import glob
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from curate.output import plan_schemas
from curate.pipeline import load_pipeline
from curate.pipeline_checks import resolve_prefilter_languages
from curate.readers import build_reader
from curate.run import run_pipeline

REPO = Path(__file__).resolve().parents[2]
SAMPLE_WARC = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"
PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"

EVERY_STAGE = {
    "read", "extract_html", "language_filter", "gopher_repetition", "gopher_quality",
    "c4_quality", "fineweb_quality", "minhash_dedup",
}
MINIMAL = ["id", "url", "source", "dropped_by", "reason", "duplicate_of"]


def _documents() -> dict[str, str]:
    rng = random.Random(1)
    words = (
        "the of and to in is was for on that with as by at from this which people time year government "
        "city river history music school family water market village church station garden library "
        "council museum harbour winter summer morning evening bridge mountain valley forest island"
    ).split()

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(14)).capitalize() + "."

    def paragraph(k: int = 5) -> str:
        return " ".join(sentence() for _ in range(k))

    good = "\n\n".join(paragraph() for _ in range(4))
    return {
        "good": good,
        "french": "Le village est situé au bord de la rivière et les habitants vont au marché chaque matin. " * 6,
        "bullets": "\n".join("- " + sentence() for _ in range(20)),  # gopher_quality: bullet lines
        "repeat": "\n\n".join([paragraph(3)] * 8),  # gopher_repetition
        "lorem": good + "\n\nLorem ipsum dolor sit amet, the council met in the evening at the town library.",  # c4
        "nopunct": "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(40)),  # fineweb
    }


def _write_jsonl(path: Path) -> Path:
    with path.open("w") as f:
        for key, text in _documents().items():
            f.write(json.dumps({"id": key, "text": text, "url": f"https://example.org/{key}"}) + "\n")
    return path


def _run(out: Path, inputs: list[Path], mode: str) -> Path:
    pipeline = load_pipeline(PIPELINE)
    pipeline.execution.batch_rows = 3  # many small batches: many part files
    pipeline.output.min_rows_per_file = 1
    pipeline.output.rejects = mode
    run_pipeline(pipeline, [str(p) for p in inputs], str(out), executor="local")
    return out


@pytest.fixture(scope="module", params=["full", "minimal"])
def run_output(request, tmp_path_factory) -> tuple[Path, str]:
    tmp = tmp_path_factory.mktemp(f"rejects-{request.param}")
    jsonl = _write_jsonl(tmp / "docs.jsonl")
    return _run(tmp / "out", [SAMPLE_WARC, jsonl], request.param), request.param


def _parts(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*.parquet"))


def _schemas(directory: Path) -> set[tuple[tuple[str, str], ...]]:
    return {tuple((f.name, str(f.type)) for f in pq.read_schema(p)) for p in _parts(directory)}


def _planned(mode: str = "full") -> tuple[pa.Schema | None, pa.Schema]:
    """The run's planned (data, rejects) schemas, as curate.run computes them."""
    pipeline = load_pipeline(PIPELINE)
    resolve_prefilter_languages(pipeline)  # as run_pipeline does
    return plan_schemas(pipeline.stages, build_reader("auto", {}), [str(SAMPLE_WARC), "docs.jsonl"], mode)


def _expected_columns(mode: str) -> list[str]:
    return _planned(mode)[1].names


def _one_schema(directory: Path, more_parts_than: int) -> list[str]:
    """The column names every part of ``directory`` shares (there are more than
    ``more_parts_than`` parts, and one schema)."""
    parts = _parts(directory)
    assert len(parts) > more_parts_than
    schemas = _schemas(directory)
    assert len(schemas) == 1, f"{len(schemas)} schemas in {len(parts)} {directory.name} parts"
    return [name for name, _ in next(iter(schemas))]


def test_rejects_parts_share_one_schema_from_the_plan(run_output):
    out, mode = run_output
    names = _one_schema(out / "rejects", 5)
    assert names == _expected_columns(mode)
    if mode == "minimal":
        assert names == MINIMAL
    else:
        for column in ("text", "language_score", "gopher_word_count", "c4_line_count", "fineweb_line_count",
                       "duplicate_of", "duplicate_cluster_id", "pii_emails", "dropped_by", "reason"):
            assert column in names


def test_rejects_read_with_pyarrow_dataset(run_output):
    out, mode = run_output
    table = ds.dataset(str(out / "rejects"), format="parquet").to_table()
    assert table.column_names == _expected_columns(mode)
    assert table.num_rows == sum(pq.read_metadata(p).num_rows for p in _parts(out / "rejects"))
    assert set(table["dropped_by"].to_pylist()) >= EVERY_STAGE
    rows = table.to_pylist()
    near = [r for r in rows if r["dropped_by"] == "minhash_dedup"]
    assert near and all(r["duplicate_of"] for r in near)
    assert all(r["duplicate_of"] is None for r in rows if r["dropped_by"] != "minhash_dedup")
    if mode == "full":
        gopher = [r for r in rows if r["dropped_by"] == "gopher_quality"]
        assert gopher and all(isinstance(r["gopher_word_count"], int) for r in gopher)
        # a row dropped before a stage ran holds null in its columns
        assert all(r["gopher_word_count"] is None for r in rows if r["dropped_by"] in ("read", "language_filter"))


def test_rejects_read_with_polars(run_output):
    pl = pytest.importorskip("polars")
    out, mode = run_output
    frame = pl.read_parquet(str(out / "rejects" / "*.parquet"))
    assert frame.columns == _expected_columns(mode)
    assert frame.filter(pl.col("duplicate_of").is_not_null()).height == frame.filter(pl.col("dropped_by") == "minhash_dedup").height > 0


def test_rejects_read_with_duckdb(run_output):
    duckdb = pytest.importorskip("duckdb")
    out, mode = run_output
    con = duckdb.connect()
    files = f"{out / 'rejects'}/*.parquet"
    result = con.execute(f"SELECT * FROM read_parquet('{files}')")
    assert [d[0] for d in result.description] == _expected_columns(mode)
    assert len(result.fetchall()) == ds.dataset(str(out / "rejects")).count_rows()
    [(near,)] = con.execute(f"SELECT count(*) FROM read_parquet('{files}') WHERE duplicate_of IS NOT NULL").fetchall()
    assert near == ds.dataset(str(out / "rejects")).count_rows(filter=ds.field("dropped_by") == "minhash_dedup") > 0


def test_rejects_read_with_hf_datasets(run_output, tmp_path, monkeypatch):
    datasets = pytest.importorskip("datasets")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    out, mode = run_output
    files = sorted(glob.glob(str(out / "rejects" / "*.parquet")))
    loaded = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=str(tmp_path / "hf"))
    assert loaded.column_names == _expected_columns(mode)
    assert sum(1 for v in loaded["duplicate_of"] if v is not None) > 0


def test_data_parts_share_one_schema(run_output):
    out, _ = run_output
    data, _ = _planned()
    assert _one_schema(out / "data", 3) == data.names
    # WARC columns are null for the JSONL documents, rather than absent from their parts
    table = ds.dataset(str(out / "data")).to_table(columns=["id", "content_type"]).to_pylist()
    assert {r["id"] for r in table if r["content_type"] is None} >= {"good"}


def test_single_phase_pipeline_needs_no_caller_change(tmp_path):
    """Without global stages the executor plans the schemas itself (no curate.run help)."""
    jsonl = _write_jsonl(tmp_path / "docs.jsonl")
    pipeline = load_pipeline(PIPELINE)
    pipeline.stages = [st for st in pipeline.stages if not getattr(st, "is_global", False)]
    pipeline.execution.batch_rows = 3
    pipeline.output.min_rows_per_file = 1
    out = tmp_path / "out"
    run_pipeline(pipeline, [str(SAMPLE_WARC), str(jsonl)], str(out), executor="local")
    for kind in ("data", "rejects"):
        assert len(_parts(out / kind)) > 3
        assert len(_schemas(out / kind)) == 1, kind
    frame = pytest.importorskip("polars").read_parquet(str(out / "rejects" / "*.parquet"))
    assert "fineweb_line_count" in frame.columns and "duplicate_of" not in frame.columns


def test_write_parts_conforms_batches_to_the_layout_schemas(tmp_path):
    """Batches with different columns, order and all-null types give one schema per folder."""
    import pyarrow as pa

    from curate.config import OutputConfig
    from curate.output import OutputLayout, write_parts

    data_schema = pa.schema([("id", pa.string()), ("text", pa.large_string()), ("score", pa.float64())])
    rejects_schema = pa.schema([
        ("id", pa.string()), ("text", pa.large_string()), ("dropped_by", pa.string()), ("reason", pa.string()),
        ("score", pa.float64()), ("duplicate_of", pa.string()),
    ])
    layout = OutputLayout(str(tmp_path), data_schema=data_schema, rejects_schema=rejects_schema)
    layout.makedirs()
    first = pa.table({
        "id": ["a", "b"], "text": pa.array(["x", "y"], pa.large_string()), "_input": ["k", "k"],
        "_dropped_by": pa.array([None, "read"], pa.string()), "_reason": pa.array([None, "bad"], pa.string()),
    })
    second = pa.table({
        "_reason": pa.array([None, "near_duplicate"], pa.string()), "score": pa.array([None, None]),
        "text": pa.array(["z", "w"], pa.large_string()), "id": ["c", "d"], "_input": ["k", "k"],
        "duplicate_of": pa.array([None, "c"]), "_dropped_by": pa.array([None, "dedup"], pa.string()),
    })
    for table in (first, second):
        write_parts(layout, table, OutputConfig())
    for kind, schema in (("data", data_schema), ("rejects", rejects_schema)):
        parts = _parts(tmp_path / kind)
        assert len(parts) == 2
        assert all(pq.read_schema(p).remove_metadata() == schema for p in parts), kind
    rejects = ds.dataset(str(tmp_path / "rejects")).to_table().sort_by("id").to_pylist()
    assert [(r["id"], r["duplicate_of"], r["score"]) for r in rejects] == [("b", None, None), ("d", "c", None)]
