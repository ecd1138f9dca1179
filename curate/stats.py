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


def drops(layout: OutputLayout, files: list[dict[str, Any]]) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int] | None]:
    """Rejected rows and their bytes per (stage, reason).  From the part files' footers
    (:func:`curate.output.part_sizes`); an output with a part file written by an older
    curate has its rejects' drop columns read instead, and no bytes (None)."""
    rows: dict[tuple[str, str], int] = {}
    sizes: dict[tuple[str, str], int] = {}
    rejects = [f for f in files if f["kind"] == "rejects"]
    if all("sizes" in f for f in files):
        for f in rejects:
            for key, (n, size) in f["sizes"].items():
                stage, _, reason = key.partition("\t")
                rows[(stage, reason)] = rows.get((stage, reason), 0) + int(n)
                sizes[(stage, reason)] = sizes.get((stage, reason), 0) + int(size)
        return rows, sizes
    for f in rejects:
        table = read_parquet(layout.fs, f["path"], [REJECT_DROPPED_BY, REJECT_REASON])
        grouped = table.group_by([REJECT_DROPPED_BY, REJECT_REASON]).aggregate([([], "count_all")])
        for row in grouped.to_pylist():
            key = (row[REJECT_DROPPED_BY], row[REJECT_REASON])
            rows[key] = rows.get(key, 0) + row["count_all"]
    return rows, None


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

    Sizes, where every part file records them (see :func:`curate.output.part_sizes`): per
    stage ``bytes_dropped`` and ``dropped_bytes`` (per reason), the documents' bytes as they
    were when dropped; ``text_bytes``: kept and rejected bytes.  Bytes in and out of a stage
    are not recorded: stages change the text (extraction, line removal, masking)."""
    reports = load_reports(reports_layout or layout)
    _, files = rows_per_input(layout)
    drop_rows, byte_drops = drops(layout, files)
    wanted = set(input_keys)
    reports = {k: r for k, r in reports.items() if k in wanted}

    records_by_type: dict[str, int] = {}
    total_records = total_rows = 0
    for report in reports.values():
        total_records += report.records
        total_rows += report.rows
        for t, n in report.records_by_type.items():
            records_by_type[t] = records_by_type.get(t, 0) + n

    def per_reason(counts: dict[tuple[str, str], int], stage_id: str) -> dict[str, int]:
        return dict(sorted(((r, n) for (s, r), n in counts.items() if s == stage_id), key=lambda x: -x[1]))

    def dropped_by(stage_id: str) -> dict[str, int]:
        return per_reason(drop_rows, stage_id)

    def add_bytes(entry: dict[str, Any]) -> None:
        if byte_drops is not None:
            entry["dropped_bytes"] = per_reason(byte_drops, entry["stage"])
            entry["bytes_dropped"] = sum(entry["dropped_bytes"].values())

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
    add_bytes(stages[-1])
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
        add_bytes(stages[-1])
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
        stats["text_bytes"] = {"kept": sum(f["sizes"] for f in files if f["kind"] == "data"),
                               "rejected": sum(byte_drops.values())}
    if kept != alive:
        stats["warning"] = f"kept rows on disk ({kept}) differ from the stage accounting ({alive})"
    return stats, files
