"""HTML main-text extraction: trafilatura (default) or resiliparse (the fast engine)."""

from __future__ import annotations

import ctypes
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, Literal

import pyarrow as pa

from curate.registry import register
from curate.schema import CHARSET, PAYLOAD, TEXT
from curate.stage import Stage, mark_dropped, require
from curate.stages.decode import decode_html


class ExtractionTimeout(Exception):
    pass


class _Watchdog:
    """Raises :class:`ExtractionTimeout` inside a thread that overran its deadline.

    Ray Data runs stage code off the main thread, where SIGALRM cannot be used, so a
    daemon thread injects the exception with ``PyThreadState_SetAsyncExc``.  It takes
    effect at the next Python bytecode, which is where trafilatura spends its time; one
    long C call (an lxml parse) finishes first, and ``max_payload_bytes`` bounds those.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._deadlines: dict[int, float] = {}
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                for tid, deadline in list(self._deadlines.items()):
                    if deadline <= now:
                        del self._deadlines[tid]
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(tid), ctypes.py_object(ExtractionTimeout)
                        )
                wait = min((d - now for d in self._deadlines.values()), default=None)
                self._cond.wait(timeout=None if wait is None else max(wait, 0.001))

    def call(self, fn: Callable[[], Any], seconds: float) -> Any:
        tid = threading.get_ident()
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="curate-timeout", daemon=True)
                self._thread.start()
            self._deadlines[tid] = time.monotonic() + seconds
            self._cond.notify()
        try:
            return fn()
        finally:
            with self._cond:
                self._deadlines.pop(tid, None)


_WATCHDOG = _Watchdog()


def _raise_timeout(signum: int, frame: Any) -> None:
    raise ExtractionTimeout()


def call_with_time_limit(fn: Callable[[], Any], seconds: float) -> Any:
    """Run ``fn`` with a wall-clock limit; raises :class:`ExtractionTimeout` past it.

    On the main thread SIGALRM interrupts the call; elsewhere (Ray Data workers) a
    watchdog thread does.
    """
    if seconds <= 0:
        return fn()
    if threading.current_thread() is not threading.main_thread():
        return _WATCHDOG.call(fn, seconds)
    previous = signal.signal(signal.SIGALRM, _raise_timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def html_to_text_trafilatura(html: str, url: str | None = None, **options: Any) -> str | None:
    import trafilatura

    return trafilatura.extract(html, url=url, **options)


def html_to_text_resiliparse(html: str, **options: Any) -> str | None:
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    return extract_plain_text(tree, **options)


@register
class ExtractHtml(Stage):
    """Extract the main text of HTML pages into ``text``; drops the raw ``payload``.

    Engines: ``trafilatura`` (Barbaresi 2021; accurate, the FineWeb choice) and
    ``resiliparse`` (Bevendorff et al. 2018; several times faster, less precise).
    Drops pages with no main text (``no_text``), pages whose extraction ran longer than
    ``timeout_s`` (``extraction_timeout``) and pages the extractor failed on
    (``extraction_error``).

    trafilatura settings: ``favor_precision`` / ``favor_recall``, ``include_comments``,
    ``include_tables``, ``deduplicate``; anything else trafilatura's ``extract()`` accepts
    goes in ``trafilatura_options``.  resiliparse settings go in ``resiliparse_options``
    (defaults: ``main_content=True``, ``alt_texts=False``, ``preserve_formatting=True``).
    """

    engine: Literal["trafilatura", "resiliparse"] = "trafilatura"
    timeout_s: float = 10.0
    favor_precision: bool = False
    favor_recall: bool = False
    include_comments: bool = False
    include_tables: bool = True
    deduplicate: bool = False
    trafilatura_options: dict[str, Any] | None = None
    resiliparse_options: dict[str, Any] | None = None
    keep_payload: bool = False

    ENGINES: ClassVar[tuple[str, ...]] = ("trafilatura", "resiliparse")

    def validate(self) -> None:
        if self.engine not in self.ENGINES:
            raise ValueError(f"extract_html: unknown engine {self.engine!r}; use one of {self.ENGINES}")
        # Import the engine on the driver so a broken install fails in one line, up front.
        require("trafilatura" if self.engine == "trafilatura" else "resiliparse.extract.html2text", package=self.engine)

    def setup(self) -> None:
        if self.engine not in self.ENGINES:
            raise ValueError(f"extract_html: unknown engine {self.engine!r}; use one of {self.ENGINES}")
        if self.engine == "trafilatura":
            require("trafilatura", package="trafilatura")
            options = {
                "favor_precision": self.favor_precision,
                "favor_recall": self.favor_recall,
                "include_comments": self.include_comments,
                "include_tables": self.include_tables,
                "deduplicate": self.deduplicate,
            }
            options.update(self.trafilatura_options or {})
            self._extract = lambda html, url: html_to_text_trafilatura(html, url, **options)
        else:
            require("resiliparse", package="resiliparse")
            options = {"main_content": True, "alt_texts": False, "preserve_formatting": True}
            options.update(self.resiliparse_options or {})
            self._extract = lambda html, url: html_to_text_resiliparse(html, **options)

    def extract_one(self, payload: bytes, charset: str | None = None, url: str | None = None) -> tuple[str | None, str | None]:
        """Extract one page; returns ``(text, drop_reason)``."""
        self.ensure_setup()
        html = decode_html(payload, charset)
        try:
            text = call_with_time_limit(lambda: self._extract(html, url), self.timeout_s)
        except ExtractionTimeout:
            return None, "extraction_timeout"
        except Exception:
            return None, "extraction_error"
        if not text or not text.strip():
            return None, "no_text"
        return text, None

    def process(self, table: pa.Table) -> pa.Table:
        if PAYLOAD not in table.column_names:
            # Text inputs (JSONL, Parquet, WET) arrive with text already: nothing to extract.
            return table
        payloads = table[PAYLOAD].to_pylist()
        charsets = table[CHARSET].to_pylist() if CHARSET in table.column_names else [None] * len(payloads)
        urls = table["url"].to_pylist() if "url" in table.column_names else [None] * len(payloads)
        existing = table[TEXT].to_pylist() if TEXT in table.column_names else [None] * len(payloads)
        texts: list[str | None] = []
        reasons: list[str | None] = []
        for payload, charset, url, ready in zip(payloads, charsets, urls, existing):
            if payload is None:
                # WET conversion records arrive as text already.
                texts.append(ready)
                reasons.append(None if ready else "no_text")
                continue
            text, reason = self.extract_one(payload, charset, url)
            texts.append(text)
            reasons.append(reason)
        text_array = pa.array(texts, type=pa.large_string())
        if TEXT in table.column_names:
            table = table.set_column(table.schema.get_field_index(TEXT), TEXT, text_array)
        else:
            table = table.append_column(TEXT, text_array)
        if not self.keep_payload and PAYLOAD in table.column_names:
            table = table.drop_columns([PAYLOAD])
        return mark_dropped(table, pa.array(reasons, type=pa.string()))
