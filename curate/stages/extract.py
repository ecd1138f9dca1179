"""HTML main-text extraction: trafilatura (default) or resiliparse (the fast engine)."""

from __future__ import annotations

import ctypes
import hashlib
import signal
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import CHARSET, PAYLOAD, TEXT
from curate.stage import Stage, mark_dropped, put_column, require
from curate.stages.decode import decode_html
from curate.stages.html_layout import (
    TABLE_MODES,
    TableMode,
    strip_cell_escapes,
    unwrap_layout_tables,
)
from curate.stages.trafilatura_tree import load_html_tree

if TYPE_CHECKING:
    from curate.stages.langid import FasttextLanguageId

# the cascade's evidence columns (extract_html's prefilter)
PREFILTER_LANGUAGE = "prefilter_language"
PREFILTER_SCORE = "prefilter_language_score"


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


def html_to_text_trafilatura(
    html: str, url: str | None = None, tables: TableMode = "keep", **options: Any
) -> str | None:
    """trafilatura's ``extract`` with curate's table handling (:mod:`curate.stages.html_layout`).

    ``tables``: ``keep`` is trafilatura's own rendering; ``layout_as_text`` and ``text``
    rewrite the parsed tree's tables first; ``drop`` sets ``include_tables=False``.  The
    page is parsed once, by :func:`~curate.stages.trafilatura_tree.load_html_tree`
    (trafilatura's own loading, with element classes chosen in C), and trafilatura takes
    the tree.  For plain-text output the ``\\|`` escapes trafilatura puts in table cells
    are undone.
    """
    import trafilatura

    if tables == "drop":
        options["include_tables"] = False
    document: Any = html
    tree = load_html_tree(html)  # trafilatura's parse, faster (curate.stages.trafilatura_tree)
    if tree is not None:
        if tables in ("layout_as_text", "text"):
            unwrap_layout_tables(tree, tables)
        document = tree
    text = trafilatura.extract(document, url=url, **options)
    plain = options.get("output_format", "txt") == "txt" and not options.get("include_formatting")
    return strip_cell_escapes(text) if text and plain else text


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
    ``fast`` (skip trafilatura's fallback extractors, readability and jusText: 1.45x
    faster, but on about 6% of pages it keeps under half of the main text; off by
    default, see ``benchmarks/README.md``) with ``fast_min_chars`` (a page whose fast
    text is shorter is extracted again with the fallbacks; 0 = never),
    ``include_tables``, ``deduplicate``, and ``tables``: how tables come out
    (:mod:`curate.stages.html_layout`): ``layout_as_text`` (default: tables that lay out
    the page become blocks and lines, data tables stay ``| a | b |`` rows), ``text`` (data
    tables too become one line per row), ``keep`` (trafilatura 2.x's own rendering: every
    table as pipe rows, a layout table's text on one line) or ``drop`` (no table content;
    the same as ``include_tables: false``, which also still works); anything else trafilatura's ``extract()`` accepts
    goes in ``trafilatura_options``.  resiliparse settings go in ``resiliparse_options``
    (defaults: ``main_content=True``, ``alt_texts=False``, ``preserve_formatting=True``).

    The cheap-first cascade (``prefilter_languages``, off unless set; ``auto`` in a
    pipeline takes the languages of its later ``language_filter``): before the costly
    extraction, each page's whole visible text is taken with resiliparse (about 4% of
    trafilatura's time) and its language identified by fastText (the model of
    ``fasttext_language_id``; ``prefilter_model``).  A page whose top language is not one
    of ``prefilter_languages`` with a score of at least ``prefilter_min_score`` is dropped
    as ``prefilter:wrong_language`` without the costly extraction: a later
    ``language_filter`` would drop it anyway.  Measured on real pages
    (``benchmarks/cascade_signals.py``): no page the full path keeps was dropped at 0.65,
    and about half the extraction time saved on a Common-Crawl-like language mix.  The
    cheap text's word counts and quality rules were measured too and are not used: on
    resiliparse's text they disagree with trafilatura's too often.  Rows dropped here
    carry ``prefilter_language`` and ``prefilter_language_score``.

    A payload byte-identical to one of the last ``REUSE_ENTRIES`` a worker extracted (a
    mirror, an error page served under many URLs) reuses that extraction.
    """

    engine: Literal["trafilatura", "resiliparse"] = "trafilatura"
    timeout_s: float = 10.0
    favor_precision: bool = False
    favor_recall: bool = False
    include_comments: bool = False
    include_tables: bool = True
    fast: bool = False
    fast_min_chars: int = 0
    tables: TableMode = "layout_as_text"
    deduplicate: bool = False
    trafilatura_options: dict[str, Any] | None = None
    resiliparse_options: dict[str, Any] | None = None
    keep_payload: bool = False
    prefilter_languages: list[str] | None = None
    prefilter_min_score: float = 0.65
    prefilter_model: str | None = None
    prefilter_max_chars: int = 10_000

    ENGINES: ClassVar[tuple[str, ...]] = ("trafilatura", "resiliparse")
    PREFILTER_WRONG_LANGUAGE: ClassVar[str] = "prefilter:wrong_language"
    # extraction results kept per worker for byte-identical payloads (about 5 KB of text each)
    REUSE_ENTRIES: ClassVar[int] = 4096

    def validate(self) -> None:
        if self.engine not in self.ENGINES:
            raise ValueError(f"extract_html: unknown engine {self.engine!r}; use one of {self.ENGINES}")
        if self.tables not in TABLE_MODES:
            raise ValueError(f"extract_html: unknown tables mode {self.tables!r}; use one of {TABLE_MODES}")
        if self.fast_min_chars < 0:
            raise ValueError(f"extract_html: fast_min_chars must be 0 or more, got {self.fast_min_chars}")
        super().validate()  # every other setting against its declared type
        # Import the engine on the driver so a broken install fails in one line, up front.
        require("trafilatura" if self.engine == "trafilatura" else "resiliparse.extract.html2text", package=self.engine)
        if self.prefilter_languages:
            from curate.stages.langid import resolve_model_path

            require("resiliparse.extract.html2text", package="resiliparse")
            require("fasttext", package="fasttext-predict")
            if not 0.0 <= self.prefilter_min_score <= 1.0:
                raise ValueError(f"extract_html: prefilter_min_score must be within 0..1, not {self.prefilter_min_score}")
            if not self.prefilter_model or "://" not in self.prefilter_model:
                resolve_model_path(self.prefilter_model)

    @property
    def stateful(self) -> bool:  # type: ignore[override]
        """The cascade loads a fastText model once per worker."""
        return bool(self.prefilter_languages)

    def setup(self) -> None:
        if self.engine not in self.ENGINES:
            raise ValueError(f"extract_html: unknown engine {self.engine!r}; use one of {self.ENGINES}")
        if self.tables not in TABLE_MODES:
            raise ValueError(f"extract_html: unknown tables mode {self.tables!r}; use one of {TABLE_MODES}")
        if self.engine == "trafilatura":
            require("trafilatura", package="trafilatura")
            tables: TableMode = self.tables if self.include_tables else "drop"
            options = {
                "favor_precision": self.favor_precision,
                "favor_recall": self.favor_recall,
                "fast": self.fast,
                "include_comments": self.include_comments,
                "include_tables": self.include_tables,
                "deduplicate": self.deduplicate,
            }
            options.update(self.trafilatura_options or {})
            recheck_below = self.fast_min_chars if options["fast"] else 0

            def extract_trafilatura(html: str, url: str | None) -> str | None:
                text = html_to_text_trafilatura(html, url, tables, **dict(options))
                if recheck_below and len(text or "") < recheck_below:
                    # short fast text: the fallback extractors may find the page's text
                    text = html_to_text_trafilatura(html, url, tables, **{**options, "fast": False})
                return text

            self._extract = extract_trafilatura
        else:
            require("resiliparse", package="resiliparse")
            options = {"main_content": True, "alt_texts": False, "preserve_formatting": True}
            options.update(self.resiliparse_options or {})
            self._extract = lambda html, url: html_to_text_resiliparse(html, **options)
        self._recent: OrderedDict[tuple[bytes, str | None], tuple[str | None, str | None]] = OrderedDict()
        self.reused = 0
        self._cheap_lid = None
        if self.prefilter_languages == ["auto"]:
            raise ValueError(
                "extract_html: prefilter_languages: auto takes the languages of the pipeline's language_filter "
                "when a pipeline runs; running the stage alone, give the languages (e.g. [en])"
            )
        if self.prefilter_languages:
            from curate.stages.langid import FasttextLanguageId

            # the language-ID stage itself, on the cheap text, into the cascade's own columns
            self._cheap_lid = FasttextLanguageId(  # type: ignore[call-arg]  # stage fields come from Stage.__init_subclass__
                model=self.prefilter_model, max_chars=self.prefilter_max_chars,
                language_column=PREFILTER_LANGUAGE, score_column=PREFILTER_SCORE,
            )
            self._cheap_lid.setup()

    def extract_one(self, payload: bytes, charset: str | None = None, url: str | None = None) -> tuple[str | None, str | None]:
        """Extract one page; returns ``(text, drop_reason)`` (the cascade does not apply)."""
        self.ensure_setup()
        return self._extract_html(decode_html(payload, charset), url)

    def _extract_html(self, html: str, url: str | None) -> tuple[str | None, str | None]:
        try:
            text = call_with_time_limit(lambda: self._extract(html, url), self.timeout_s)
        except ExtractionTimeout:
            return None, "extraction_timeout"
        except Exception:
            return None, "extraction_error"
        if not text or not text.strip():
            return None, "no_text"
        return text, None

    def cheap_languages(self, htmls: list[str | None]) -> pa.Table:
        """The cascade's evidence: the language of each page's whole visible text
        (``prefilter_language``, ``prefilter_language_score``; null without text or page)."""
        self.ensure_setup()
        texts = pa.array([cheap_text(html) if html is not None else "" for html in htmls], pa.large_string())
        found = cast("FasttextLanguageId", self._cheap_lid).process(pa.table({TEXT: texts}))
        language = found[PREFILTER_LANGUAGE]
        score = pc.if_else(pc.is_null(language), pa.scalar(None, pa.float32()), found[PREFILTER_SCORE])
        return pa.table({PREFILTER_LANGUAGE: language, PREFILTER_SCORE: score})

    def process(self, table: pa.Table) -> pa.Table:
        if PAYLOAD not in table.column_names:
            # Text inputs (JSONL, Parquet, WET) arrive with text already: nothing to extract.
            return table
        payloads = table[PAYLOAD].to_pylist()
        charsets = table[CHARSET].to_pylist() if CHARSET in table.column_names else [None] * len(payloads)
        urls = table["url"].to_pylist() if "url" in table.column_names else [None] * len(payloads)
        existing = table[TEXT].to_pylist() if TEXT in table.column_names else [None] * len(payloads)
        texts: list[str | None] = list(existing)
        reasons: list[str | None] = [None] * len(payloads)
        htmls: dict[int, str] = {}
        for i, (payload, charset) in enumerate(zip(payloads, charsets)):
            if payload is None:
                # WET conversion records arrive as text already.
                reasons[i] = None if existing[i] else "no_text"
                continue
            htmls[i] = decode_html(payload, charset)  # once per page, for both extractors
        if self.prefilter_languages:
            if htmls:
                found = self.cheap_languages([htmls.get(i) for i in range(len(payloads))])
            else:  # an empty batch (the planner's probe): the columns, without loading the model
                found = pa.table({PREFILTER_LANGUAGE: pa.nulls(len(payloads), pa.string()),
                                  PREFILTER_SCORE: pa.nulls(len(payloads), pa.float32())})
            other = pc.invert(pc.is_in(found[PREFILTER_LANGUAGE], pa.array(self.prefilter_languages, pa.string())))
            sure = pc.greater_equal(found[PREFILTER_SCORE], pa.scalar(self.prefilter_min_score, pa.float32()))
            for row in np.flatnonzero(pc.fill_null(pc.and_(other, sure), False).to_numpy(zero_copy_only=False)):
                reasons[row] = self.PREFILTER_WRONG_LANGUAGE
                del htmls[int(row)]
            table = put_column(put_column(table, PREFILTER_LANGUAGE, found[PREFILTER_LANGUAGE]),
                               PREFILTER_SCORE, found[PREFILTER_SCORE])
        for i, html in htmls.items():
            # A payload seen before by this worker (a mirror, an error page served under
            # many URLs) reuses its extraction: the result depends on the bytes only.
            key = (hashlib.blake2b(payloads[i], digest_size=16).digest(), charsets[i])
            done = self._recent.get(key)
            if done is None:
                done = self._extract_html(html, urls[i])
                self._recent[key] = done
                if len(self._recent) > self.REUSE_ENTRIES:
                    self._recent.popitem(last=False)
            else:
                self._recent.move_to_end(key)
                self.reused += 1
            texts[i], reasons[i] = done
        text_array = pa.array(texts, type=pa.large_string())
        if TEXT in table.column_names:
            table = table.set_column(table.schema.get_field_index(TEXT), TEXT, text_array)
        else:
            table = table.append_column(TEXT, text_array)
        if not self.keep_payload and PAYLOAD in table.column_names:
            table = table.drop_columns([PAYLOAD])
        return mark_dropped(table, pa.array(reasons, type=pa.string()))


def cheap_text(html: str) -> str:
    """All visible text of a page (resiliparse, no main-content detection): the cascade's
    input, a few percent of trafilatura's cost."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    try:
        return extract_plain_text(HTMLTree.parse(html), main_content=False, alt_texts=False) or ""
    except Exception:  # no evidence: the page goes on to the full extraction
        return ""

