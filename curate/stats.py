"""``stats.json``: what every stage did, computed from what is on disk.

Counts come from the output itself (rows in the data and rejects files, drop reasons in
the rejects, the readers' per-input reports), so they are exact and stay right across
resumed runs; stage times are summed over the runs that contributed.
"""

from __future__ import annotations

from typing import Any

from curate.output import OutputLayout, load_reports, rows_per_input
from curate.pipeline import Pipeline
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON
from curate.storage import read_parquet


def drop_counts(layout: OutputLayout, files: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for f in files:
        if f["kind"] != "rejects":
            continue
        table = read_parquet(layout.fs, f["path"], [REJECT_DROPPED_BY, REJECT_REASON])
        grouped = table.group_by([REJECT_DROPPED_BY, REJECT_REASON]).aggregate([([], "count_all")])
        for row in grouped.to_pylist():
            key = (row[REJECT_DROPPED_BY], row[REJECT_REASON])
            counts[key] = counts.get(key, 0) + row["count_all"]
    return counts


def dropped_text_bytes(files: list[dict[str, Any]]) -> dict[tuple[str, str], int] | None:
    """Text bytes of the rejected rows per (stage, reason), from the part files' footers;
    None when a part file does not record them (written by an older curate)."""
    if any("text_bytes" not in f for f in files):
        return None
    out: dict[tuple[str, str], int] = {}
    for f in files:
        if f["kind"] != "rejects":
            continue
        for key, n in f["text_bytes"].items():
            stage, _, reason = key.partition("\t")
            out[(stage, reason)] = out.get((stage, reason), 0) + int(n)
    return out


def compute_stats(
    layout: OutputLayout,
    pipeline: Pipeline,
    reader_name: str,
    stage_seconds: dict[str, float],
    read_seconds: float,
    input_keys: list[str],
    reports_layout: OutputLayout | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``reports_layout``: where the readers' reports are (a pipeline with global stages
    reads its inputs in its first phase, whose folder is not the final output).

    Sizes, where every part file records them (see :func:`curate.output.text_bytes`): per
    stage ``bytes_dropped`` and ``dropped_bytes`` (per reason), the documents' bytes as they
    were when dropped; ``text_bytes``: kept and rejected bytes.  Bytes in and out of a stage
    are not recorded: stages change the text (extraction, line removal, masking)."""
    reports = load_reports(reports_layout or layout)
    _, files = rows_per_input(layout)
    drops = drop_counts(layout, files)
    wanted = set(input_keys)
    reports = {k: r for k, r in reports.items() if k in wanted}

    records_by_type: dict[str, int] = {}
    total_records = total_rows = 0
    for report in reports.values():
        total_records += report.records
        total_rows += report.rows
        for t, n in report.records_by_type.items():
            records_by_type[t] = records_by_type.get(t, 0) + n

    byte_drops = dropped_text_bytes(files)

    def dropped_bytes(stage_id: str) -> dict[str, int] | None:
        if byte_drops is None:
            return None
        return {r: n for (s, r), n in sorted(byte_drops.items(), key=lambda x: -x[1]) if s == stage_id}

    def dropped_by(stage_id: str) -> dict[str, int]:
        return dict(sorted(((r, n) for (s, r), n in drops.items() if s == stage_id), key=lambda x: -x[1]))

    stages = []
    reader_drops = dropped_by(reader_name)
    alive = total_rows - sum(reader_drops.values())
    stages.append(
        {
            "stage": reader_name,
            "kind": "read",
            "records": total_records,
            "records_by_type": dict(sorted(records_by_type.items())),
            "rows_in": total_rows,
            "rows_out": alive,
            "dropped": reader_drops,
            "seconds": round(read_seconds, 3),
        }
    )
    if byte_drops is not None:
        reader_bytes = dropped_bytes(reader_name) or {}
        stages[-1]["dropped_bytes"] = reader_bytes
        stages[-1]["bytes_dropped"] = sum(reader_bytes.values())
    for stage in pipeline.stages:
        dropped = dropped_by(stage.stage_id)
        out = alive - sum(dropped.values())
        stages.append(
            {
                "stage": stage.stage_id,
                "kind": "filter" if dropped or stage.__class__.__dict__.get("keep") else "map",
                "rows_in": alive,
                "rows_out": out,
                "dropped": dropped,
                "seconds": round(stage_seconds.get(stage.stage_id, 0.0), 3),
            }
        )
        if byte_drops is not None:
            per_reason = dropped_bytes(stage.stage_id) or {}
            stages[-1]["dropped_bytes"] = per_reason
            stages[-1]["bytes_dropped"] = sum(per_reason.values())
        alive = out
    kept = sum(f["rows"] for f in files if f["kind"] == "data")
    rejected = sum(f["rows"] for f in files if f["kind"] == "rejects")
    damaged = [
        {"input": r.input, "damage": r.damaged, "records_read": r.records}
        for r in sorted(reports.values(), key=lambda r: r.input)
        if r.damaged
    ]
    stats = {
        "pipeline": pipeline.name,
        "inputs": {"total": len(input_keys), "completed": len(reports), "damaged": len(damaged)},
        "documents": {"kept": kept, "rejected": rejected},
        "stages": stages,
        "damaged_inputs": damaged,
    }
    if byte_drops is not None:  # UTF-8 bytes of text: kept, and rejected as it was when dropped
        stats["text_bytes"] = {"kept": sum(f["text_bytes"] for f in files if f["kind"] == "data"),
                               "rejected": sum(byte_drops.values())}
    if kept != alive:
        stats["warning"] = f"kept rows on disk ({kept}) differ from the stage accounting ({alive})"
    return stats, files
