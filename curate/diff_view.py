"""``curate diff RUN_A RUN_B`` in a terminal: renders :func:`curate.diff.diff_runs` with rich."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curate.diff import diff_runs
from curate.inspect import _shorten
from curate.schema import REJECT_DROPPED_BY, REJECT_REASON, TEXT, URL

# Score columns shown per example document.
MAX_SCORES_SHOWN = 8


def diff_outputs(run_a: str, run_b: str, samples: int = 3, console: Console | None = None) -> dict[str, Any]:
    """Print the diff of two outputs of ``curate run`` and return it as a dict (see ``diff_runs``)."""
    diff = diff_runs(run_a, run_b, samples=samples)
    render_diff(console or Console(), diff)
    return diff


def render_diff(console: Console, diff: dict[str, Any]) -> None:
    """Print a diff of :func:`curate.diff.diff_runs`: counts, changed settings, the documents
    only one run kept (by the other run's reason, with examples), the documents rejected for
    different reasons, and the two funnels per stage."""
    _render_header(console, diff)
    _render_settings(console, diff["settings_recorded"], diff["settings"])
    for side, other in (("a", "b"), ("b", "a")):
        _render_only_kept(console, side, other, diff[f"only_kept_{side}"])
    _render_rejected_differently(console, diff["rejected_differently"])
    _render_stages(console, diff["stages"])


def _render_header(console: Console, diff: dict[str, Any]) -> None:
    """Which run is A and which B, and the counts."""
    counts = diff["counts"]
    console.print(f"[bold]A[/bold] {escape(diff['run_a'])}  (pipeline {escape(str(diff['pipeline_a']))})")
    console.print(f"[bold]B[/bold] {escape(diff['run_b'])}  (pipeline {escape(str(diff['pipeline_b']))})")
    console.print(
        f"kept: A {counts['kept_a']:,}, B {counts['kept_b']:,}, both {counts['kept_both']:,}; "
        f"only A {counts['only_kept_a']:,}, only B {counts['only_kept_b']:,}; Jaccard {counts['jaccard']:.4f}"
    )
    console.print(
        f"rejected in both: {counts['rejected_both']:,} ({counts['rejected_both_differently']:,} for different reasons); "
        f"in one output only (different inputs): A {counts['only_in_output_a']:,}, B {counts['only_in_output_b']:,}"
    )
    if not counts["only_kept_a"] and not counts["only_kept_b"]:
        console.print("[bold]Both runs kept the same documents.[/bold]")


def _value(value: Any) -> str:
    """A setting or score as one short line of text."""
    if isinstance(value, float):
        return f"{value:.4g}"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return _shorten(text, 60)


def _render_settings(console: Console, recorded: bool, settings: list[dict[str, Any]] | None) -> None:
    """The settings that differ, ``stage.setting: A -> B``."""
    if not recorded or settings is None:
        console.print("[yellow]note[/yellow]: an output does not record its pipeline (manifest.json); settings not compared")
        return
    if not settings:
        console.print("Settings: identical")
        return
    console.print("[bold]Settings that differ[/bold]")
    for change in settings:
        console.print(f"  {escape(change['setting'])}: {escape(_value(change['a']))} -> {escape(_value(change['b']))}")


def _render_only_kept(console: Console, side: str, other: str, groups: list[dict[str, Any]]) -> None:
    """Documents only run ``side`` kept, by the other run's stage and reason, with examples."""
    if not groups:
        return
    total = sum(g["count"] for g in groups)
    console.print(f"[bold]Only kept in {side.upper()}[/bold] ({total:,}), by {other.upper()}'s reason")
    for group in groups:
        if group[REJECT_DROPPED_BY] is None and group[REJECT_REASON] is None:
            why = f"not in {other.upper()}'s output"
        else:
            why = f"{group[REJECT_DROPPED_BY]}:{group[REJECT_REASON]}"
        console.print(f"  [red]{escape(why)}[/red]: {group['count']:,}")
        for example in group["examples"]:
            console.print(f"    [bold cyan]{escape(example.get(URL) or example['id'])}[/bold cyan]")
            console.print(f"      {escape(_shorten(example.get(TEXT), 160))}")
            if example["scores"]:
                console.print(f"      [dim]scores:[/dim] {escape(_scores_line(example['scores']))}")


def _scores_line(scores: dict[str, dict[str, Any]]) -> str:
    """Up to MAX_SCORES_SHOWN scores as ``column value`` (equal in A and B) or ``column A -> B``."""
    shown = []
    for column, pair in list(scores.items())[:MAX_SCORES_SHOWN]:
        a, b = _value(pair["a"]), _value(pair["b"])
        shown.append(f"{column} {a}" if a == b else f"{column} {a} -> {b}")
    more = f", ... {len(scores) - MAX_SCORES_SHOWN} more" if len(scores) > MAX_SCORES_SHOWN else ""
    return ", ".join(shown) + more


def _render_rejected_differently(console: Console, rows: list[dict[str, Any]], top: int = 20) -> None:
    """Documents both runs rejected, for different reasons: A's reason -> B's reason."""
    if not rows:
        return
    table = Table(title="Rejected in both, for different reasons", title_justify="left")
    for col in ("A's stage:reason", "B's stage:reason", "documents"):
        table.add_column(col, justify="right" if col == "documents" else "left")
    for row in rows[:top]:
        table.add_row(escape(row["a"]), escape(row["b"]), f"{row['count']:,}")
    if len(rows) > top:
        table.add_row(f"... {len(rows) - top} more", "", "")
    console.print(table)


def _figure(value: int | None) -> str:
    """A count, or ``-`` where the run lacks the stage."""
    return "-" if value is None else f"{value:,}"


def _difference(value: int | None) -> str:
    """A signed difference (B minus A); empty where it is zero or unknown."""
    return "" if not value else f"{value:+,}"


def _render_stages(console: Console, stages: list[dict[str, Any]]) -> None:
    """The two funnels per stage: rows in and out, drops per reason, in A and B."""
    table = Table(title="Stages (A / B, difference B - A)", title_justify="left")
    for col in ("stage", "in A", "in B", "out A", "out B", "diff", "reason", "dropped A", "dropped B", "diff "):
        table.add_column(col, justify="left" if col in ("stage", "reason") else "right")
    for stage in stages:
        rows_in, rows_out = stage["rows_in"], stage["rows_out"]
        reasons = stage["dropped"] or [{"reason": "", "a": None, "b": None, "difference": None}]
        for i, drop in enumerate(reasons):
            first = i == 0
            table.add_row(
                escape(stage["stage"]) if first else "",
                _figure(rows_in["a"]) if first else "",
                _figure(rows_in["b"]) if first else "",
                _figure(rows_out["a"]) if first else "",
                _figure(rows_out["b"]) if first else "",
                _difference(rows_out["difference"]) if first else "",
                escape(drop["reason"]),
                _figure(drop["a"]) if drop["reason"] else "",
                _figure(drop["b"]) if drop["reason"] else "",
                _difference(drop["difference"]),
            )
    console.print(table)


__all__ = ["diff_outputs", "render_diff"]
