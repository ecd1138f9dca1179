"""The README's Python snippets that need no data or Ray run as printed, and every
registered stage's one-line description (``curate stages``) is a whole sentence."""

from __future__ import annotations

import re

from curate.cli import first_sentence
from curate.registry import registered_stages
from curate.schema import DROPPED_BY

from .conftest import REPO

README = (REPO / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


def block_starting(text: str) -> str:
    found = [b for b in BLOCKS if text in b]
    assert len(found) == 1, f"{len(found)} README python blocks contain {text!r}"
    return found[0]


def test_run_stage_snippet_runs_as_printed(capsys):
    exec(compile(block_starting("run_stage(ExtractHtml"), "README.md", "exec"), {})
    assert "The tide comes in twice a day" in capsys.readouterr().out


def test_custom_filter_snippet_defines_working_stages():
    import pyarrow as pa

    from curate.stage import run_stage

    namespace: dict = {}
    exec(compile(block_starting("class MinWords(Filter)"), "README.md", "exec"), namespace)
    batch = pa.table({"id": ["a", "b"], "text": ["lorem ipsum dolor " * 30, "short text"]})
    out, stats = run_stage(namespace["MinWords"](min_words=50), batch)
    assert (stats.rows_in, stats.rows_out, stats.dropped) == (2, 1, {"min_words": 1})
    assert out.filter(out[DROPPED_BY].is_null())["id"].to_pylist() == ["a"]
    out, stats = run_stage(namespace["no_lorem"](), batch)
    assert out.filter(out[DROPPED_BY].is_null())["id"].to_pylist() == ["b"]


def test_stage_descriptions_are_whole_sentences():
    for name, cls in registered_stages().items():
        line = first_sentence(cls.__doc__)
        assert line and line[-1] in ".!?", f"{name}: {line!r}"
        assert "``" not in line and "\n" not in line, name


def test_decontaminate_example_runs_as_printed(tmp_path, monkeypatch):
    """The README's ``curate decontaminate`` example, verbatim, on the output of its first
    command: the two sample pages its benchmark quotes are dropped, the other 14 kept."""
    import json
    import shlex

    from curate.cli import main
    from curate.pipeline import load_pipeline
    from curate.run import run_pipeline

    line = next(ln for ln in README.splitlines() if ln.startswith("curate decontaminate out/sample/data"))
    decontaminate = shlex.split(line.split(" && ")[0])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pipelines").symlink_to(REPO / "pipelines")
    run_pipeline(load_pipeline(REPO / "pipelines" / "commoncrawl.yaml"),
                 inputs=["pipelines/samples/commoncrawl-sample.warc.gz"], output="out/sample", executor="local")
    assert main([*decontaminate[1:], "--quiet"]) == 0
    stats = json.loads((tmp_path / "out" / "sample-decontaminated" / "stats.json").read_text())
    assert stats["documents"] == {"kept": 14, "rejected": 2}
    figures = stats["decontamination"]["decontaminate"]["benchmarks"]["sample-qa"]
    assert (figures["documents_dropped"], figures["items_touched"], figures["items"]) == (2, 2, 4)
