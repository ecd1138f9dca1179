"""Input formats are a registry like stages: built-ins, ``register_reader``, and
``module:Class`` references written in the pipeline's YAML."""

from __future__ import annotations

import json
import textwrap

import pyarrow.parquet as pq
import pytest

from curate.pipeline import load_pipeline
from curate.readers import (
    READERS,
    JsonlReader,
    UnknownReaderError,
    WarcReader,
    build_reader,
    get_reader_class,
    reader_format_for,
    register_reader,
)
from curate.readers.base import Reader
from curate.run import run_pipeline

LINES_READER = textwrap.dedent('''
    from typing import ClassVar

    import pyarrow as pa

    from curate.readers.base import Reader


    class LinesReader(Reader):
        """One document per non-empty line of a ``.lines`` file."""

        extensions: ClassVar[tuple[str, ...]] = (".lines",)

        def read(self, source, report):
            with open(source.path.removeprefix("file://"), encoding="utf-8") as f:
                lines = [line.rstrip("\\n") for line in f if line.strip()]
            report.records = report.rows = len(lines)
            yield pa.table({
                "id": [f"{source.key}:{i}" for i in range(len(lines))],
                "text": pa.array(lines, pa.large_string()),
                "url": pa.nulls(len(lines), pa.string()),
            })
''')


def test_builtin_formats_resolve_to_their_readers():
    assert get_reader_class("warc") is WarcReader and get_reader_class("jsonl") is JsonlReader
    assert isinstance(build_reader("jsonl", {"batch_rows": 7}), JsonlReader)
    with pytest.raises(UnknownReaderError, match="unknown input format 'csvx'.*module:Class"):
        build_reader("csvx")


def test_a_reader_referenced_in_yaml_reads_the_inputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_readers.py").write_text(LINES_READER)
    (tmp_path / "docs.lines").write_text("the first document\n\nthe second document\nthe third\n")
    (tmp_path / "p.yaml").write_text("input:\n  format: my_readers.py:LinesReader\nstages: []\n")
    result = run_pipeline(load_pipeline(tmp_path / "p.yaml"), ["docs.lines"], "out", executor="local")
    assert result.kept == 3
    texts = sorted(pq.read_table(tmp_path / "out" / "data").column("text").to_pylist())
    assert texts == ["the first document", "the second document", "the third"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["pipeline"]["input"]["format"] == "my_readers.py:LinesReader"


def test_a_reference_that_is_not_a_reader_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not_readers.py").write_text("class Thing:\n    pass\n")
    with pytest.raises(UnknownReaderError, match="not a curate Reader subclass"):
        get_reader_class("not_readers.py:Thing")
    with pytest.raises(UnknownReaderError, match="has no 'Nope'"):
        get_reader_class("not_readers.py:Nope")


def test_a_registered_reader_is_chosen_by_extension_under_auto(tmp_path):
    class TsvReader(Reader):
        extensions = (".tsvdocs",)

    try:
        register_reader(TsvReader, name="tsvdocs")
        assert reader_format_for(str(tmp_path / "a.tsvdocs")) == "tsvdocs"
        assert get_reader_class("tsvdocs") is TsvReader
        with pytest.raises(ValueError, match="already registered"):
            register_reader(type("Other", (Reader,), {}), name="tsvdocs")
        with pytest.raises(TypeError, match="not a curate Reader"):
            register_reader(int)  # type: ignore[arg-type]
    finally:
        READERS.pop("tsvdocs", None)
