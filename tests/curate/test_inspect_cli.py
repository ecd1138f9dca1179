"""The ``curate`` command line (in-process, --executor local) and ``curate inspect``."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from curate.cli import main
from curate.inspect import summarize_output
from curate.inspect_view import inspect_output, render_summary

REPO = Path(__file__).resolve().parents[2]
PIPELINE = str(REPO / "pipelines" / "commoncrawl-text.yaml")
SAMPLE = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"
STAGES = ["read", "extract_html", "fasttext_language_id", "language_filter"]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One ``curate run --executor local`` over the sample, shared by this module's tests."""
    out = tmp_path_factory.mktemp("cli") / "out"
    rc = main(["run", PIPELINE, "--input", str(SAMPLE), "--output", str(out), "--executor", "local", "-q"])
    return rc, out


@pytest.fixture
def wide(monkeypatch):
    """rich wraps at the terminal width; make it wide so lines are not broken."""
    monkeypatch.setenv("COLUMNS", "200")


def read_dir(path: Path) -> pa.Table:
    return pa.concat_tables([pq.read_table(f) for f in sorted(path.glob("part-*.parquet"))], promote_options="permissive")


def test_run_returns_zero_and_writes_output(cli_run):
    rc, out = cli_run
    assert rc == 0
    for name in ("stats.json", "manifest.json", "_curate/run.json"):
        assert (out / name).is_file()
    assert list((out / "data").glob("part-*.parquet"))
    assert list((out / "rejects").glob("part-*.parquet"))


def test_run_again_resumes(cli_run, capsys):
    rc, out = cli_run
    before = sorted(p.name for p in out.rglob("part-*.parquet"))
    assert main(["run", PIPELINE, "--input", str(SAMPLE), "--output", str(out), "--executor", "local", "-q"]) == 0
    err = capsys.readouterr().err
    assert "already complete" in " ".join(err.split())
    assert sorted(p.name for p in out.rglob("part-*.parquet")) == before


def test_inspect_prints_stages_reasons_languages_samples(cli_run, capsys, wide):
    _, out = cli_run
    stats = json.loads((out / "stats.json").read_text())
    capsys.readouterr()
    assert main(["inspect", str(out)]) == 0
    printed = capsys.readouterr().out
    flat = " ".join(printed.split())

    assert "pipeline commoncrawl" in flat
    assert f"{stats['documents']['kept']:,} documents kept" in flat
    for stage in STAGES:
        assert stage in printed
    for stage in stats["stages"]:
        for reason in stage["dropped"]:
            assert reason in printed
    assert "wrong_language" in printed
    # the language table covers every identified document: kept English, rejected others
    assert "Languages (identified documents)" in printed
    rejects = read_dir(out / "rejects")  # pages the cascade rejected carry prefilter_language
    rejected_languages = set(pc.coalesce(rejects["language"], rejects["prefilter_language"]).drop_null().to_pylist())
    assert rejected_languages - {"en"}, "the sample holds non-English pages"
    region = printed.split("Languages (identified documents)")[1]
    for language in rejected_languages | {"en"}:
        # one table row per language, whatever box characters rich draws
        assert re.search(rf"^\W+{language} +\W", region, re.M), language
    assert "Text length (characters)" in printed
    data = read_dir(out / "data")
    # the first three documents are shown as samples, with URL and language
    for url in data["url"].to_pylist()[:3]:
        assert url in printed
    assert "Sample rejects" not in printed


def test_inspect_rejects_flag(cli_run, capsys, wide):
    _, out = cli_run
    capsys.readouterr()
    assert main(["inspect", str(out), "--rejects", "--samples", "1"]) == 0
    printed = capsys.readouterr().out
    assert "Sample rejects" in printed
    assert "extract_html:prefilter:wrong_language" in printed  # the extraction cascade's rejects
    assert "read:not_html" in printed


@pytest.mark.parametrize("samples", [0, 1, 5])
def test_inspect_output_returns_summary(cli_run, samples):
    _, out = cli_run
    buffer = io.StringIO()
    summary = inspect_output(str(out), samples=samples, console=Console(file=buffer, width=200))
    stats = json.loads((out / "stats.json").read_text())
    data = read_dir(out / "data")

    assert summary["stats"] == stats
    rejects = read_dir(out / "rejects")
    identified = set(pc.coalesce(rejects["language"], rejects["prefilter_language"]).drop_null().to_pylist()) | {"en"}
    # kept documents per identified language: English only, the rest were all rejected
    assert summary["languages"] == {lang: data.num_rows if lang == "en" else 0 for lang in identified}
    lengths = summary["text_length"]
    assert set(lengths) == {"min", "p10", "median", "p90", "max", "mean"}
    assert 0 < lengths["min"] <= lengths["p10"] <= lengths["median"] <= lengths["p90"] <= lengths["max"]
    assert lengths["min"] <= lengths["mean"] <= lengths["max"]
    assert lengths["max"] == max(len(t) for t in data["text"].to_pylist())
    text = buffer.getvalue()
    # The first rows are shown; a URL may be a prefix of another one, so check by line.
    shown_lines = [line.strip() for line in text.splitlines()]
    shown = [url for url in data["url"].to_pylist() if any(ln == url or ln.startswith(url + " [") for ln in shown_lines)]
    assert len(shown) == min(samples, data.num_rows)


@pytest.mark.parametrize("show_rejects", [False, True])
def test_summarize_output_prints_nothing(cli_run, capfd, show_rejects):
    """The library side computes; only curate.inspect_view prints."""
    _, out = cli_run
    capfd.readouterr()
    summary = summarize_output(str(out), samples=2, show_rejects=show_rejects)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert summary["kind"] == "pipeline" and summary["directory"] == str(out)
    data = read_dir(out / "data")
    assert [row["url"] for row in summary["sample_documents"]] == data["url"].to_pylist()[:2]
    rejects = read_dir(out / "rejects")
    identified = pc.coalesce(rejects["language"], rejects["prefilter_language"]).drop_null()
    assert sum(summary["languages_rejected"].values()) == identified.length()
    if show_rejects:
        reasons = {f"{row['dropped_by']}:{row['reason']}" for row in summary["sample_rejects"]}
        assert {"extract_html:prefilter:wrong_language", "read:not_html"} <= reasons
    else:
        assert "sample_rejects" not in summary


def test_inspect_module_does_not_import_rich():
    import ast

    import curate.inspect

    tree = ast.parse(Path(curate.inspect.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name == "rich" or name.startswith("rich.")}
    assert "print(" not in Path(curate.inspect.__file__).read_text()


def test_render_summary_prints_what_inspect_output_prints(cli_run):
    _, out = cli_run
    summary = summarize_output(str(out), samples=2, show_rejects=True)
    rendered, printed = io.StringIO(), io.StringIO()
    render_summary(Console(file=rendered, width=200), summary)
    assert inspect_output(str(out), samples=2, show_rejects=True, console=Console(file=printed, width=200)) == summary
    lines = rendered.getvalue().splitlines()
    assert lines == printed.getvalue().splitlines()
    flat = " ".join(rendered.getvalue().split())
    stats = summary["stats"]
    assert f"pipeline {stats['pipeline']}: {stats['documents']['kept']:,} documents kept" in flat
    for title in ("Stages", "Languages (identified documents)", "Text length (characters)", "Sample rejects"):
        assert title in flat
    for row in summary["sample_documents"]:
        assert any(line.startswith(row["url"]) for line in lines)


@pytest.mark.parametrize(
    "argv, message",
    [
        pytest.param(lambda d: ["inspect", str(d)], "has no stats.json", id="inspect-empty-dir"),
        pytest.param(lambda d: ["inspect", str(d / "missing")], "has no stats.json", id="inspect-missing-dir"),
        pytest.param(
            lambda d: ["run", PIPELINE, "--input", "/nonexistent/x.warc.gz", "--output", str(d / "out")],
            "does not exist",
            id="run-missing-input",
        ),
        pytest.param(
            lambda d: ["run", str(d / "nope.yaml"), "--input", str(SAMPLE), "--output", str(d / "out")],
            "does not exist",
            id="run-missing-pipeline",
        ),
        pytest.param(lambda d: ["explain", str(d / "nope.yaml")], "does not exist", id="explain-missing-pipeline"),
        pytest.param(
            lambda d: ["run", PIPELINE, "--input", str(SAMPLE), "--executor", "local"],
            "no output directory",
            id="run-no-output",
        ),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, argv, message):
    assert main(argv(tmp_path)) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("curate: error: ")
    assert message in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out").exists(), "a failed start must not create the output"


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("stages:\n  - no_such_stage: {}\n", "unknown stage 'no_such_stage'"),
        ("stages:\n  - language_filter: {min_scor: 1}\n", "its settings are"),
        ("nme: x\n", "unknown top-level keys"),
    ],
)
def test_cli_pipeline_errors(tmp_path, capsys, yaml_text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    assert main(["explain", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert message in err


def test_stages_lists_builtins(capsys):
    assert main(["stages"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {ln.split()[0]: ln.split()[1] for ln in lines if ln.strip()}
    assert rows["extract_html"] == "task"
    assert rows["fasttext_language_id"] == "actor"
    assert rows["language_filter"] == "task"
    line = next(ln for ln in lines if ln.startswith("extract_html"))
    assert "Extract the main text" in line


def test_explain(capsys):
    assert main(["explain", PIPELINE]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("pipeline commoncrawl")
    for stage in STAGES[1:]:
        assert stage in printed
    assert "actor pool" in printed
    assert "'engine': 'trafilatura'" in printed
    assert "rejects: full" in printed
    assert "'prefilter_languages': ['en']" in printed  # auto, resolved as a run resolves it


@pytest.mark.parametrize("argv", [[], ["bogus"], ["run"], ["run", PIPELINE, "--executor", "dask"]])
def test_bad_arguments_exit_via_argparse(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: curate" in capsys.readouterr().err


# -- output directories written by hand (no run) ---------------------------------------------


def fake_output(directory: Path, texts: list[str], urls: list[str] | None = None) -> Path:
    """A minimal output directory: stats.json and one data part."""
    n = len(texts)
    (directory / "data").mkdir(parents=True)
    stats = {
        "pipeline": "handmade",
        "inputs": {"total": 1, "completed": 1, "damaged": 0},
        "documents": {"kept": n, "rejected": 0},
        "stages": [
            {"stage": "read", "kind": "read", "rows_in": n, "rows_out": n, "dropped": {}, "seconds": 0.0},
        ],
        "damaged_inputs": [],
    }
    (directory / "stats.json").write_text(json.dumps(stats))
    table = pa.table(
        {
            "id": [f"doc{i}" for i in range(n)],
            "url": urls or [f"https://site.example/{i}" for i in range(n)],
            "text": texts,
            "language": ["en"] * n,
            "language_score": pa.array([0.98] * n, pa.float32()),
        }
    )
    pq.write_table(table, directory / "data" / "part-in-0123456789ab-abcdefabcdef.parquet")
    return directory


def test_inspect_handmade_output(tmp_path):
    out = fake_output(tmp_path / "out", ["short", "a bit longer text", "x" * 50])
    buffer = io.StringIO()
    summary = inspect_output(str(out), samples=2, console=Console(file=buffer, width=200))
    assert summary["languages"] == {"en": 3}
    assert summary["text_length"]["min"] == 5
    assert summary["text_length"]["max"] == 50
    assert "https://site.example/0" in buffer.getvalue()
    assert "https://site.example/2" not in buffer.getvalue()


def test_inspect_sample_shows_language(tmp_path, capsys, wide):
    out = fake_output(tmp_path / "out", ["An English document about gardens."])
    assert main(["inspect", str(out)]) == 0
    assert "[en 0.98]" in capsys.readouterr().out


def test_inspect_survives_brackets_in_text(tmp_path, capsys, wide):
    out = fake_output(tmp_path / "out", ["Install it under [/usr/bin] as usual [citation needed]."])
    assert main(["inspect", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[/usr/bin]" in printed and "[citation needed]" in printed


def test_a_missing_package_is_one_line_that_names_the_install(monkeypatch, capsys):
    """Not the 'completed inputs are kept, re-run to resume' advice of a failed input."""
    import curate.cli as cli

    def missing(args):
        raise RuntimeError("task failed") from ModuleNotFoundError("No module named 's3fs'", name="s3fs")

    monkeypatch.setattr(cli, "_cmd_run", missing)
    assert cli.main(["run", "pipelines/commoncrawl.yaml", "--input", "s3://b/x.warc.gz", "--output", "s3://b/out"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s3fs" in err and "curate[s3]" in err and "resume" not in err
