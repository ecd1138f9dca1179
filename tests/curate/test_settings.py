"""curate.settings: every stage's and section's settings are checked against their types.

Wrong settings fail when the pipeline is loaded (or, built in Python, before the run
starts) with one line naming the file, the stage, the setting, the expected type and the
value, instead of failing later inside a worker (or, worse, passing silently).
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any, Literal, Optional

import pytest
import yaml

from curate.cli import main
from curate.mixture import load_mixture
from curate.pipeline import (
    ExecutionConfig,
    InputConfig,
    Pipeline,
    PipelineConfigError,
    load_pipeline,
    pipeline_from_dict,
    validate_pipeline,
)
from curate.registry import build_stage, registered_stages
from curate.settings import (
    SettingsError,
    check_instance,
    check_settings,
    describe_type,
    setting_types,
)

REPO = Path(__file__).resolve().parents[2]
MIXTURE = REPO / "pipelines" / "mixture.yaml"
SOURCE = "pipelines/x.yaml"


def load_error(data: dict[str, Any], source_file: str | None = SOURCE) -> str:
    with pytest.raises(SettingsError) as info:
        pipeline_from_dict(data, source_file=source_file)
    message = str(info.value)
    assert "\n" not in message
    return message


def one_stage(name: str, **settings: Any) -> dict[str, Any]:
    return {"stages": [{name: settings}]}


# -- the three examples ----------------------------------------------------------------


def test_string_for_an_integer_names_file_stage_setting_type_and_value():
    data = {"stages": ["extract_html", "fasttext_language_id", {"language_filter": {"languages": ["en"]}},
                       {"gopher_quality": {"min_doc_words": "lots"}}]}
    assert load_error(data) == (
        "pipelines/x.yaml: stage 4 (gopher_quality): min_doc_words: "
        "expected an integer or null, got 'lots' (str)"
    )


def test_one_language_as_a_string_becomes_a_list():
    pipeline = pipeline_from_dict(one_stage("language_filter", languages="en"))
    assert pipeline.stages[0].languages == ["en"]
    pipeline = pipeline_from_dict(one_stage("language_filter", languages=["en", "de"]))
    assert pipeline.stages[0].languages == ["en", "de"]


def test_strings_are_never_turned_into_numbers():
    assert load_error(one_stage("minhash_dedup", threshold="0.8")) == (
        "pipelines/x.yaml: stage 1 (minhash_dedup): threshold: expected a number, got '0.8' (str)"
    )


# -- the conversion rules ----------------------------------------------------------------------


def test_an_integer_is_a_number_but_a_bool_is_neither():
    stage = pipeline_from_dict(one_stage("minhash_dedup", threshold=1)).stages[0]
    assert stage.threshold == 1
    assert "num_perm: expected an integer, got True (bool)" in load_error(one_stage("minhash_dedup", num_perm=True))
    assert "threshold: expected a number, got False (bool)" in load_error(one_stage("minhash_dedup", threshold=False))


def test_numbers_are_not_strings_or_booleans():
    assert "label: expected a string or null, got 3 (int)" in load_error(one_stage("language_filter", label=3))
    assert "keep_below: expected true or false, got 'yes' (str)" in load_error(
        one_stage("fasttext_classifier", keep_below="yes")
    )
    assert "add_eos: expected true or false, got 1 (int)" in load_error(one_stage("tokenize", add_eos=1))


def test_none_only_where_the_annotation_allows_it():
    stage = pipeline_from_dict(one_stage("gopher_quality", min_doc_words=None)).stages[0]
    assert stage.min_doc_words is None
    assert "num_perm: expected an integer, got None (NoneType)" in load_error(one_stage("minhash_dedup", num_perm=None))


def test_nested_lists_are_checked_and_become_the_declared_tuples():
    stage = pipeline_from_dict(one_stage("gopher_repetition", top_n_grams=[[2, 0.2], [3, None]])).stages[0]
    assert stage.top_n_grams == ((2, 0.2), (3, None))
    message = load_error(one_stage("gopher_repetition", top_n_grams=[[2, 0.2], [3, "high"]]))
    assert message.startswith("pipelines/x.yaml: stage 1 (gopher_repetition): top_n_grams: expected a list of lists")
    assert message.endswith("where item 2 is [3, 'high'] (list)")


def test_a_bad_item_of_a_list_is_named():
    assert load_error(one_stage("language_filter", languages=["en", 3])) == (
        "pipelines/x.yaml: stage 1 (language_filter): languages: expected a list of strings or null, "
        "got ['en', 3] (list), where item 2 is 3 (int)"
    )


def test_choices_of_a_literal():
    assert load_error(one_stage("extract_html", engine="bs4")).endswith(
        "engine: expected one of 'trafilatura', 'resiliparse', got 'bs4' (str)"
    )
    assert load_error(one_stage("remove_control_chars", normalization="NFD")).endswith(
        "normalization: expected one of 'NFC', 'NFKC' or null, got 'NFD' (str)"
    )
    stage = pipeline_from_dict(one_stage("remove_control_chars", normalization=None)).stages[0]
    assert stage.normalization is None


def test_mapping_settings():
    stage = pipeline_from_dict(one_stage("language_filter", min_score={"en": 0.5, "de": 1})).stages[0]
    assert stage.min_score == {"en": 0.5, "de": 1}
    assert load_error(one_stage("language_filter", min_score={"en": "high"})).endswith(
        "min_score: expected a number or a mapping of strings to numbers, got {'en': 'high'} (dict), "
        "where 'en' is 'high' (str)"
    )
    assert "placeholders: expected a mapping of strings to strings or null" in load_error(
        one_stage("secrets_redactor", placeholders={"aws": 1})
    )
    assert "language_rules: expected a mapping of strings to mappings or null, got ['python'] (list)" in load_error(
        one_stage("code_quality", language_rules=["python"])
    )


def test_the_label_names_the_stage():
    message = load_error({"stages": ["extract_html", {"gopher_quality": {"label": "gq", "max_doc_words": "x"}}]})
    assert message.startswith("pipelines/x.yaml: stage 2 (gq): max_doc_words:")


def test_without_a_file_the_message_starts_with_the_stage():
    assert load_error(one_stage("minhash_dedup", ngram="5"), source_file=None).startswith(
        "stage 1 (minhash_dedup): ngram: expected an integer"
    )


def test_build_stage_checks_settings():
    with pytest.raises(SettingsError, match=r"^stage minhash_dedup: threshold: expected a number, got '0.8' \(str\)$"):
        build_stage("minhash_dedup", {"threshold": "0.8"})
    assert build_stage("language_filter", {"languages": "de"}).languages == ["de"]


# -- sections --------------------------------------------------------------------------------


def test_sections_are_checked():
    assert load_error({"execution": {"batch_rows": "500"}}) == (
        "pipelines/x.yaml: execution: batch_rows: expected an integer, got '500' (str)"
    )
    assert load_error({"output": {"tokenized": 3}}) == (
        "pipelines/x.yaml: output: tokenized: expected a mapping or null, got 3 (int)"
    )
    assert load_error({"input": {"limit": 2.5}}).endswith("input: limit: expected an integer or null, got 2.5 (float)")
    assert pipeline_from_dict({"input": {"paths": "crawl.warc.gz"}}).input.paths == ["crawl.warc.gz"]


def test_load_pipeline_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("stages:\n  - gopher_quality: {min_doc_words: lots}\n")
    with pytest.raises(PipelineConfigError, match=r"bad.yaml: stage 1 \(gopher_quality\): min_doc_words: "):
        load_pipeline(path)


# -- pipelines built in Python -----------------------------------------------------------------


def test_stage_validate_checks_python_built_stages():
    stage = registered_stages()["gopher_quality"](min_doc_words="lots")
    with pytest.raises(SettingsError, match=r"^stage gopher_quality: min_doc_words: expected an integer or null"):
        stage.validate()
    stage = registered_stages()["language_filter"](languages="en")
    stage.validate()
    assert stage.languages == ["en"]


def test_validate_pipeline_names_the_position():
    classes = registered_stages()
    pipeline = Pipeline(
        stages=[classes["extract_html"](), classes["minhash_dedup"](threshold="0.8")],
        execution=ExecutionConfig(batch_rows=500),
    )
    with pytest.raises(SettingsError, match=r"^stage 2 \(minhash_dedup\): threshold: expected a number"):
        validate_pipeline(pipeline)
    # extract_html's own validate() does not call the base class: validate_pipeline still checks it
    pipeline = Pipeline(stages=[classes["extract_html"](timeout_s="10")])
    with pytest.raises(SettingsError, match=r"^stage 1 \(extract_html\): timeout_s: expected a number"):
        validate_pipeline(pipeline)
    pipeline = Pipeline(stages=[], execution=ExecutionConfig(num_cpus="4"))
    with pytest.raises(SettingsError, match=r"^execution: num_cpus: expected an integer or null, got '4' \(str\)$"):
        validate_pipeline(pipeline)


def test_validate_pipeline_converts_in_place(tmp_path):
    classes = registered_stages()
    pipeline = Pipeline(
        stages=[classes["language_filter"](languages="fr"), classes["fasttext_language_id"](model=tmp_path / "m.bin")],
        input=InputConfig(paths=("a.warc.gz", "b.warc.gz")),
    )
    validate_pipeline(pipeline)
    assert pipeline.stages[0].languages == ["fr"]
    assert pipeline.stages[1].model == str(tmp_path / "m.bin")  # a path is a string
    assert pipeline.input.paths == ["a.warc.gz", "b.warc.gz"]


REQUIRED_SETTINGS = {"fasttext_classifier": {"model": "model.bin"}, "tokenize": {"tokenizer": "tiktoken:cl100k_base"}}


def test_every_registered_stage_resolves_and_its_defaults_validate():
    stages = registered_stages()
    assert len(stages) > 10
    for name, cls in stages.items():
        types = setting_types(cls)  # every annotation resolves
        assert "label" in types, name
        stage = cls(**REQUIRED_SETTINGS.get(name, {}))
        check_instance(stage, f"stage {name}")
        assert build_stage(name, stage.config()).config() == stage.config(), name


# -- user stages ---------------------------------------------------------------------------------


USER_STAGES = textwrap.dedent(
    '''
    from __future__ import annotations

    from typing import Literal

    from curate.stage import Filter

    Mode = Literal["words", "chars"]


    class MinLength(Filter):
        min_length: int = 50
        mode: Mode = "words"
        columns: list[str] | None = None

        def score(self, batch):
            return None


    class Broken(Filter):
        size: NoSuchType = 1

        def score(self, batch):
            return None
    '''
)


@pytest.fixture
def user_file(tmp_path):
    stem = f"curate_user_settings_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{stem}.py"
    path.write_text(USER_STAGES)
    yield path
    sys.modules.pop(stem, None)


def test_user_stages_are_checked_the_same_way(user_file):
    reference = f"{user_file}:MinLength"
    stage = pipeline_from_dict({"stages": [{reference: {"min_length": 3, "mode": "chars", "columns": "text"}}]}).stages[0]
    assert (stage.min_length, stage.mode, stage.columns) == (3, "chars", ["text"])
    assert load_error({"stages": [{reference: {"min_length": "3"}}]}) == (
        "pipelines/x.yaml: stage 1 (min_length): min_length: expected an integer, got '3' (str)"
    )
    assert load_error({"stages": [{reference: {"mode": "lines"}}]}).endswith(
        "mode: expected one of 'words', 'chars', got 'lines' (str)"
    )


def test_an_annotation_that_does_not_resolve_is_reported(user_file):
    with pytest.raises(PipelineConfigError, match="Broken: a field annotation does not resolve .*NoSuchType"):
        pipeline_from_dict({"stages": [{f"{user_file}:Broken": {"size": 2}}]})


# -- plain dataclasses and type words --------------------------------------------------------------


def test_check_settings_on_a_plain_dataclass():
    from dataclasses import dataclass

    @dataclass
    class Options:
        tags: Optional[list[str]] = None  # noqa: UP045 -- the old spelling works too
        level: Literal[1, 2] = 1
        weights: dict[str, float] | None = None

    assert check_settings(Options, {"tags": "a", "level": 2, "weights": {"x": 1}}) == {
        "tags": ["a"], "level": 2, "weights": {"x": 1},
    }
    with pytest.raises(SettingsError, match="^options: level: expected one of 1, 2, got 3 \\(int\\)$"):
        check_settings(Options, {"level": 3}, "options")


@pytest.mark.parametrize(
    "tp, words",
    [
        (int, "an integer"),
        (float | None, "a number or null"),
        (list[str], "a list of strings"),
        (tuple[tuple[int, float], ...], "a list of lists [an integer, a number]"),
        (dict[str, Any], "a mapping"),
        (dict[str, list[int]], "a mapping of strings to lists of integers"),
        (Literal["a"], "'a'"),
        (bool, "true or false"),
    ],
)
def test_describe_type(tp, words):
    assert describe_type(tp) == words


# -- the command line ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["explain", "run"])
def test_cli_prints_one_line(tmp_path, capsys, command):
    path = tmp_path / "bad.yaml"
    path.write_text("stages:\n  - extract_html\n  - gopher_quality: {min_doc_words: lots}\n")
    argv = [command, str(path)] + (["--output", str(tmp_path / "out"), "--executor", "local"] if command == "run" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == (
        f"curate: error: {path}: stage 2 (gopher_quality): min_doc_words: "
        "expected an integer or null, got 'lots' (str)\n"
    )
    assert not (tmp_path / "out").exists()


# -- mixtures ------------------------------------------------------------------------------------


def test_explain_a_mixture(capsys):
    assert main(["explain", str(MIXTURE)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("mixture mixture\n")
    for name, pipeline in (("web", "commoncrawl"), ("books", "books"), ("code", "code")):
        assert f"source {name}: weight" in printed
        assert f"pipeline {pipeline}\n" in printed
    assert "minhash_dedup" in printed and "code_quality" in printed
    assert "tokenize    tiktoken:cl100k_base" in printed
    assert "'shard_tokens': 100000000" in printed


def write_mixture(tmp_path: Path, sources: dict[str, Any], tokenize: dict[str, Any] | None = None) -> Path:
    (tmp_path / "p.yaml").write_text("stages:\n  - language_filter: {languages: en}\n")
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump({"sources": sources, "tokenize": tokenize or {"tokenizer": "tiktoken:cl100k_base"}}))
    return path


def test_mixture_settings_are_checked(tmp_path):
    path = write_mixture(tmp_path, {"web": {"pipeline": "p.yaml", "inputs": "crawl/", "weight": 1}})
    mixture = load_mixture(path)
    assert mixture.sources[0].inputs == ["crawl/"]
    assert mixture.sources[0].weight == 1.0
    assert mixture.sources[0].pipeline.stages[0].languages == ["en"]
    path = write_mixture(tmp_path, {"web": {"pipeline": "p.yaml", "weight": "0.7"}})
    with pytest.raises(SettingsError, match=r"mix.yaml: sources.web: weight: expected a number or null, got '0.7' \(str\)$"):
        load_mixture(path)
    path = write_mixture(tmp_path, {"web": {"pipeline": "p.yaml"}}, {"seed": "1"})
    with pytest.raises(SettingsError, match=r"mix.yaml: tokenize: seed: expected an integer, got '1' \(str\)$"):
        load_mixture(path)


def test_numpy_numbers_count_as_python_numbers():
    np = pytest.importorskip("numpy")
    stage = build_stage("minhash_dedup", {"num_perm": np.int64(64), "threshold": np.float32(0.5)})
    assert stage.num_perm == 64 and type(stage.num_perm) is int
    stage = build_stage("tokenize", {"tokenizer": "tiktoken:cl100k_base", "add_eos": np.bool_(False)})
    assert stage.add_eos is False
    with pytest.raises(SettingsError, match=r"num_perm: expected an integer, got .*True.* \(bool_?\)$"):
        build_stage("minhash_dedup", {"num_perm": np.bool_(True)})
