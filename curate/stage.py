"""Stages and filters: the units a pipeline is made of.

A stage is a small dataclass whose fields are its configuration.  It maps a
:class:`pyarrow.Table` to a :class:`pyarrow.Table`.  Subclasses become dataclasses
automatically (keyword-only fields), so a custom stage is just a class with annotated
defaults::

    class MinWords(Filter):
        '''Drop documents with fewer than ``min_words`` words.'''
        min_words: int = 50

        def score(self, batch):
            return pc.list_value_length(pc.utf8_split_whitespace(batch["text"]))

        def keep(self, score):
            return pc.greater_equal(score, self.min_words)

Rows a stage drops are never deleted: they are marked (``_dropped_by`` / ``_reason``) and
routed by the writer to the rejects output.  :func:`run_stage` hands a stage only the rows
still alive and re-attaches the rest, so stages never see rejected rows.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.schema import DROPPED_BY, REASON, TEXT


@dataclass(frozen=True)
class Resources:
    """What one worker of a stage needs; passed to Ray as task/actor resources."""

    cpus: float = 1.0
    gpus: float = 0.0
    memory_bytes: int | None = None


def snake_case(name: str) -> str:
    """``TrafilaturaExtractor`` -> ``trafilatura_extractor``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class MissingDependencyError(ImportError):
    """An optional package a stage needs is not installed."""


def require(module: str, extra: str | None = None, package: str | None = None) -> Any:
    """Import ``module`` or fail with a one-line message naming what to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = f"curate[{extra}]" if extra else (package or module)
        missing = getattr(exc, "name", None)
        if missing and missing.split(".")[0] != module.split(".")[0]:
            # The package is there but one of its own imports failed: say which.
            raise MissingDependencyError(
                f"'{module}' is installed but cannot be imported ({exc}); reinstall it: pip install --force-reinstall '{what}'"
            ) from exc
        raise MissingDependencyError(
            f"this stage needs the '{package or module}' package: pip install '{what}'"
        ) from exc


@dataclass(kw_only=True)
class Stage:
    """Base class of every pipeline stage.

    Class attributes (not configuration):

    ``name``       registry name (snake_case of the class name unless set).
    ``stateful``   True when ``setup()`` loads heavy state (a model): the stage then runs in
                   a Ray actor pool so the state is loaded once per worker.  Stateless stages
                   run as Ray tasks.  This is declared, never inferred; a stage whose
                   state depends on its settings declares it as a property
                   (``extract_html``: only with its cascade on).
    ``resources``  what one worker needs.

    ``label`` (a field) names this instance in statistics and rejects; it defaults to
    ``name`` and only needs setting when one pipeline uses a stage twice.
    """

    name: ClassVar[str] = "stage"
    stateful: ClassVar[bool] = False
    # True for stages that see every document before deciding (curate.execution.global_stage)
    is_global: ClassVar[bool] = False
    resources: ClassVar[Resources] = Resources()
    # Languages the stage's rules are valid for (ISO 639-1 codes); None means any.
    supported_languages: ClassVar[tuple[str, ...] | None] = None
    # Optional packages the stage imports, as (module, extra) pairs: a missing one fails
    # validate() with "pip install 'curate[extra]'".
    requires: ClassVar[tuple[tuple[str, str], ...]] = ()
    # stats.json key under which the figures of output_summary go (None: the stage has none).
    summary_key: ClassVar[str | None] = None

    label: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = snake_case(cls.__name__)
        if "__dataclass_fields__" not in cls.__dict__:
            dataclass(kw_only=True)(cls)

    # -- lifecycle -----------------------------------------------------------------------
    def validate(self) -> None:
        """Check the configuration cheaply on the driver before a run starts (fail fast).

        The default checks every setting against its declared type (see
        :mod:`curate.settings`; a wrong one raises a one-line ``SettingsError``) and the
        optional packages in ``requires``; subclasses that override it should call
        ``super().validate()``.
        """
        from curate.settings import check_instance

        check_instance(self, where=f"stage {self.stage_id}")
        for module, extra in self.requires:
            require(module, extra=extra)

    def prepare(self, work_root: str) -> None:
        """Work done once, on the driver, after :meth:`validate` and before any worker
        starts (``decontaminate`` builds its index here); ``work_root`` is the run's folder
        for such state, on the output's filesystem.  Default: nothing."""

    def setup(self) -> None:
        """Load heavy state (models, lookup tables).  Called once per worker."""

    def process(self, table: pa.Table) -> pa.Table:
        """Map a table of live rows to a table.  Set ``_reason`` on rows to drop them."""
        raise NotImplementedError

    def probe(self, table: pa.Table) -> pa.Table:
        """What the stage makes of an empty batch: the run plans its output schemas from the
        columns this adds (see curate.output.plan_schemas).  Default: :meth:`process`."""
        return self.process(table)

    def output_summary(self, layout: Any) -> dict[str, Any] | None:
        """Figures the stage counts from the finished output (an
        :class:`~curate.output.OutputLayout`), for ``stats.json[summary_key][stage_id]``.
        Default: none."""
        return None

    # -- helpers -------------------------------------------------------------------------
    @property
    def stage_id(self) -> str:
        return self.label or self.name

    def config(self) -> dict[str, Any]:
        """The stage's configuration as plain data (what YAML would hold: tuples as lists)."""
        return {f.name: _yaml_plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def ensure_setup(self) -> None:
        if not self.__dict__.get("_curate_setup_done", False):
            self.setup()
            self.__dict__["_curate_setup_done"] = True

    def __getstate__(self) -> dict[str, Any]:
        # Ship configuration only; loaded state (private attributes) is rebuilt by setup().
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


def _yaml_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _yaml_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_yaml_plain(v) for v in value]
    return value


@dataclass(kw_only=True)
class Filter(Stage):
    """A stage that scores rows and keeps some of them.

    ``score(batch)`` returns the measured values: one array (written as the column
    ``score_column``, default the filter's name), or a dict / table of named arrays (each
    written as its own typed column).  ``keep(score)`` returns either a boolean mask (False
    rows are dropped with the reason ``reason``) or a string array of reasons (null keeps
    the row), for filters with several rules.
    """

    score_column: ClassVar[str | None] = None
    write_scores: ClassVar[bool] = True
    reason: ClassVar[str | None] = None

    def score(self, batch: pa.Table) -> Any:
        raise NotImplementedError

    def keep(self, score: Any) -> pa.Array:
        raise NotImplementedError

    def process(self, table: pa.Table) -> pa.Table:
        scores = self.score(table)
        decision = self.keep(scores)
        if isinstance(decision, pa.ChunkedArray):
            decision = decision.combine_chunks()
        if not isinstance(decision, pa.Array):
            decision = pa.array(decision)
        if self.write_scores and scores is not None:
            table = _add_score_columns(table, scores, self.score_column or self.name)
        if pa.types.is_boolean(decision.type):
            reason = self.reason or self.name
            reasons = pc.if_else(
                pc.fill_null(decision, False), pa.scalar(None, pa.string()), reason
            )
        else:
            reasons = decision.cast(pa.string())
        return mark_dropped(table, reasons)


def _add_score_columns(table: pa.Table, scores: Any, default_name: str) -> pa.Table:
    if isinstance(scores, pa.Table):
        items = list(zip(scores.column_names, scores.columns))
    elif isinstance(scores, dict):
        items = list(scores.items())
    else:
        items = [(default_name, scores)]
    for column_name, values in items:
        if not isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = pa.array(values)
        table = put_column(table, column_name, values)
    return table


def stateful_by_default(cls: type[Stage]) -> bool:
    """Whether stages of ``cls`` with default settings load state (run as actors), for
    listings that have a class, not an instance."""
    declared = getattr(cls, "stateful", False)
    if isinstance(declared, property):
        try:
            return bool(cls().stateful)
        except Exception:  # settings without defaults: say what the class declares at most
            return False
    return bool(declared)


def live_mask(table: pa.Table, column: str = TEXT) -> np.ndarray:
    """Rows that no earlier stage or reader dropped and whose ``column`` is present."""
    live = pc.is_valid(table[column])
    if DROPPED_BY in table.column_names:
        live = pc.and_(live, pc.is_null(table[DROPPED_BY]))
    return np.asarray(live.to_numpy(zero_copy_only=False), bool)


def put_column(table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray) -> pa.Table:
    """``table`` with column ``name`` replaced by ``values``, or appended when absent."""
    idx = table.schema.get_field_index(name)
    if idx >= 0:
        return table.set_column(idx, name, values)
    return table.append_column(name, values)


def mark_dropped(table: pa.Table, reasons: pa.Array) -> pa.Table:
    """Set ``_reason`` where ``reasons`` is non-null, keeping earlier reasons."""
    if REASON in table.column_names:
        reasons = pc.coalesce(table[REASON], reasons)
        return table.set_column(table.schema.get_field_index(REASON), REASON, reasons)
    return table.append_column(REASON, reasons)


@dataclass
class StageBatchStats:
    """What one stage did to one batch; summed into the run's statistics."""

    stage: str
    rows_in: int = 0
    rows_out: int = 0
    seconds: float = 0.0
    dropped: dict[str, int] = field(default_factory=dict)

    def merge(self, other: StageBatchStats) -> None:
        self.rows_in += other.rows_in
        self.rows_out += other.rows_out
        self.seconds += other.seconds
        for key, value in other.dropped.items():
            self.dropped[key] = self.dropped.get(key, 0) + value

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def ensure_drop_columns(table: pa.Table) -> pa.Table:
    for column in (DROPPED_BY, REASON):
        if column not in table.column_names:
            table = table.append_column(column, pa.nulls(table.num_rows, pa.string()))
    return table


def run_stage(stage: Stage, table: pa.Table) -> tuple[pa.Table, StageBatchStats]:
    """Run ``stage`` on the live rows of ``table`` and re-attach the rows dropped earlier."""
    stage.ensure_setup()
    table = ensure_drop_columns(table)
    start = time.perf_counter()
    dropped_before = table[DROPPED_BY]
    n_dead = table.num_rows - dropped_before.null_count
    if n_dead == 0:
        live, dead = table, None
    else:
        live_mask = pc.is_null(dropped_before)
        live, dead = table.filter(live_mask), table.filter(pc.invert(live_mask))
    stats = StageBatchStats(stage=stage.stage_id, rows_in=live.num_rows)
    out = stage.process(live) if live.num_rows else live
    out = ensure_drop_columns(out)
    newly = pc.and_(pc.is_null(out[DROPPED_BY]), pc.is_valid(out[REASON]))
    if pc.any(newly).as_py():
        counts = pc.value_counts(pc.filter(out[REASON], newly))
        stats.dropped = {
            item["values"].as_py(): item["counts"].as_py() for item in counts
        }
        dropped_by = pc.if_else(newly, stage.stage_id, out[DROPPED_BY])
        out = out.set_column(out.schema.get_field_index(DROPPED_BY), DROPPED_BY, dropped_by)
    stats.rows_out = stats.rows_in - sum(stats.dropped.values())
    stats.seconds = time.perf_counter() - start
    if dead is not None and dead.num_rows:
        out = pa.concat_tables([out, dead], promote_options="permissive")
    return out, stats


def live_rows(table: pa.Table) -> pa.Table:
    """The rows no stage has dropped."""
    if DROPPED_BY not in table.column_names:
        return table
    return table.filter(pc.is_null(table[DROPPED_BY]))
