"""Layout tables come out as lines, data tables as chosen, no Markdown escapes in plain text.

Real pages from the 2008 Heritrix crawl in ``$CURATE_SHARED_DATA/warc/archivesunleashed-aut``
(trafilatura 2.x put each of them on one ``| ... |`` line; see
``curate/stages/html_layout.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curate.stages.extract import ExtractHtml

WARC = Path("warc") / "archivesunleashed-aut" / "example.warc.gz"
DEADLISTS = "http://deadlists.com/robots.txt"  # IIS 404 page: one-cell layout table
DERIVATIVES = "http://www.archive.org/help/derivatives.php?mediatype=movies"  # th data table
CREDITS = "http://www.archive.org/about/credits.php"  # layout tables, "|" in nav cells
PIPE_ROW = re.compile(r"^[ \t]*\|.*\|[ \t]*$", re.MULTILINE)


@pytest.fixture(scope="module")
def pages(shared_data: Path) -> dict[str, bytes]:
    """HTML response bodies of the archivesunleashed WARC, by target URI."""
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    wanted = {DEADLISTS, DERIVATIVES, CREDITS}
    found: dict[str, bytes] = {}
    with (shared_data / WARC).open("rb") as fh:
        for record in ArchiveIterator(fh, record_types=WarcRecordType.response):
            uri = record.headers.get("WARC-Target-URI")
            if uri in wanted and uri not in found:
                found[uri] = record.reader.read()
    assert found.keys() == wanted, f"pages missing from {WARC}: {wanted - found.keys()}"
    return found


def _extract(payload: bytes, url: str, **settings: object) -> str:
    stage = ExtractHtml(**settings)
    stage.setup()
    text, reason = stage.extract_one(payload, None, url)
    assert reason is None and text
    return text


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_layout_table_becomes_lines(pages: dict[str, bytes]) -> None:
    # the commoncrawl pipeline's settings, default tables mode
    text = _extract(pages[DEADLISTS], DEADLISTS, favor_precision=True, include_tables=True)
    assert not PIPE_ROW.search(text), text[:300]
    lines = _lines(text)
    assert lines[0] == "The page cannot be found"
    assert "HTTP Error 404 - File or directory not found." in lines
    assert len(lines) >= 10


def test_paragraphs_and_list_items_on_their_own_lines(pages: dict[str, bytes]) -> None:
    lines = _lines(_extract(pages[DEADLISTS], DEADLISTS, favor_precision=True))
    paragraph = (
        "The page you are looking for might have been removed, had its name changed, "
        "or is temporarily unavailable."
    )
    assert paragraph in lines
    items = [line for line in lines if line.startswith("- ")]
    assert len(items) == 5, lines
    assert "- Click the Back button to try another link." in items
    assert any(line.startswith("- Make sure that the Web site address") for line in items)


def test_keep_is_trafilatura_rendering(pages: dict[str, bytes]) -> None:
    text = _extract(pages[DEADLISTS], DEADLISTS, favor_precision=True, tables="keep")
    assert PIPE_ROW.fullmatch(text.strip())  # the whole page on one pipe row


def test_data_table_kept_when_chosen(pages: dict[str, bytes]) -> None:
    kept = _extract(pages[DERIVATIVES], DERIVATIVES, favor_precision=True, tables="layout_as_text")
    rows = PIPE_ROW.findall(kept)
    assert len(rows) >= 20
    assert "| 64Kb MPEG4 | 256Kb MPEG4 | Animated GIF | Flash Video | MPEG1 | Thumbnail |" in kept
    as_text = _extract(pages[DERIVATIVES], DERIVATIVES, favor_precision=True, tables="text")
    assert not PIPE_ROW.search(as_text)
    assert "64Kb MPEG4 256Kb MPEG4 Animated GIF Flash Video MPEG1 Thumbnail" in _lines(as_text)
    assert "Windows Media" in _lines(as_text)
    dropped = _extract(pages[DERIVATIVES], DERIVATIVES, favor_precision=True, tables="drop")
    assert "Animated GIF" not in dropped


def test_no_markdown_escapes(pages: dict[str, bytes]) -> None:
    for tables in ("layout_as_text", "text", "keep"):
        text = _extract(pages[CREDITS], CREDITS, favor_recall=True, tables=tables)
        assert "\\|" not in text, tables
        assert not re.search(r"\\[|*_`\[\]~<>#]", text), tables


def test_is_layout_table_on_real_tables(pages: dict[str, bytes]) -> None:
    from trafilatura.utils import load_html

    from curate.stages.html_layout import is_layout_table

    dead = load_html(pages[DEADLISTS])
    assert [is_layout_table(t) for t in dead.iter("table")] == [True]
    derivatives = load_html(pages[DERIVATIVES])
    assert [is_layout_table(t) for t in derivatives.iter("table")] == [False]  # th grid: data
    credits = load_html(pages[CREDITS])
    assert any(is_layout_table(t) for t in credits.iter("table"))  # page frame: layout


def test_unknown_tables_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="tables"):
        ExtractHtml(tables="pipes").validate()  # type: ignore[arg-type]
