"""How curate's library code tells what it does: the standard ``logging`` module.

Every message goes to a logger under ``curate`` (``curate.run``, ``curate.mixture``...).
A record may carry a short label (``resume``, ``phase 1/2``, a stage id) and the plain
text after it, so a front end can set the label apart; the ``curate`` command renders
them with rich (:mod:`curate.cli_output`).  A Python user sees them as ordinary log
records: ``logging.basicConfig(level=logging.INFO)`` shows them, and nothing is printed
by default except warnings (Python's last-resort handler).

Live progress is not logged: a run calls a :class:`ProgressView` when it is given one.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

LABEL = "curate_label"
TEXT = "curate_text"


def get_logger(name: str) -> logging.Logger:
    """The logger of a curate module (``curate.run`` for ``name="run"``)."""
    return logging.getLogger(f"curate.{name}" if name and name != "curate" else "curate")


def emit(logger: logging.Logger, label: str, text: str, level: int = logging.INFO) -> None:
    """Log ``label: text``; the label and the text also travel separately on the record."""
    if label:
        logger.log(level, "%s: %s", label, text, extra={LABEL: label, TEXT: text}, stacklevel=2)
    else:
        logger.log(level, "%s", text, extra={LABEL: "", TEXT: text}, stacklevel=2)


class ProgressView(Protocol):
    """Shows a run's live counters; ``update`` is called about twice a second while
    inputs are read, ``close`` when that work ends (and ``update`` may follow again)."""

    def update(self, snapshot: dict[str, Any]) -> None: ...

    def close(self) -> None: ...


def progress_line(snap: dict[str, Any]) -> str:
    """One line of a progress snapshot.  Documents read are the rows the summary's
    ``read`` line counts (a WARC's request and metadata records are not documents); the
    records behind them are shown beside."""
    elapsed = max(snap["elapsed"], 1e-6)
    done = snap["inputs_done"] + snap["skipped_inputs"]
    records = f" ({snap['records']:,} records)" if snap["records"] > snap["rows"] else ""
    return (
        f"files {done}/{snap['total_inputs']}  documents read {snap['rows']:,}{records}  "
        f"kept {snap['documents_kept']:,}  "
        f"{snap['rows'] / elapsed:,.0f} documents/s  {elapsed:,.0f}s"
    )


__all__ = ["LABEL", "TEXT", "ProgressView", "emit", "get_logger", "progress_line"]
