"""Run a datatrove filter or formatter as a curate stage (for pipelines migrating from
datatrove, https://github.com/huggingface/datatrove, so their custom steps keep working)."""

from __future__ import annotations

import importlib
import inspect
import logging
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import ID, INTERNAL_COLUMNS, TEXT
from curate.stage import Stage, mark_dropped, require, snake_case

logger = logging.getLogger(__name__)

# Where a bare class name ("GopherQualityFilter") is looked up.
_SEARCH_MODULES = ("datatrove.pipeline.filters", "datatrove.pipeline.formatters")
# The metadata key datatrove's BaseFilter.run() puts the drop reason under.
_FILTER_REASON = "filter_reason"


def resolve_step_class(path: str) -> type:
    """``datatrove.pipeline.filters.GopherQualityFilter``, ``pkg.module:Class`` or a bare
    datatrove class name -> the class."""
    if ":" in path:
        module_name, _, attr = path.partition(":")
        candidates = [(module_name, attr)]
    elif "." in path:
        module_name, _, attr = path.rpartition(".")
        candidates = [(module_name, attr)]
    else:
        candidates = [(module, path) for module in _SEARCH_MODULES]
    errors = []
    for module_name, attr in candidates:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            errors.append(f"cannot import {module_name} ({exc})")
            continue
        if hasattr(module, attr):
            return getattr(module, attr)
        errors.append(f"{module_name} has no {attr!r}")
    raise ValueError(f"datatrove_step: cannot find step {path!r}: {'; '.join(errors)}")


class _CaptureWriter:
    """Stands in for a filter's ``exclusion_writer`` while curate runs it: datatrove's
    ``BaseFilter.run`` hands it each dropped document (after storing the reason in
    ``metadata['filter_reason']``); curate keeps the rows instead, in its rejects output."""

    def __init__(self) -> None:
        self.dropped: list[Any] = []

    def __enter__(self) -> _CaptureWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def write(self, document: Any, rank: int = 0, **kwargs: Any) -> None:
        self.dropped.append(document)


@register
class DatatroveStep(Stage):
    """Run a datatrove ``BaseFilter``, ``BaseFormatter`` or other document-mapping
    ``PipelineStep`` on each batch.

    In YAML, by class path and constructor arguments::

        - datatrove_step:
            step: datatrove.pipeline.filters.GopherQualityFilter
            kwargs: {min_doc_words: 50}

    (a bare name such as ``GopherQualityFilter`` is looked up in datatrove's filters and
    formatters; ``my_pkg.steps:MyFilter`` names a user's class).  In Python, pass an
    instance: ``DatatroveStep(step=GopherQualityFilter(min_doc_words=50))``.  Use ``label``
    to tell two datatrove steps apart in statistics.

    Each row becomes ``Document(text, id, metadata)`` with the row's other columns as
    metadata (``metadata_columns`` picks them; binary columns such as ``payload`` are left
    out by default).  Then:

    * filters: a dropped document's row is dropped with the reason ``datatrove:<reason>``
      (the reason the filter returned, e.g. ``datatrove:gopher_short_doc``), or
      ``datatrove:<step_class_in_snake_case>`` when it returned plain ``False``;
    * formatters and filters that rewrite text (``C4QualityFilter``): the kept rows get
      the new text; rows left with no visible text are dropped with
      ``datatrove:empty_text`` (``drop_empty``).  Dropped rows keep their original text,
      so the rejects output shows what the step saw;
    * metadata the step adds or changes (datatrove's ``LanguageFilter`` adds ``language``)
      becomes columns, on dropped rows too, so rejects show it (``write_metadata``); the
      ``filter_reason`` key is the drop reason, not a column;
    * steps that yield documents they were not given (readers, splitters) are refused.

    The step is built once per worker (``setup``).  Its own statistics (``step.stats``)
    count as under datatrove; curate's statistics and rejects output record the drops.  A
    filter's ``exclusion_writer`` is not used (curate's rejects output holds the dropped
    rows with their reasons): a step configured with one logs a warning.

    Datatrove runs one Python call per document, so this is as fast as the step is.
    """

    name = "datatrove_step"
    stateful = True
    requires = (("datatrove", "datatrove"),)

    step: Any = None
    kwargs: dict[str, Any] | None = None
    metadata_columns: list[str] | None = None
    text_column: str = TEXT
    id_column: str = ID
    write_metadata: bool = True
    drop_empty: bool = True

    REASON_PREFIX: ClassVar[str] = "datatrove:"

    # -- configuration ---------------------------------------------------------------------
    def validate(self) -> None:
        super().validate()
        from datatrove.pipeline.base import PipelineStep

        if self.step is None:
            raise ValueError("datatrove_step: set 'step' (a class path such as "
                             "datatrove.pipeline.filters.GopherQualityFilter, or an instance)")
        if isinstance(self.step, str):
            cls = resolve_step_class(self.step)
            if not (isinstance(cls, type) and issubclass(cls, PipelineStep)):
                raise ValueError(f"datatrove_step: {self.step!r} is not a datatrove PipelineStep ({cls!r})")
            try:
                inspect.signature(cls).bind(**(self.kwargs or {}))
            except TypeError as exc:
                raise ValueError(f"datatrove_step: {self.step}: bad kwargs {self.kwargs!r} ({exc})") from exc
        else:
            if not isinstance(self.step, PipelineStep):
                raise ValueError(f"datatrove_step: step must be a class path or a datatrove PipelineStep, got {self.step!r}")
            if self.kwargs:
                raise ValueError("datatrove_step: kwargs only apply when step is a class path")

    def config(self) -> dict[str, Any]:
        config = super().config()
        if not isinstance(self.step, (str, type(None))):
            # An instance: describe it by its class (the YAML form cannot hold the object).
            cls = type(self.step)
            config["step"] = f"{cls.__module__}.{cls.__qualname__}"
        return config

    def setup(self) -> None:
        require("datatrove", extra="datatrove")
        if isinstance(self.step, str):
            self._step = resolve_step_class(self.step)(**(self.kwargs or {}))
        else:
            self._step = self.step
        writer = getattr(self._step, "exclusion_writer", None)
        if writer is not None and not isinstance(writer, _CaptureWriter):
            logger.warning(
                "datatrove_step: %s has an exclusion_writer; curate does not use it (dropped "
                "rows go to the rejects output with their reasons)",
                type(self._step).__name__,
            )
        self._default_reason = self.REASON_PREFIX + snake_case(type(self._step).__name__)

    @property
    def datatrove_step(self) -> Any:
        """The datatrove step instance (built on first use)."""
        self.ensure_setup()
        return self._step

    # -- running ---------------------------------------------------------------------------
    def _metadata_names(self, table: pa.Table) -> list[str]:
        if self.metadata_columns is not None:
            missing = [c for c in self.metadata_columns if c not in table.column_names]
            if missing:
                raise ValueError(f"datatrove_step: metadata_columns {missing} are not in the batch")
            return list(self.metadata_columns)
        skip = {self.text_column, self.id_column, *INTERNAL_COLUMNS}
        return [
            field.name
            for field in table.schema
            if field.name not in skip
            and not (pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type))
        ]

    def _documents(self, table: pa.Table, names: list[str]) -> list[Any]:
        from datatrove.data import Document

        texts = table[self.text_column].to_pylist()
        if self.id_column in table.column_names:
            ids = [str(v) if v is not None else str(i) for i, v in enumerate(table[self.id_column].to_pylist())]
        else:
            ids = [str(i) for i in range(table.num_rows)]
        columns = {name: table[name].to_pylist() for name in names}
        return [
            Document(
                text=text if text is not None else "",
                id=doc_id,
                metadata={name: values[i] for name, values in columns.items()},
            )
            for i, (text, doc_id) in enumerate(zip(texts, ids))
        ]

    def _run(self, docs: list[Any]) -> tuple[list[bool], list[str | None]]:
        """Run the step; ``(kept, reasons)`` per input document."""
        from datatrove.pipeline.filters.base_filter import BaseFilter

        step = self._step
        position = {id(doc): i for i, doc in enumerate(docs)}
        kept = [False] * len(docs)
        reasons: list[str | None] = [None] * len(docs)
        is_filter = isinstance(step, BaseFilter)
        capture = _CaptureWriter()
        saved_writer = getattr(step, "exclusion_writer", None)
        if is_filter:
            step.exclusion_writer = capture
        try:
            for doc in step.run(iter(docs), rank=0, world_size=1):
                i = position.get(id(doc))
                if i is None:
                    raise ValueError(
                        f"datatrove_step: {type(step).__name__} yielded a document it was not "
                        "given; only steps that keep, drop or modify documents can run in curate"
                    )
                kept[i] = True
        finally:
            if is_filter:
                step.exclusion_writer = saved_writer
        captured = {id(doc) for doc in capture.dropped}
        for i, doc in enumerate(docs):
            if not kept[i]:
                reason = doc.metadata.get(_FILTER_REASON) if id(doc) in captured else None
                reasons[i] = self.REASON_PREFIX + str(reason) if reason else self._default_reason
        return kept, reasons

    def process(self, table: pa.Table) -> pa.Table:
        self.ensure_setup()
        if self.text_column not in table.column_names:
            raise ValueError(f"datatrove_step: the batch has no {self.text_column!r} column")
        names = self._metadata_names(table)
        docs = self._documents(table, names)
        originals = [dict(doc.metadata) for doc in docs]
        kept, reasons = self._run(docs)

        if self.drop_empty:
            for i, (doc, k) in enumerate(zip(docs, kept)):
                if k and not (doc.text or "").strip():
                    kept[i] = False
                    reasons[i] = self.REASON_PREFIX + "empty_text"
        # text: the step's text on kept rows; dropped rows keep the original (for rejects)
        old_text = table[self.text_column].to_pylist()
        new_text = [doc.text if k else t for doc, k, t in zip(docs, kept, old_text)]
        if new_text != old_text:
            idx = table.schema.get_field_index(self.text_column)
            table = table.set_column(idx, self.text_column, pa.array(new_text, table.schema.field(idx).type))

        if self.write_metadata:
            table = self._write_metadata(table, docs, originals, names)
        return mark_dropped(table, pa.array(reasons, pa.string()))

    def _write_metadata(
        self, table: pa.Table, docs: list[Any], originals: list[dict[str, Any]], names: list[str]
    ) -> pa.Table:
        keys: dict[str, None] = {}
        for doc in docs:
            keys.update(dict.fromkeys(doc.metadata))
        keys.pop(_FILTER_REASON, None)
        protected = {self.text_column, self.id_column, *INTERNAL_COLUMNS}
        for key in keys:
            if key in protected:
                continue
            values = [doc.metadata.get(key) for doc in docs]
            if key in names:
                if values == [original.get(key) for original in originals]:
                    continue  # unchanged
                idx = table.schema.get_field_index(key)
                table = table.set_column(idx, key, _to_arrow(values, table.schema.field(idx).type))
            elif key in table.column_names:
                continue  # a column the step was not shown; never overwrite it
            else:
                table = table.append_column(key, _to_arrow(values, None))
        return table


def _to_arrow(values: list[Any], type_: pa.DataType | None) -> pa.Array:
    """Values to an Arrow array of ``type_`` when they fit it, else of an inferred type,
    else as strings."""
    if type_ is not None:
        try:
            return pa.array(values, type_)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            pass
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return pc.cast(pa.array([None if v is None else str(v) for v in values], pa.string()), pa.string())
