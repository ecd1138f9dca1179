"""``curate diff RUN_A RUN_B``: which documents one run kept and the other did not, and why.

:func:`diff_runs` compares two output directories of ``curate run`` (local paths or fsspec
URLs) and returns a dict; it prints nothing.  ``curate.diff_view`` renders that dict in a
terminal.

Documents are matched by ``id``, which is stable across runs over the same inputs.  Only
``id`` and the drop columns (``dropped_by``, ``reason``) are read for every row, row group
by row group; text and score columns are read for the sampled documents only.  Settings
come from each output's ``manifest.json`` (the pipeline as it ran, and curate's version).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from curate.inspect import _shorten
from curate.loader.format import is_tokenized_manifest
from curate.output import OutputLayout
from curate.schema import ID, REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL
from curate.storage import parquet_file

EXPECTED = "expected the output directory of 'curate run' (data/, rejects/, stats.json)"
SNIPPET_CHARS = 200
# The side of a comparison a value belongs to.
SIDES = ("a", "b")
# A setting's value in a run whose pipeline lacks it (a stage only one run has).
ABSENT = "(absent)"


class RunOutput:
    """One output directory of ``curate run``: its layout, stats.json and manifest.json."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.layout = OutputLayout(directory)
        if not self.layout.exists():
            raise ValueError(f"{directory}: no such directory; {EXPECTED}")
        self.manifest = self._read_json("manifest.json") or {}
        stats = self._read_json("stats.json")
        has_stages = stats is not None and isinstance(stats.get("stages"), list)
        if is_tokenized_manifest(self.manifest) and not has_stages:
            # a run with output.tokenized has its curation (stats.json, data/, rejects/) too
            raise ValueError(f"{directory} is a tokenized (or mixture) output; curate diff compares outputs of "
                             "'curate run' (data/, rejects/, stats.json)")
        if stats is None:
            raise ValueError(f"{directory} has no stats.json; {EXPECTED}")
        if not has_stages:
            raise ValueError(f"{directory} has no stats.json with stages; {EXPECTED}")
        self.stats = stats

    def _read_json(self, name: str) -> dict[str, Any] | None:
        """The JSON file ``name`` of the output as a dict ({} when it holds no object), None when
        it is absent."""
        try:
            data = self.layout.read_json_file(name)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.layout.path(name)} is not valid JSON ({exc}); {EXPECTED}") from None
        if data is None:
            return None
        return data if isinstance(data, dict) else {}

    @property
    def pipeline(self) -> dict[str, Any] | None:
        """The pipeline as it ran (manifest.json), or None when the output does not record it."""
        pipeline = self.manifest.get("pipeline")
        return pipeline if isinstance(pipeline, dict) else None


# -- reading ----------------------------------------------------------------------------------
def _read_row_groups(layout: OutputLayout, directory: str, columns: list[str], ids: pa.Array | None = None) -> pa.Table:
    """:meth:`OutputLayout.read_folder` of ``columns``, optionally only the rows whose id is
    in ``ids``; an empty table when there are no parts."""
    table = layout.read_folder(directory, columns, ids)
    if table is None:
        return pa.table({c: pa.array([], pa.string()) for c in columns if c in (ID, URL, REJECT_DROPPED_BY, REJECT_REASON)})
    if ID not in table.column_names:
        raise ValueError(f"{layout.path(directory)} has no '{ID}' column; {EXPECTED}")
    return table


def _schema(layout: OutputLayout, directory: str) -> pa.Schema:
    """The columns of the first part file in ``directory`` (one schema per folder), or an empty schema."""
    parts = layout.part_files(directory)
    return parquet_file(layout.fs, parts[0]).schema_arrow if parts else pa.schema([])


def _kept_ids(run: RunOutput) -> pa.Array:
    """The distinct ids of the documents ``run`` kept."""
    table = _read_row_groups(run.layout, run.layout.data_dir, [ID])
    return pc.unique(table[ID].combine_chunks().cast(pa.string()))


def _rejected(run: RunOutput) -> pa.Table:
    """``id``, ``dropped_by``, ``reason`` of the documents ``run`` rejected, one row per id."""
    table = _read_row_groups(run.layout, run.layout.rejects_dir, [ID, REJECT_DROPPED_BY, REJECT_REASON])
    columns = {c: (table[c].cast(pa.string()) if c in table.column_names else pa.nulls(table.num_rows, pa.string()))
               for c in (ID, REJECT_DROPPED_BY, REJECT_REASON)}
    table = pa.table(columns)
    if table.num_rows == 0:
        return table
    first = table.group_by(ID, use_threads=False).aggregate([(REJECT_DROPPED_BY, "first"), (REJECT_REASON, "first")])
    names = {f"{REJECT_DROPPED_BY}_first": REJECT_DROPPED_BY, f"{REJECT_REASON}_first": REJECT_REASON}
    return first.rename_columns([names.get(n, n) for n in first.column_names]).select([ID, REJECT_DROPPED_BY, REJECT_REASON])


# -- counts -----------------------------------------------------------------------------------
def _count(mask: pa.Array) -> int:
    """The number of true values in a boolean array."""
    return int(pc.sum(mask).as_py() or 0)


def _counts(kept_a: pa.Array, kept_b: pa.Array, rejected_a: pa.Table, rejected_b: pa.Table) -> dict[str, Any]:
    """Documents kept in A, in B, in both, only in A, only in B, the Jaccard similarity of the
    kept ids, documents present in one output only, and documents rejected in both."""
    both = _count(pc.is_in(kept_a, value_set=kept_b))
    union = len(kept_a) + len(kept_b) - both
    seen_a = pa.concat_arrays([kept_a, rejected_a[ID].combine_chunks()])
    seen_b = pa.concat_arrays([kept_b, rejected_b[ID].combine_chunks()])
    return {
        "kept_a": len(kept_a),
        "kept_b": len(kept_b),
        "kept_both": both,
        "only_kept_a": len(kept_a) - both,
        "only_kept_b": len(kept_b) - both,
        "jaccard": round(both / union, 6) if union else 1.0,
        "only_in_output_a": len(seen_a) - _count(pc.is_in(seen_a, value_set=seen_b)),
        "only_in_output_b": len(seen_b) - _count(pc.is_in(seen_b, value_set=seen_a)),
        "rejected_both": _count(pc.is_in(rejected_a[ID], value_set=rejected_b[ID])),
    }


# -- documents only one run kept --------------------------------------------------------------
def _group_counts(table: pa.Table, keys: list[str]) -> list[dict[str, Any]]:
    """Rows of ``table`` per distinct ``keys``, as dicts with ``count``, largest first."""
    if table.num_rows == 0:
        return []
    rows = table.group_by(keys, use_threads=False).aggregate([([], "count_all")]).to_pylist()
    for row in rows:
        row["count"] = row.pop("count_all")
    return sorted(rows, key=lambda r: (-r["count"], *(str(r[k] or "") for k in keys)))


def _key_mask(table: pa.Table, group: dict[str, Any], keys: list[str]) -> pa.Array:
    """Rows of ``table`` whose ``keys`` equal those of ``group`` (null matching null)."""
    mask = None
    for key in keys:
        value = group[key]
        column = table[key]
        part = pc.is_null(column) if value is None else pc.fill_null(pc.equal(column, value), False)
        mask = part if mask is None else pc.and_(mask, part)
    return mask


def _score_columns(kept_schema: pa.Schema, other_schema: pa.Schema) -> list[str]:
    """Numeric (or boolean) columns in both schemas: the scores the filters write."""
    def is_score(field: pa.Field) -> bool:
        return pa.types.is_integer(field.type) or pa.types.is_floating(field.type) or pa.types.is_boolean(field.type)

    other = {f.name: f for f in other_schema}
    return [f.name for f in kept_schema if is_score(f) and f.name in other and is_score(other[f.name])]


def _plain(value: Any) -> Any:
    """A score as JSON writes it: floats rounded to 6 digits."""
    return round(value, 6) if isinstance(value, float) else value


def _examples(kept: RunOutput, other: RunOutput, ids: list[str], stage_columns: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """For each of ``ids`` (kept by ``kept``, not kept by ``other``), keyed by id: ``id``,
    ``url``, a short ``text`` from ``kept``'s data, and ``scores``: ``{column: (kept's value,
    other's value)}`` for the score columns both runs hold for it that matter: those whose
    values differ, then those of the stage that dropped it in ``other`` (every shared score
    column when neither is known)."""
    if not ids:
        return {}
    wanted = pa.array(ids, pa.string())
    scores = _score_columns(_schema(kept.layout, kept.layout.data_dir), _schema(other.layout, other.layout.rejects_dir))
    kept_rows = _read_row_groups(kept.layout, kept.layout.data_dir, [ID, URL, TEXT, *scores], wanted).to_pylist()
    other_rows = {r[ID]: r for r in _read_row_groups(other.layout, other.layout.rejects_dir, [ID, REJECT_DROPPED_BY, *scores], wanted).to_pylist()}
    out: dict[str, dict[str, Any]] = {}
    for row in kept_rows:
        if row[ID] in out:
            continue
        rejected = other_rows.get(row[ID], {})
        shared = {c: (_plain(row[c]), _plain(rejected[c])) for c in scores
                  if row.get(c) is not None and rejected.get(c) is not None}
        differing = [c for c, (x, y) in shared.items() if x != y]
        of_stage = [c for c in stage_columns.get(rejected.get(REJECT_DROPPED_BY) or "", []) if c in shared and c not in differing]
        relevant = differing + of_stage or list(shared)
        out[row[ID]] = {
            ID: row[ID],
            URL: row.get(URL),
            TEXT: _shorten(row.get(TEXT), SNIPPET_CHARS),
            "scores": {c: shared[c] for c in relevant},
        }
    return out


def _only_kept(kept: RunOutput, other: RunOutput, only_ids: pa.Array, other_rejected: pa.Table,
               samples: int, kept_side: str) -> list[dict[str, Any]]:
    """Documents ``kept`` kept and ``other`` did not, grouped by the (``dropped_by``, ``reason``)
    ``other`` gave them (both None: not in ``other``'s output at all), largest group first;
    each group with ``count`` and up to ``samples`` ``examples`` (see :func:`_examples`, with
    ``scores`` as ``{"a": .., "b": ..}`` where ``kept_side`` names the kept run's side)."""
    keys = [REJECT_DROPPED_BY, REJECT_REASON]
    ids = pa.table({ID: only_ids}).join(other_rejected, ID, join_type="left outer", use_threads=False).sort_by(ID)
    groups = _group_counts(ids, keys)
    chosen = [ids.filter(_key_mask(ids, group, keys))[ID].slice(0, max(samples, 0)).to_pylist() for group in groups]
    flat = [i for picked in chosen for i in picked]
    examples = _examples(kept, other, flat, _stage_columns(other.pipeline) if flat else {})
    for group, picked in zip(groups, chosen):
        group["examples"] = [_sides(examples[i], kept_side) for i in picked if i in examples]
    return groups


def _sides(example: dict[str, Any], kept_side: str) -> dict[str, Any]:
    """``example`` with each score pair (kept run's value, other run's value) as ``{"a", "b"}``."""
    pairs = example["scores"]
    order = (0, 1) if kept_side == "a" else (1, 0)
    return {**example, "scores": {c: {"a": pair[order[0]], "b": pair[order[1]]} for c, pair in pairs.items()}}


# -- documents both runs rejected ---------------------------------------------------------------
def _rejected_differently(rejected_a: pa.Table, rejected_b: pa.Table) -> list[dict[str, Any]]:
    """Documents both runs rejected, for different (stage, reason): ``{"a": "stage:reason",
    "b": "stage:reason", "count": n}`` per pair, largest first."""
    def labelled(table: pa.Table, side: str) -> pa.Table:
        stage = pc.fill_null(table[REJECT_DROPPED_BY], "?")
        reason = pc.fill_null(table[REJECT_REASON], "?")
        return pa.table({ID: table[ID], side: pc.binary_join_element_wise(stage, reason, ":")})

    joined = labelled(rejected_a, "a").join(labelled(rejected_b, "b"), ID, join_type="inner", use_threads=False)
    different = joined.filter(pc.not_equal(joined["a"], joined["b"]))
    return _group_counts(different.select(["a", "b"]), ["a", "b"])


# -- stages and settings ----------------------------------------------------------------------
def _pair(a: int | None, b: int | None) -> dict[str, int | None]:
    """``{"a", "b", "difference"}`` (B minus A; None where a side lacks the figure)."""
    return {"a": a, "b": b, "difference": None if a is None or b is None else b - a}


def _stage_rows(stats_a: dict[str, Any], stats_b: dict[str, Any]) -> list[dict[str, Any]]:
    """The funnels of two stats.json side by side, stages in A's order then B's own: per stage
    ``stage``, ``rows_in`` and ``rows_out`` as ``{"a", "b", "difference"}``, and ``dropped``:
    one ``{"reason", "a", "b", "difference"}`` per reason either run gave (0 where the other
    run's stage gave none; None where its pipeline lacks the stage)."""
    stages_a = {s["stage"]: s for s in stats_a["stages"]}
    stages_b = {s["stage"]: s for s in stats_b["stages"]}
    rows = []
    for name in [*stages_a, *(s for s in stages_b if s not in stages_a)]:
        a, b = stages_a.get(name), stages_b.get(name)
        reasons = [*(a or {}).get("dropped", {}), *(r for r in (b or {}).get("dropped", {}) if r not in (a or {}).get("dropped", {}))]
        rows.append({
            "stage": name,
            "rows_in": _pair(a and a.get("rows_in"), b and b.get("rows_in")),
            "rows_out": _pair(a and a.get("rows_out"), b and b.get("rows_out")),
            "dropped": [{"reason": r, **_pair(None if a is None else a["dropped"].get(r, 0), None if b is None else b["dropped"].get(r, 0))}
                        for r in reasons],
        })
    return rows


def _stage_id(entry: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(stage id, settings) of one recorded stage ``{name: settings}``: the label, else the name."""
    (name, settings), = entry.items()
    settings = settings if isinstance(settings, dict) else {}
    return str(settings.get("label") or name), settings


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Nested settings as ``{"prefix.key.subkey": value}``; lists stay whole."""
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    else:
        out[prefix] = value


def _recorded_settings(run: RunOutput) -> dict[str, Any]:
    """Every setting ``run``'s manifest records, flat: ``curate_version``, ``name``,
    ``input.*`` (less the paths), ``output.*``, ``execution.*`` and ``STAGE.*`` per stage
    (a stage's whole settings under ``STAGE`` with value ``"(present)"`` too)."""
    pipeline = run.pipeline or {}
    flat: dict[str, Any] = {"curate_version": run.manifest.get("curate_version"), "name": pipeline.get("name")}
    for section in ("input", "output", "execution"):
        values = dict(pipeline.get(section) or {})
        if section == "input":
            values.pop("paths", None)
        _flatten(section, values, flat)
    seen: dict[str, int] = {}
    for entry in pipeline.get("stages") or []:
        stage, settings = _stage_id(entry)
        seen[stage] = seen.get(stage, 0) + 1
        key = stage if seen[stage] == 1 else f"{stage}#{seen[stage]}"
        flat[key] = "(present)"
        for name, value in settings.items():
            _flatten(f"{key}.{name}", value, flat)
    return flat


def _changed_settings(run_a: RunOutput, run_b: RunOutput) -> list[dict[str, Any]] | None:
    """Settings whose values differ, as ``{"setting", "a", "b"}`` (``"(absent)"`` where a run's
    pipeline lacks it; a stage only one run has is one entry, ``STAGE``), in A's order; a
    changed stage order is ``stages``.  None when either output does not record its pipeline."""
    if run_a.pipeline is None or run_b.pipeline is None:
        return None
    a, b = _recorded_settings(run_a), _recorded_settings(run_b)
    stages_a = {k for k, v in a.items() if v == "(present)"}
    stages_b = {k for k, v in b.items() if v == "(present)"}
    only_one = stages_a ^ stages_b
    changes = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key.split(".", 1)[0] in only_one and "." in key:
            continue  # the stage's own entry says it
        va, vb = a.get(key, ABSENT), b.get(key, ABSENT)
        if key in only_one:
            va, vb = ("(present)" if key in stages_a else ABSENT), ("(present)" if key in stages_b else ABSENT)
        if va != vb:
            changes.append({"setting": key, "a": va, "b": vb})
    order_a = [k for k in a if k in stages_a and k in stages_b]
    order_b = [k for k in b if k in stages_a and k in stages_b]
    if order_a != order_b:
        changes.append({"setting": "stages", "a": order_a, "b": order_b})
    return changes


def _stage_columns(pipeline: dict[str, Any] | None) -> dict[str, list[str]]:
    """Per stage id of a recorded pipeline, the columns the stage writes (found by passing an
    empty batch through the stages, as the run plans its schema; no model is loaded) and the
    columns its settings name (``score_column_name``).  {} where the stages cannot be built."""
    from curate.output import CORE_SCHEMA, probe_stage
    from curate.registry import build_stage

    columns: dict[str, list[str]] = {}
    table = CORE_SCHEMA.empty_table()
    for entry in (pipeline or {}).get("stages") or []:
        stage_id, settings = _stage_id(entry)
        before = set(table.column_names)
        try:
            stage = build_stage(next(iter(entry)), settings)
            table, _ = probe_stage(stage, table)
        except Exception:  # another curate version's stage, or one that needs its model: no columns
            continue
        named = [v for v in settings.values() if isinstance(v, str) and v in table.column_names]
        columns.setdefault(stage_id, []).extend(dict.fromkeys([*(c for c in table.column_names if c not in before), *named]))
    return columns


# -- the diff -----------------------------------------------------------------------------------
def diff_runs(run_a: str, run_b: str, samples: int = 3) -> dict[str, Any]:
    """Which documents two outputs of ``curate run`` kept differently, and why, as a dict;
    prints nothing.

    - ``run_a``, ``run_b``: the directories; ``pipeline_a``, ``pipeline_b``: their pipeline names;
    - ``counts``: ``kept_a``, ``kept_b``, ``kept_both``, ``only_kept_a``, ``only_kept_b``,
      ``jaccard`` (of the kept ids; 1.0 when neither kept any), ``only_in_output_a`` /
      ``only_in_output_b`` (documents one output holds, kept or rejected, that the other does
      not hold at all: different inputs), ``rejected_both`` and ``rejected_both_differently``;
    - ``only_kept_a``: the documents A kept and B did not, grouped by B's ``dropped_by`` and
      ``reason`` (both None: not in B's output), largest first, each with ``count`` and up to
      ``samples`` ``examples`` (``id``, ``url``, ``text`` (a snippet), ``scores``:
      ``{column: {"a", "b"}}`` for the score columns both runs hold for it whose values
      differ, then those of the stage that dropped it; every shared one when neither is
      known); ``only_kept_b``
      the same the other way round (grouped by A's reason);
    - ``rejected_differently``: ``{"a": "stage:reason", "b": "stage:reason", "count"}`` for
      documents both rejected for different reasons, largest first;
    - ``stages``: the two funnels per stage (see :func:`_stage_rows`);
    - ``settings_recorded`` and ``settings``: the settings that differ (see
      :func:`_changed_settings`; None when an output does not record its pipeline).

    Raises ValueError (one line, with the path) when a directory is missing or is not an
    output of ``curate run`` (a tokenized or mixture output is refused).
    """
    a, b = RunOutput(run_a), RunOutput(run_b)
    kept_a, kept_b = _kept_ids(a), _kept_ids(b)
    rejected_a, rejected_b = _rejected(a), _rejected(b)
    counts = _counts(kept_a, kept_b, rejected_a, rejected_b)
    rejected_differently = _rejected_differently(rejected_a, rejected_b)
    counts["rejected_both_differently"] = sum(r["count"] for r in rejected_differently)
    only_a = pc.filter(kept_a, pc.invert(pc.is_in(kept_a, value_set=kept_b)))
    only_b = pc.filter(kept_b, pc.invert(pc.is_in(kept_b, value_set=kept_a)))
    settings = _changed_settings(a, b)
    return {
        "run_a": run_a,
        "run_b": run_b,
        "pipeline_a": a.stats.get("pipeline"),
        "pipeline_b": b.stats.get("pipeline"),
        "counts": counts,
        "only_kept_a": _only_kept(a, b, only_a, rejected_b, samples, "a"),
        "only_kept_b": _only_kept(b, a, only_b, rejected_a, samples, "b"),
        "rejected_differently": rejected_differently,
        "stages": _stage_rows(a.stats, b.stats),
        "settings_recorded": settings is not None,
        "settings": settings,
    }


__all__ = ["RunOutput", "diff_runs"]
