"""curate deletes only what it wrote: ``run --overwrite``, mixture ``--overwrite``,
``curate tokenize``, foreign files in an output folder, and the atomic manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.cli import main
from curate.ownership import ForeignFilesError, Ownership
from curate.pipeline import load_pipeline
from curate.run import RunError, run_pipeline
from curate.tokenize import shards as shards_module

from .conftest import REPO, SAMPLE_WARC

PIPELINE = REPO / "pipelines" / "commoncrawl-text.yaml"


def user_files(root: Path) -> dict[str, bytes]:
    """A user's own files, some with names that look like curate's."""
    files = {
        "notes.txt": b"my notes",
        "data/part-mine-0123456789ab.parquet": _parquet_bytes(),
        "data/README.md": b"what this folder is",
        "rejects/keep.bin": b"\x00\x01",
        "_curate/mine.json": b'{"mine": true}',
        "sub/keep.bin": b"keep me",
        "tokens/mine.txt": b"my tokens",
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return files


def _parquet_bytes() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": ["u1", "u2"], "text": ["mine", "also mine"]}), sink)
    return sink.getvalue().to_pybytes()


def assert_untouched(root: Path, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        assert (root / name).read_bytes() == content, name


def run_sample(out: Path, **kwargs):
    return run_pipeline(load_pipeline(PIPELINE), [str(SAMPLE_WARC)], str(out), executor="local", **kwargs)


def test_run_refuses_a_folder_with_files_it_did_not_write(tmp_path):
    out = tmp_path / "out"
    files = user_files(out)
    with pytest.raises(RunError) as err:
        run_sample(out)
    message = str(err.value)
    assert "\n" not in message and "did not write" in message and "--allow-other-files" in message
    assert "notes.txt" in message
    assert_untouched(out, files)
    assert not (out / "_curate" / "owner.json").exists()


def test_overwrite_deletes_only_what_curate_wrote(tmp_path):
    out = tmp_path / "out"
    files = user_files(out)
    first = run_sample(out, allow_other_files=True)
    # the user's part-named file is not output: the counts are the run's own
    data_parts = [p for p in (out / "data").glob("part-*.parquet") if p.name != "part-mine-0123456789ab.parquet"]
    assert first.kept == sum(pq.ParquetFile(p).metadata.num_rows for p in data_parts)
    stats = json.loads((out / "stats.json").read_text())
    assert "warning" not in stats and stats["documents"]["kept"] == first.kept

    again = run_sample(out, allow_other_files=True, overwrite=True)
    assert (again.kept, again.rejected) == (first.kept, first.rejected)
    assert_untouched(out, files)
    # a third run without --allow-other-files is refused (the folder still holds them)
    with pytest.raises(RunError, match="did not write"):
        run_sample(out, overwrite=True)
    assert_untouched(out, files)
    assert (out / "stats.json").exists()


def test_overwrite_of_a_clean_output_leaves_nothing_behind(tmp_path):
    out = tmp_path / "out"
    run_sample(out)
    owner = Ownership.read(str(out))
    assert owner is not None
    owned, foreign = owner.classify()
    assert foreign == [] and len(owned) > 4
    owner.remove_owned(keep_owner_file=False)
    assert not [p for p in out.rglob("*") if p.is_file()]


def test_a_part_file_copied_from_another_output_is_not_this_outputs(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run_sample(a)
    run_sample(b)
    stranger = next((a / "data").glob("part-*.parquet"))
    shutil.copy(stranger, b / "data" / ("part-copied-" + stranger.name.rsplit("-", 1)[1]))
    with pytest.raises(RunError, match="did not write"):
        run_sample(b)
    result = run_sample(b, allow_other_files=True)
    assert result.kept == run_sample(a).kept


# -- curate tokenize --------------------------------------------------------------------------


@pytest.fixture
def gpt_neo(shared_data: Path) -> str:
    path = shared_data / "models" / "hf-tokenizers" / "gpt-neo-test-tokenizer.json"
    if not path.exists():
        pytest.skip(f"{path} is missing from the shared data")
    return str(path)


@pytest.fixture
def documents(tmp_path) -> Path:
    path = tmp_path / "docs.parquet"
    texts = [f"Document number {i} talks about the weather and the sea, for a while." * (1 + i % 5) for i in range(300)]
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(300)], "text": texts}), path)
    return path


def tokenize(documents: Path, out: Path, tokenizer: str, *extra: str) -> int:
    return main(["tokenize", str(documents), "--tokenizer", tokenizer, "--output", str(out), "--executor", "local",
                 "--shard-tokens", "3000", *extra])


def test_tokenize_refuses_an_existing_output_without_overwrite(tmp_path, documents, gpt_neo, capsys):
    out = tmp_path / "tok"
    assert tokenize(documents, out, gpt_neo) == 0
    manifest = (out / "manifest.json").read_bytes()
    (out / "tokens" / "mine.txt").write_text("mine")
    assert tokenize(documents, out, gpt_neo) == 2
    err = capsys.readouterr().err
    assert "already holds a tokenized output" in err and "--overwrite" in err
    assert (out / "manifest.json").read_bytes() == manifest
    # --overwrite replaces curate's shards; the user's file needs --allow-other-files and stays
    assert tokenize(documents, out, gpt_neo, "--overwrite") == 2
    assert "did not write" in capsys.readouterr().err
    assert tokenize(documents, out, gpt_neo, "--overwrite", "--allow-other-files", "--seed", "5") == 0
    assert (out / "tokens" / "mine.txt").read_text() == "mine"
    new = json.loads((out / "manifest.json").read_text())
    assert new["seed"] == 5
    assert sorted(p.name for p in (out / "tokens").glob("*.parquet")) == sorted(s["path"].split("/")[-1] for s in new["shards"])


def test_a_killed_retokenize_keeps_the_old_manifest_and_the_next_run_finishes(tmp_path, documents, gpt_neo, monkeypatch):
    out = tmp_path / "tok"
    assert tokenize(documents, out, gpt_neo, "--seed", "1") == 0
    old_manifest = (out / "manifest.json").read_bytes()
    old_shards = {p.name: p.read_bytes() for p in (out / "tokens").glob("*.parquet")}

    # killed while tokenizing (before the commit record): the old output is whole
    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(shards_module, "_shard_task", killed)
    assert tokenize(documents, out, gpt_neo, "--seed", "2", "--overwrite") == 130
    assert (out / "manifest.json").read_bytes() == old_manifest
    assert {p.name: p.read_bytes() for p in (out / "tokens").glob("*.parquet")} == old_shards
    monkeypatch.undo()

    # killed while applying the commit record (after the first shard moved): the old
    # manifest is still there, and the next run finishes the replacement
    real_commit = shards_module.commit
    moved = []

    def commit_then_die(fs, tmp, final):
        if "/tokens/shard-" in final and moved:
            raise KeyboardInterrupt
        real_commit(fs, tmp, final)
        moved.append(final)

    monkeypatch.setattr(shards_module, "commit", commit_then_die)
    assert tokenize(documents, out, gpt_neo, "--seed", "2", "--overwrite") == 130
    assert (out / "manifest.json").read_bytes() == old_manifest
    assert (out / "_curate" / "tokenize" / "commit.json").exists()
    monkeypatch.undo()

    assert tokenize(documents, out, gpt_neo, "--seed", "2", "--overwrite") == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2
    assert not (out / "_curate" / "tokenize" / "commit.json").exists()
    reference = tmp_path / "reference"
    assert tokenize(documents, reference, gpt_neo, "--seed", "2") == 0
    assert {p.name: p.read_bytes() for p in (out / "tokens").glob("*.parquet")} == {
        p.name: p.read_bytes() for p in (reference / "tokens").glob("*.parquet")
    }


# -- mixture ----------------------------------------------------------------------------------


def test_mixture_overwrite_keeps_the_users_files(tmp_path, documents, gpt_neo):
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(
        "sources:\n"
        f"  a: {{data: {documents}, weight: 0.5}}\n"
        f"  b: {{data: {documents}, weight: 0.5}}\n"
        f"tokenize: {{tokenizer: {gpt_neo}, shard_tokens: 5000}}\n"
    )
    out = tmp_path / "mix"
    out.mkdir()
    files = {"notes.txt": b"mine", "sub/keep.bin": b"keep"}
    for name, content in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(content)
    args = ["run", str(mixture), "--output", str(out), "--executor", "local", "--quiet"]
    assert main(args) == 2  # refused: the folder holds the user's files
    assert main([*args, "--allow-other-files"]) == 0
    first = json.loads((out / "manifest.json").read_text())
    assert main([*args, "--allow-other-files", "--overwrite"]) == 0
    assert_untouched(out, files)
    second = json.loads((out / "manifest.json").read_text())
    assert second["totals"] == first["totals"]
    owner = Ownership.read(str(out))
    _, foreign = owner.classify()
    assert sorted(Path(p).relative_to(out).as_posix() for p in foreign) == sorted(files)


def test_claim_on_an_empty_existing_folder_is_allowed(tmp_path):
    (tmp_path / "empty").mkdir()
    owner = Ownership.claim(str(tmp_path / "empty"))
    assert Ownership.read(str(tmp_path / "empty")).output_id == owner.output_id
    (tmp_path / "empty" / "x.txt").write_text("x")
    with pytest.raises(ForeignFilesError):
        Ownership.claim(str(tmp_path / "empty"))


def test_a_temporary_file_a_killed_step_left_in_a_work_folder_is_curates(tmp_path):
    """Work folders name temporary files without the output id; a killed dedup step's
    leftover must not make the next run (or --overwrite) refuse the output."""
    out = tmp_path / "out"
    run_sample(out)
    leftover = out / "_curate" / "dedup" / "minhash_dedup" / "done" / ".tmp-task1.json.1234abcd"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_text("{")
    owned, foreign = Ownership.read(str(out)).classify()
    assert foreign == [] and any(p.endswith(".tmp-task1.json.1234abcd") for p in owned)
