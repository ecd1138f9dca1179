"""End-to-end runs through Ray Data: the output contract, rejects, damage, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from curate.pipeline import load_pipeline, pipeline_from_dict
from curate.run import RunError, run_pipeline

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"
TEXT_PIPELINE = REPO / "pipelines" / "commoncrawl-text.yaml"

pytestmark = pytest.mark.ray


def read_dir(path: Path):
    files = sorted(path.glob("part-*.parquet"))
    if not files:
        return None
    import pyarrow as pa

    return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")


def check_output_contract(out: Path, result, columns=("id", "text", "url", "source", "language", "language_score")) -> None:
    stats = json.loads((out / "stats.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    data = read_dir(out / "data")
    rejects = read_dir(out / "rejects")
    kept = data.num_rows if data is not None else 0
    rejected = rejects.num_rows if rejects is not None else 0
    assert stats["documents"] == {"kept": kept, "rejected": rejected}
    assert result.kept == kept
    assert sum(f["rows"] for f in manifest["files"]) == kept + rejected
    assert {f["path"] for f in manifest["files"]} == {
        f"{d}/{p.name}" for d in ("data", "rejects") for p in (out / d).glob("part-*.parquet")
    }
    # Every row the reader emitted is either kept or rejected: nothing vanishes.
    assert stats["stages"][0]["rows_in"] == kept + rejected
    # The stage accounting chains: out of one stage is in of the next.
    for before, after in zip(stats["stages"], stats["stages"][1:]):
        assert before["rows_out"] == after["rows_in"]
        assert after["rows_in"] - after["rows_out"] == sum(after["dropped"].values())
    if data is not None:
        for column in columns:
            assert column in data.column_names
        assert not any(c.startswith("_") for c in data.column_names)
        assert "payload" not in data.column_names
        assert pc.all(pc.greater(pc.utf8_length(data["text"]), 0)).as_py()
        assert len(set(data["id"].to_pylist())) == kept
    if rejects is not None:
        assert {"dropped_by", "reason"} <= set(rejects.column_names)
        assert rejects["reason"].null_count == 0
        # stats.json's drops are the rows written to rejects/, stage by stage and reason by reason
        written: dict[tuple[str, str], int] = {}
        for stage, reason in zip(rejects["dropped_by"].to_pylist(), rejects["reason"].to_pylist()):
            written[(stage, reason)] = written.get((stage, reason), 0) + 1
        counted = {(s["stage"], r): n for s in stats["stages"] for r, n in s["dropped"].items() if n}
        assert counted == written
    assert not list(out.rglob(".tmp-*")), "temporary files left behind"


def test_sample_warc_through_ray(ray_session, tmp_path, sample_warc):
    out = tmp_path / "out"
    result = run_pipeline(load_pipeline(PIPELINE), [str(sample_warc)], str(out))
    check_output_contract(out, result)
    data = read_dir(out / "data")
    assert set(data["language"].to_pylist()) == {"en"}
    assert result.kept >= 15
    reasons = result.stats["stages"][0]["dropped"]
    assert reasons.get("not_html") == 4 and reasons.get("empty_payload") == 1
    assert reasons.get("http_status_404") == 1
    langs = read_dir(out / "rejects")
    # the cascade rejects most other-language pages before trafilatura, language_filter the rest
    early = langs.filter(pc.equal(langs["reason"], "prefilter:wrong_language"))
    late = langs.filter(pc.equal(langs["reason"], "wrong_language"))
    found = set(early["prefilter_language"].to_pylist()) | set(late["language"].to_pylist())
    assert {"de", "fr", "es", "ja"} <= found


def test_every_shared_warc_through_ray(ray_session, tmp_path, shared_data):
    warc_dir = shared_data / "warc"
    out = tmp_path / "out"
    # the Common Crawl pipeline takes the WARC family from a directory; the JSONL files are named
    result = run_pipeline(load_pipeline(PIPELINE), [str(warc_dir), str(warc_dir / "cc-documents")], str(out))
    check_output_contract(out, result)
    stats = result.stats
    inputs = {p.as_posix() for p in warc_dir.rglob("*") if p.name.endswith((".warc.gz", ".wet.gz", ".arc.gz", ".jsonl", ".jsonl.gz"))}
    assert stats["inputs"]["total"] == len(inputs) == stats["inputs"]["completed"]
    damaged = {d["input"]: d["damage"] for d in stats["damaged_inputs"]}
    assert list(damaged) == [str(warc_dir / "resiliparse" / "clipped.warc.gz")]
    assert "truncated" in next(iter(damaged.values()))
    rejects = read_dir(out / "rejects")
    clipped = rejects.filter(pc.equal(rejects["source"], str(warc_dir / "resiliparse" / "clipped.warc.gz")))
    assert clipped["reason"].to_pylist() == ["truncated_payload"]
    data = read_dir(out / "data")
    sources = set(data["source"].to_pylist())
    # The ARC file and its WARC twin yield the same documents, so minhash_dedup keeps one
    # copy: each document of one twin is kept, its copy in the other is a near_duplicate.
    duplicates = rejects.filter(pc.equal(rejects["reason"], "near_duplicate"))

    def count(table, name):
        return table.filter(pc.match_substring(table["source"], name)).num_rows

    kept_arc, kept_warc = count(data, "example.arc.gz"), count(data, "example.warc.gz")
    assert kept_arc + kept_warc > 0 and min(kept_arc, kept_warc) == 0
    assert kept_arc + count(duplicates, "example.arc.gz") == kept_warc + count(duplicates, "example.warc.gz")
    assert any(s.endswith(".jsonl.gz") for s in sources)
    # The WET conversion record arrives as text and is language-identified (it is an
    # Aragonese Wikipedia page, so the English filter rejects it).
    wet = rejects.filter(pc.match_substring(rejects["source"], "wet.gz"))
    assert wet["reason"].to_pylist() == ["wrong_language"]
    assert wet["language"][0].as_py() in ("an", "es")  # lid.176.ftz often says es
    assert "Escopete" in wet["text"][0].as_py()


def test_resume_skips_complete_inputs_and_redoes_partial(ray_session, tmp_path, shared_data, capsys):
    warc_dir = shared_data / "warc"
    inputs = [
        str(warc_dir / "resiliparse" / "warcfile.warc.gz"),
        str(warc_dir / "dolma" / "sample-0000.warc.gz"),
        str(warc_dir / "dolma" / "sample-0001.warc.gz"),
    ]
    # A pipeline without global stages: each input's parts land in data/ directly (the
    # phased resume of pipelines with dedup is tested in tests/dedup/test_resume.py).
    pipeline = load_pipeline(TEXT_PIPELINE)
    full = tmp_path / "full"
    reference = run_pipeline(pipeline, inputs, str(full))
    ids_ref = sorted(read_dir(full / "data")["id"].to_pylist())

    # Simulate a run killed half-way: one input has no completion report, a part file of
    # it is missing, and a temporary file is lying around.
    from curate.readers.base import InputFile

    victim = InputFile(inputs[1]).key
    (full / "_curate" / "inputs" / f"{victim}.json").unlink()
    victim_parts = sorted((full / "data").glob(f"part-{victim}-*.parquet"))
    assert victim_parts
    victim_parts[0].unlink()
    from curate.ownership import Ownership

    owner_id = Ownership.read(str(full)).output_id  # a killed run's temporary names carry it
    (full / "data" / f".tmp-{owner_id}-part-half-written.parquet").write_bytes(b"PAR1garbage")

    resumed = run_pipeline(load_pipeline(TEXT_PIPELINE), inputs, str(full))
    assert resumed.inputs_skipped == 2
    ids_after = sorted(read_dir(full / "data")["id"].to_pylist())
    assert ids_after == ids_ref
    assert resumed.stats["documents"] == reference.stats["documents"]
    check_output_contract(full, resumed)

    # A third run has nothing to do.
    again = run_pipeline(load_pipeline(TEXT_PIPELINE), inputs, str(full))
    assert again.inputs_skipped == 3
    assert sorted(read_dir(full / "data")["id"].to_pylist()) == ids_ref


def test_changed_pipeline_refuses_to_mix_outputs(ray_session, tmp_path, sample_warc):
    out = tmp_path / "out"
    run_pipeline(load_pipeline(PIPELINE), [str(sample_warc)], str(out))
    changed = load_pipeline(PIPELINE)
    next(s for s in changed.stages if s.name == "language_filter").languages = ["de"]
    with pytest.raises(RunError, match="different pipeline"):
        run_pipeline(changed, [str(sample_warc)], str(out))
    result = run_pipeline(changed, [str(sample_warc)], str(out), overwrite=True)
    assert set(read_dir(out / "data")["language"].to_pylist()) == {"de"}
    assert result.inputs_skipped == 0


CUSTOM_FILTER = '''
import pyarrow.compute as pc
from curate import Filter, row_filter


class MinWords(Filter):
    """Drop documents with fewer than ``min_words`` words."""
    min_words: int = 50

    def score(self, batch):
        return pc.list_value_length(pc.utf8_split_whitespace(batch["text"]))

    def keep(self, score):
        return pc.greater_equal(score, self.min_words)


@row_filter
def no_soup(text: str) -> bool:
    return "soup" not in text.lower()
'''


def test_custom_filters_from_yaml_run_on_ray(ray_session, tmp_path, sample_warc, monkeypatch):
    module_dir = tmp_path / "userpkg"
    module_dir.mkdir()
    (module_dir / "my_filters_e2e.py").write_text(CUSTOM_FILTER)
    monkeypatch.syspath_prepend(str(module_dir))
    pipeline = pipeline_from_dict(
        {
            "name": "custom",
            "stages": [
                {"extract_html": {}},
                {"my_filters_e2e:MinWords": {"min_words": 120}},
                "my_filters_e2e:no_soup",
            ],
        }
    )
    out = tmp_path / "out"
    result = run_pipeline(pipeline, [str(sample_warc)], str(out))
    check_output_contract(out, result, columns=("id", "text", "url", "source", "min_words"))
    data = read_dir(out / "data")
    words = pc.list_value_length(pc.utf8_split_whitespace(data["text"]))
    assert pc.min(words).as_py() >= 120
    assert "min_words" in data.column_names
    assert not any("soup" in t.lower() for t in data["text"].to_pylist())
    dropped = {s["stage"]: s["dropped"] for s in result.stats["stages"]}
    assert dropped["min_words"].get("min_words", 0) >= 1
    assert dropped["no_soup"].get("no_soup", 0) >= 1
