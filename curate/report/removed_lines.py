"""Lines removed by the line-level stages, put back in place for the report's examples.

``c4_quality`` and ``line_dedup`` replace ``text`` with the kept lines and record the lines
they removed (``c4_removed_lines``, ``line_dedup_removed_lines``: ``{line, text}`` with
``line`` the index among the stage's input lines; at most ``record_removed_lines`` per
document, the first ones).  :func:`removed_view` rebuilds a document as a list of
segments, ``{"text", "removed_by"}`` (``removed_by`` None for a kept line), by putting
back each stage's lines, last stage first (``line_dedup`` ran on C4's output).  A stage
whose recorded lines do not line up with the text (another stage changed its lines) makes
the whole document fall back to its text as it is, with the removed lines listed apart
(``unplaced``).  A document dropped by ``c4_quality`` still has its input text: its removed
lines are marked where they are.
"""

from __future__ import annotations

from typing import Any

# (stage, column of recorded lines, column of the count removed, column of the input line
# count or None), in reverse pipeline order: the order lines are put back in.
STAGES: tuple[tuple[str, str, str, str | None], ...] = (
    ("line_dedup", "line_dedup_removed_lines", "duplicate_lines_removed", None),
    ("c4_quality", "c4_removed_lines", "c4_lines_removed", "c4_line_count"),
)
# Every column removed_view reads.
COLUMNS = [c for _, recorded, removed, count in STAGES for c in (recorded, removed, count) if c]
LIST_COLUMNS = [recorded for _, recorded, _, _ in STAGES]

Segment = dict[str, Any]


def reinsert(lines: list[Segment], recorded: list[dict[str, Any]], stage: str, removed: int | None = None,
             input_lines: int | None = None) -> list[Segment] | None:
    """The stage's input lines: its output ``lines`` with the ``recorded`` removed lines put
    back at their indices, marked ``removed_by: stage``; None when they do not line up.

    ``removed`` is how many lines the stage removed (default: as many as recorded; the
    recorded ones are the first of them, so the unrecorded ones come after the last recorded
    one and are left out), ``input_lines`` how many lines it read, when known."""
    order = sorted(recorded, key=lambda r: r["line"])
    indices = [int(r["line"]) for r in order]
    removed = len(order) if removed is None else int(removed)
    if removed < len(order) or any(i < 0 for i in indices) or len(set(indices)) != len(indices):
        return None
    if input_lines is not None:
        if removed == input_lines and lines == [{"text": "", "removed_by": None}]:
            lines = []  # every line removed: the stage's output is "", not one empty line
        if len(lines) + removed != input_lines or (indices and indices[-1] >= input_lines):
            return None
    if indices and indices[-1] - (len(indices) - 1) > len(lines):
        return None  # more kept lines before the last removed one than the text has
    out: list[Segment] = []
    kept = 0
    for r, index in zip(order, indices):
        while len(out) < index:
            out.append(lines[kept])
            kept += 1
        out.append({"text": str(r["text"] or ""), "removed_by": stage})
    return out + lines[kept:]


def _mark_input(text: str, recorded: list[dict[str, Any]], stage: str, input_lines: int | None) -> list[Segment] | None:
    """``text`` as the stage's input (a document it dropped keeps its text): its lines, with
    the recorded ones marked where they are; None when ``text`` is not that input."""
    lines = text.splitlines()  # as c4_quality splits
    if input_lines is None or len(lines) != input_lines:
        return None
    marked = {int(r["line"]): str(r["text"] or "") for r in recorded}
    if any(i < 0 or i >= len(lines) or not lines[i].startswith(t) for i, t in marked.items()):
        return None
    return [{"text": line, "removed_by": stage if i in marked else None} for i, line in enumerate(lines)]


def removed_view(text: str, row: dict[str, Any]) -> dict[str, Any] | None:
    """The document ``text`` with the removed lines the ``row`` records put back; None when
    no stage removed a line.

    Returns ``segments`` (``{"text", "removed_by"}``, in the order of the page before the
    line-level stages), ``in_place`` (False: ``segments`` is the text as it is and
    ``unplaced`` holds the removed lines) and ``stages``: per stage that removed lines, in
    pipeline order, ``{"stage", "removed", "recorded"}``."""
    present = []
    for stage, recorded_column, removed_column, count_column in STAGES:
        recorded = row.get(recorded_column)
        removed = row.get(removed_column)
        if recorded is None and not removed:
            continue
        recorded = [r for r in (recorded or []) if r is not None and r.get("line") is not None]
        removed = len(recorded) if removed is None else max(int(removed), len(recorded))
        if removed == 0:
            continue
        count = row.get(count_column) if count_column else None
        present.append((stage, recorded, removed, None if count is None else int(count)))
    if not present:
        return None
    stages = [{"stage": s, "removed": n, "recorded": len(r)} for s, r, n, _ in reversed(present)]  # pipeline order
    segments: list[Segment] | None = [{"text": line, "removed_by": None} for line in text.split("\n")]
    for stage, recorded, removed, count in present:
        segments = reinsert(segments, recorded, stage, removed, count) if segments is not None else None
    if segments is None and len(present) == 1 and present[0][3] is not None:
        stage, recorded, _, count = present[0]
        segments = _mark_input(text, recorded, stage, count)
    if segments is not None:
        return {"segments": segments, "in_place": True, "unplaced": [], "stages": stages}
    unplaced = [{"text": str(r["text"] or ""), "removed_by": stage}
                for stage, recorded, _, _ in reversed(present) for r in sorted(recorded, key=lambda r: r["line"])]
    return {"segments": [{"text": text, "removed_by": None}], "in_place": False, "unplaced": unplaced,
            "stages": stages}


def cut_segments(segments: list[Segment], limit: int) -> tuple[list[Segment], bool, int]:
    """The segments cut for display: at most ``limit`` characters of kept text (the last
    kept segment cut short) and at most ``limit`` characters of removed lines, in order.
    Returns the shown segments, whether the kept text was cut, and how many removed lines
    in the shown part were left out for the removed-lines budget."""
    out: list[Segment] = []
    kept_chars = removed_chars = hidden = 0
    for seg in segments:
        text = seg["text"]
        if seg["removed_by"] is not None:
            if removed_chars + len(text) > limit:
                hidden += 1
                continue
            removed_chars += len(text)
            out.append(seg)
            continue
        if kept_chars + len(text) > limit:
            out.append({"text": text[:limit - kept_chars], "removed_by": None})
            return out, True, hidden
        kept_chars += len(text)
        out.append(seg)
    return out, False, hidden
