"""What the ``curate`` command shows on the terminal: curate's log records, rendered with
rich, and the live progress line of a run.  Library code never prints; it logs through
:mod:`curate.events`, and this module is the one place that turns that into terminal text.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape

from curate.events import LABEL, TEXT, progress_line

# labels shown in colour; every other label is bold
_LABEL_STYLES = {"note": "yellow", "warning": "yellow", "damaged input": "yellow"}
_LEVEL_STYLES = {logging.WARNING: "yellow", logging.ERROR: "red", logging.CRITICAL: "red"}


def make_console() -> Console:
    """stderr (resolved at each print, so a redirected stderr is followed); long lines are
    not wrapped when stderr is a file or a pipe."""
    return Console(stderr=True, soft_wrap=True)


class TerminalHandler(logging.Handler):
    """Renders curate's log records: a bold (or coloured) label, then plain text."""

    def __init__(self, console: Console, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            label = getattr(record, LABEL, None)
            text = getattr(record, TEXT, None)
            if text is None:
                label, text = ("warning" if record.levelno >= logging.WARNING else ""), record.getMessage()
            style = _LEVEL_STYLES.get(record.levelno) or _LABEL_STYLES.get(label or "", "bold")
            if label:
                self.console.print(f"[{style}]{escape(label)}[/{style}]: {escape(text)}", highlight=False)
            else:
                self.console.print(escape(text), highlight=False)
        except Exception:
            self.handleError(record)


class TerminalProgress:
    """A :class:`curate.events.ProgressView`: a live line on a terminal, else one line
    every ``every_s`` seconds (a log file or CI output stays readable)."""

    def __init__(self, console: Console, every_s: float = 10.0) -> None:
        self.console = console
        self.every_s = every_s
        self._live: Live | None = None
        self._last = 0.0

    def update(self, snapshot: dict[str, Any]) -> None:
        line = progress_line(snapshot)
        if self.console.is_terminal:
            if self._live is None:
                self._live = Live(console=self.console, refresh_per_second=4, transient=True)
                self._live.start()
            self._live.update(line)
        else:  # the first line after every_s: a short run prints none
            now = time.time()
            if not self._last:
                self._last = now
            elif now - self._last >= self.every_s:
                self._last = now
                self.console.print(line, highlight=False)

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._last = 0.0


def install(console: Console, level: int = logging.INFO) -> TerminalHandler:
    """Show curate's log records on ``console`` (once: a second call replaces the first)."""
    logger = logging.getLogger("curate")
    for handler in list(logger.handlers):
        if isinstance(handler, TerminalHandler):
            logger.removeHandler(handler)
    handler = TerminalHandler(console, level)
    logger.addHandler(handler)
    logger.setLevel(min(level, logger.level or level))
    return handler


__all__ = ["TerminalHandler", "TerminalProgress", "install", "make_console"]


# Lines native code writes on every run that tell a user nothing: Ray Data's actor pools
# keep their constructor arguments in the object store (ray-project/ray#53727), and absl's
# mutex reports contention under many threads.
BENIGN_NATIVE_LINES = ("max_restarts > 0", "RAW: Lock blocking")


class _WithoutNotices(io.TextIOBase):
    """``sys.stderr`` on the terminal, minus the notices of BENIGN_NATIVE_LINES that Ray
    forwards from its workers' stderr (``(pid=...) [mutex.cc] RAW: Lock blocking``): those
    go to the log file.  Everything else is written through at once (a live progress line
    included)."""

    def __init__(self, terminal: Any, log_path: str) -> None:
        super().__init__()
        self.terminal = terminal
        self.log_path = log_path
        self._diverted = False

    def write(self, text: str) -> int:
        if any(b in text for b in BENIGN_NATIVE_LINES) or (self._diverted and text == "\n"):
            self._diverted = text != "\n"
            with open(self.log_path, "a", encoding="utf-8", errors="replace") as log:
                log.write(text)
            return len(text)
        self._diverted = False
        return self.terminal.write(text)

    def flush(self) -> None:
        self.terminal.flush()

    def isatty(self) -> bool:
        return self.terminal.isatty()

    def fileno(self) -> int:
        return self.terminal.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.terminal.encoding

    def writable(self) -> bool:
        return True


class NativeStderr:
    """Sends what native code writes straight to file descriptor 2 (Ray's C++ core worker,
    absl, glog) to a log file, while Python's ``sys.stderr`` (curate's own lines, and the
    worker output Ray forwards) stays on the terminal.  A fatal crash still reaches the
    terminal through :mod:`faulthandler`."""

    def __init__(self, directory: str | None = None) -> None:
        import tempfile

        self.directory = directory or os.path.join(tempfile.gettempdir(), "curate-logs")
        self.path: str | None = None
        self._saved_fd: int | None = None
        self._saved_stderr: Any = None

    def start(self) -> None:
        import faulthandler

        os.makedirs(self.directory, exist_ok=True)
        self._remove_stale_empty_logs()
        self.path = os.path.join(self.directory, f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log")
        sys.stderr.flush()
        self._saved_fd = os.dup(2)
        log_fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        self._saved_stderr = sys.stderr
        terminal = io.TextIOWrapper(io.FileIO(self._saved_fd, "w", closefd=False), encoding=getattr(sys.stderr, "encoding", None) or "utf-8",
                                    errors="backslashreplace", line_buffering=True)
        sys.stderr = _WithoutNotices(terminal, self.path)
        faulthandler.enable(file=terminal)

    def _remove_stale_empty_logs(self, older_than_s: float = 3600.0) -> None:
        """Empty logs of commands that were killed before they could remove theirs."""
        now = time.time()
        try:
            entries = list(os.scandir(self.directory))
        except OSError:
            return
        for entry in entries:
            try:
                info = entry.stat()
                if entry.name.endswith(".log") and info.st_size == 0 and now - info.st_mtime > older_than_s:
                    os.remove(entry.path)
            except OSError:
                pass

    def finish(self) -> str | None:
        """Stop routing; return a line naming the log file when it holds anything a user
        may want (else the file is removed)."""
        if self.path is None:
            return None
        path = self.path
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                lines = [line for line in handle if line.strip() and not any(b in line for b in BENIGN_NATIVE_LINES)]
        except OSError:
            return None
        if not lines:
            try:
                os.remove(path)
            except OSError:
                pass
            return None
        return f"{len(lines):,} lines that Ray and native libraries wrote are in {path}"


__all__ += ["BENIGN_NATIVE_LINES", "NativeStderr"]
