"""curate.registry and curate.pipeline: resolving stages, YAML pipelines, errors."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from curate.filters import LanguageFilter

from curate import registry
from curate.pipeline import (
    ExecutionConfig,
    InputConfig,
    OutputConfig,
    Pipeline,
    PipelineConfigError,
    load_pipeline,
    pipeline_from_dict,
)
from curate.registry import (
    UnknownStageError,
    build_stage,
    get_stage_class,
    register,
    registered_stages,
)
from curate.stage import Filter, Stage, run_stage
from curate.stages.extract import ExtractHtml
from curate.stages.langid import FasttextLanguageId

REPO = Path(__file__).resolve().parents[2]
COMMONCRAWL = REPO / "pipelines" / "commoncrawl-text.yaml"
FINEWEB = REPO / "pipelines" / "commoncrawl.yaml"
FINEWEB_FAITHFUL = REPO / "pipelines" / "fineweb.yaml"
BUILTINS = ["extract_html", "fasttext_language_id", "language_filter"]

USER_MODULE = textwrap.dedent(
    '''
    """User stages written outside curate."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from curate.stage import Filter


    class MinWords(Filter):
        """Drop documents with fewer than ``min_words`` words."""

        min_words: int = 50

        def score(self, batch):
            return pc.list_value_length(pc.utf8_split_whitespace(pc.fill_null(batch["text"], "")))

        def keep(self, score):
            return pc.greater_equal(score, self.min_words)


    def helper():
        return 1
    '''
)


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module of user stages importable as ``<name>:MinWords``; removed afterwards."""
    name = f"curate_user_stages_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def user_file(tmp_path):
    """A file of user stages referenced by path; its module is removed afterwards."""
    stem = f"curate_user_file_{uuid.uuid4().hex[:8]}"
    path = tmp_path / "stages" / f"{stem}.py"
    path.parent.mkdir()
    path.write_text(USER_MODULE)
    yield path
    sys.modules.pop(stem, None)


@pytest.fixture
def clean_registry(monkeypatch):
    registered_stages()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


# -- built-in names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, cls, stateful",
    [
        ("extract_html", ExtractHtml, False),
        ("fasttext_language_id", FasttextLanguageId, True),
        ("language_filter", LanguageFilter, False),
    ],
)
def test_builtin_names_resolve(name, cls, stateful):
    assert get_stage_class(name) is cls
    assert cls.name == name
    assert registered_stages()[name] is cls
    stage = build_stage(name, {})
    assert isinstance(stage, cls)
    assert stage.stateful is stateful  # extract_html: only with its cascade on (a model per worker)
    if name == "extract_html":
        assert build_stage(name, {"prefilter_languages": ["en"]}).stateful is True
    assert stage.stage_id == name


def test_registered_stages_sorted_and_include_builtins():
    names = list(registered_stages())
    assert names == sorted(names)
    assert set(BUILTINS) <= set(names)


@pytest.mark.parametrize(
    "name, config, expected",
    [
        ("extract_html", {"engine": "resiliparse", "timeout_s": 2}, {"engine": "resiliparse", "timeout_s": 2}),
        ("language_filter", {"languages": ["de"], "min_score": {"de": 0.5}}, {"languages": ["de"], "min_score": {"de": 0.5}}),
        ("fasttext_language_id", {"max_chars": 100, "label": "lid"}, {"max_chars": 100, "label": "lid"}),
        ("language_filter", None, {"min_score": 0.65}),
    ],
)
def test_build_stage_applies_config(name, config, expected):
    stage = build_stage(name, config)
    for key, value in expected.items():
        assert stage.config()[key] == value


# -- user references ---------------------------------------------------------------------------


def test_module_class_reference(user_module):
    cls = get_stage_class(f"{user_module}:MinWords")
    assert issubclass(cls, Filter)
    assert cls.name == "min_words"
    stage = build_stage(f"{user_module}:MinWords", {"min_words": 2})
    out, stats = run_stage(stage, pa.table({"id": ["a", "b"], "text": ["one", "two words"]}))
    assert out["_reason"].to_pylist() == ["min_words", None]
    assert stats.stage == "min_words"
    # importing a module twice gives the same class
    assert get_stage_class(f"{user_module}:MinWords") is cls


def test_module_class_reference_in_pipeline(user_module):
    pipeline = pipeline_from_dict(
        {"stages": ["extract_html", {f"{user_module}:MinWords": {"min_words": 3}}]}
    )
    assert [s.name for s in pipeline.stages] == ["extract_html", "min_words"]
    assert pipeline.stages[1].min_words == 3


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_file_path_reference(user_file, tmp_path, monkeypatch, relative):
    if relative:
        monkeypatch.chdir(tmp_path)
        reference = f"stages/{user_file.name}:MinWords"
    else:
        reference = f"{user_file}:MinWords"
    cls = get_stage_class(reference)
    assert issubclass(cls, Filter) and cls.__name__ == "MinWords"
    stage = build_stage(reference, {"min_words": 1, "label": "words"})
    assert stage.config() == {"label": "words", "min_words": 1}
    pipeline = pipeline_from_dict({"stages": [{reference: {"min_words": 4}}]})
    assert pipeline.stages[0].min_words == 4


def test_unknown_stage_lists_every_builtin():
    with pytest.raises(UnknownStageError) as info:
        get_stage_class("no_such_stage")
    listed = str(info.value).split("registered stages: ", 1)[1].split(";", 1)[0].split(", ")
    assert set(BUILTINS) <= set(listed)
    assert listed == sorted(listed)


@pytest.mark.parametrize(
    "reference, message",
    [
        ("no_such_stage", "registered stages: "),
        ("no_such_stage", "'module:Class'"),
        ("curate_no_such_module_xyz:Foo", "cannot import module"),
        ("{module}:Missing", "has no 'Missing'"),
        ("{module}:helper", "is not a curate Stage subclass"),
        ("/nonexistent/dir/stages.py:Foo", "does not exist"),
        ("missing_file.py:Foo", "does not exist"),
    ],
)
def test_unknown_stage_errors(user_module, reference, message):
    reference = reference.format(module=user_module)
    with pytest.raises(UnknownStageError) as info:
        get_stage_class(reference)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert not text.startswith('"'), "the message must read as one plain line"
    assert isinstance(info.value, KeyError)


def test_unknown_stage_lists_all_registered_names():
    with pytest.raises(UnknownStageError) as info:
        build_stage("extract_htm")
    for name in registered_stages():
        assert name in str(info.value)


@pytest.mark.parametrize(
    "name, config",
    [
        ("language_filter", {"min_scor": 0.5}),
        ("extract_html", {"engin": "resiliparse"}),
        ("fasttext_language_id", {"model_path": "x"}),
    ],
)
def test_bad_setting_names_the_stage_settings(name, config):
    with pytest.raises(ValueError) as info:
        build_stage(name, config)
    text = str(info.value)
    assert f"stage {name!r}" in text
    assert "its settings are: label, " in text
    for field in get_stage_class(name)().config():
        assert field in text


def test_register_rules(clean_registry):
    class Shout(Stage):
        def process(self, table):
            return table

    assert register(Shout) is Shout
    assert get_stage_class("shout") is Shout
    register(Shout)  # the same class again is fine

    class Other(Stage):
        name = "shout"

    with pytest.raises(ValueError, match="already registered"):
        register(Other)
    register(Other, replace=True)
    assert get_stage_class("shout") is Other

    @register(name="loud")
    class Loud(Stage):
        pass

    assert get_stage_class("loud") is Loud
    with pytest.raises(TypeError):
        register(dict)


# -- pipelines ---------------------------------------------------------------------------------


CONFIG_ERRORS = [
    pytest.param({"nme": "x"}, "unknown top-level keys ['nme']", id="top-level-key"),
    pytest.param({"stage": []}, "unknown top-level keys ['stage']", id="top-level-stage"),
    pytest.param({"output": {"reject": "minimal"}}, "output: unknown settings ['reject']", id="output-setting"),
    pytest.param({"output": {"compresion": "zstd"}}, "output: unknown settings", id="output-typo"),
    pytest.param({"input": {"fromat": "warc"}}, "input: unknown settings ['fromat']", id="input-setting"),
    pytest.param({"execution": {"batch_size": 10}}, "execution: unknown settings", id="execution-setting"),
    pytest.param(
        {"stages": [{"extract_html": {}, "language_filter": {}}]},
        "stage 1: write each stage as",
        id="two-names-in-one-entry",
    ),
    pytest.param({"stages": [["extract_html"]]}, "stage 1:", id="list-entry"),
    pytest.param({"stages": [42]}, "stage 1:", id="number-entry"),
    pytest.param({"stages": ["extract_html", {}]}, "stage 2:", id="empty-mapping-entry"),
]


@pytest.mark.parametrize("data, message", CONFIG_ERRORS)
def test_pipeline_config_errors(data, message):
    with pytest.raises(PipelineConfigError) as info:
        pipeline_from_dict(data)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "stages, error",
    [
        ([{"no_such_stage": {}}], UnknownStageError),
        ([{"language_filter": {"bogus": 1}}], ValueError),
    ],
)
def test_pipeline_stage_errors(stages, error):
    with pytest.raises(error):
        pipeline_from_dict({"stages": stages})


def test_stages_written_as_mapping_is_an_error():
    with pytest.raises(PipelineConfigError):
        pipeline_from_dict(
            {"stages": {"extract_html": {"engine": "resiliparse"}, "language_filter": {"languages": ["de"]}}}
        )


def test_stage_settings_not_a_mapping_is_a_config_error():
    with pytest.raises(PipelineConfigError):
        pipeline_from_dict({"stages": [{"language_filter": "en"}]})


def test_unknown_rejects_mode_is_an_error():
    with pytest.raises(ValueError):
        pipeline_from_dict({"output": {"rejects": "minimial"}})


def test_fineweb_recipe_loads():
    pipeline = load_pipeline(FINEWEB)
    names = [s.name for s in pipeline.stages]
    assert names[:3] == BUILTINS
    assert {"gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality", "pii_masker"} <= set(names)
    extract = pipeline.stages[0]
    # the extraction defaults chosen on two benchmarks and the cascade (issue 11)
    assert extract.favor_precision is False and extract.tables == "layout_as_text"
    assert extract.fast is False  # the full path: fast loses main text on ~6% of pages
    assert extract.prefilter_languages == ["auto"]


def test_fineweb_yaml_is_fineweb_as_datatrove_runs_it():
    pipeline = load_pipeline(FINEWEB_FAITHFUL)
    recipe = [s.name for s in load_pipeline(FINEWEB).stages]
    assert [s.name for s in pipeline.stages] == recipe  # the same stages as commoncrawl.yaml
    extract = pipeline.stages[0]
    assert extract.favor_precision is True and extract.fast is False  # datatrove's Trafilatura
    assert extract.timeout_s == 10 and extract.prefilter_languages == ["auto"]
    dedup = next(s for s in pipeline.stages if s.name == "minhash_dedup")
    assert (dedup.ngram, dedup.num_perm, dedup.bands, dedup.rows, dedup.verify) == (5, 112, 14, 8, "none")
    pii = next(s for s in pipeline.stages if s.name == "pii_masker")
    assert pii.mask_emails and pii.mask_ips and not pii.mask_phones


def test_commoncrawl_yaml_loads():
    pipeline = load_pipeline(COMMONCRAWL)
    assert pipeline.name == "commoncrawl-text"
    assert pipeline.source_file == str(COMMONCRAWL)
    assert [s.name for s in pipeline.stages] == BUILTINS
    extract, langid, language = pipeline.stages
    assert extract.engine == "trafilatura" and extract.timeout_s == 10
    assert langid.model is None
    assert language.languages == ["en"] and language.min_score == 0.65
    assert pipeline.input.format == "auto"
    assert pipeline.input.options == {"max_payload_bytes": 5000000}
    assert pipeline.output.rejects == "full" and pipeline.output.compression == "zstd"
    assert pipeline.execution.batch_rows == 500


def test_describe_shows_one_cpu_segment_as_an_actor_pool():
    # All three CPU stages share a worker; the stateful language ID makes it an actor pool.
    text = load_pipeline(COMMONCRAWL).describe()
    lines = text.splitlines()
    assert lines[0] == "pipeline commoncrawl-text"
    segments = [ln for ln in lines if ln.strip().startswith("segment")]
    assert len(segments) == 1 and "actor pool" in segments[0]
    by_stage = {name: next(ln for ln in lines if ln.strip().startswith(name)) for name in BUILTINS}
    assert "loads state once per worker" in by_stage["fasttext_language_id"]
    # extract_html loads the language-ID model for its cascade (prefilter_languages: auto)
    assert "loads state once per worker" in by_stage["extract_html"]
    assert "'languages': ['en']" in by_stage["language_filter"]
    assert "rejects: full" in lines[-1]


def test_describe_stateless_pipeline_runs_as_tasks():
    pipeline = pipeline_from_dict({"stages": ["extract_html", "language_filter"]})
    segments = [ln for ln in pipeline.describe().splitlines() if ln.strip().startswith("segment")]
    assert len(segments) == 1 and "tasks" in segments[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("yaml", id="commoncrawl-text.yaml"),
        pytest.param("fineweb", id="commoncrawl.yaml"),
        pytest.param("python", id="python-built"),
    ],
)
def test_to_dict_round_trips(source, tmp_path):
    if source == "yaml":
        pipeline = load_pipeline(COMMONCRAWL)
    elif source == "fineweb":
        pipeline = load_pipeline(FINEWEB)
    else:
        pipeline = Pipeline(
            stages=[
                ExtractHtml(engine="resiliparse", resiliparse_options={"alt_texts": True}),
                FasttextLanguageId(max_chars=500),
                LanguageFilter(languages=["en"], min_score={"en": 0.7, "default": 0.9}, label="english"),
                LanguageFilter(languages=[], min_score=0.2, label="any_language"),
            ],
            name="built",
            input=InputConfig(format="warc", options={"max_payload_bytes": 1000}),
            output=OutputConfig(rejects="minimal", compression_level=5),
            execution=ExecutionConfig(batch_rows=50),
        )
    data = pipeline.to_dict()
    again = pipeline_from_dict(data)
    assert again.to_dict() == data
    assert [type(s) for s in again.stages] == [type(s) for s in pipeline.stages]
    assert [s.config() for s in again.stages] == [s.config() for s in pipeline.stages]
    # ... and through YAML on disk
    path = tmp_path / "roundtrip.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert load_pipeline(path).to_dict() == data


def test_to_dict_round_trips_user_stage_reference(user_module):
    pipeline = pipeline_from_dict({"stages": [{f"{user_module}:MinWords": {"min_words": 3}}]})
    again = pipeline_from_dict(pipeline.to_dict())
    assert again.stages[0].min_words == 3


@pytest.mark.parametrize(
    "content, check",
    [
        pytest.param("", lambda p: p.stages == [] and p.name == "pipe", id="empty-file"),
        pytest.param("stages: [extract_html]\n", lambda p: [s.name for s in p.stages] == ["extract_html"], id="string-entry"),
        pytest.param("stages:\n  - language_filter:\n", lambda p: p.stages[0].min_score == 0.65, id="null-settings"),
        pytest.param("description: words\nname: named\n", lambda p: p.name == "named", id="description-allowed"),
    ],
)
def test_load_pipeline_variants(tmp_path, content, check):
    path = tmp_path / "pipe.yaml"
    path.write_text(content)
    assert check(load_pipeline(path))


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("- extract_html\n- language_filter\n", "expected a mapping at the top level"),
        ("just a string\n", "expected a mapping at the top level"),
    ],
)
def test_load_pipeline_errors(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PipelineConfigError, match=message):
        load_pipeline(path)
