"""Text normalisers: repair mojibake, normalise whitespace, remove control characters.

Each rewrites ``text``, writes a column saying how much it changed, and drops documents
left with no visible text (``<stage>:empty_after_normalization``, where ``<stage>`` is the
stage's label or name).  Null texts are left alone.

Sources: ftfy (Speer 2019, https://ftfy.readthedocs.io) and datatrove's ``FTFYFormatter``
settings (encoding repairs on, format-enforcing rewrites off); Unicode TR #15 (NFC/NFKC)
and the Unicode character categories Cc/Cf for control and invisible characters.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.registry import register
from curate.schema import TEXT
from curate.stage import Stage, mark_dropped, require

EMPTY_REASON = "empty_after_normalization"

# Characters that end a line: CR LF / CR, vertical tab, form feed, NEL (U+0085), and the
# Unicode line and paragraph separators.  All become "\n".
LINE_BREAKS_RE = r"\r\n|[\r\x0B\x0C\x{85}\x{2028}\x{2029}]"
# Space characters other than the ASCII space and tab (Unicode Zs, and the Mongolian
# vowel separator): no-break, en/em and other typographic spaces, ideographic space.
UNICODE_SPACES_RE = r"[\x{A0}\x{1680}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}]"
# C0 controls but tab and newline, DEL, C1 controls (U+0080-U+009F, NEL handled above).
CONTROL_CHARS_RE = r"[\x00-\x08\x0E-\x1F\x7F\x{80}-\x{84}\x{86}-\x{9F}]"
# Invisible characters with no use in training text: zero-width space, word joiner,
# BOM / zero-width no-break space, soft hyphen, Mongolian vowel separator, the invisible
# math operators U+2061-U+2064.  Zero-width joiner and non-joiner are *not* here: they
# shape Persian, Indic scripts and emoji sequences (``remove_joiners`` adds them).
ZERO_WIDTH_RE = r"[\x{200B}\x{2060}-\x{2064}\x{FEFF}\x{AD}\x{180E}]"
JOINERS_RE = r"[\x{200C}\x{200D}]"


def _set_column(table: pa.Table, name: str, values: Any) -> pa.Table:
    idx = table.schema.get_field_index(name)
    if idx >= 0:
        return table.set_column(idx, name, values)
    return table.append_column(name, values)


class TextNormalizer(Stage):
    """Base of the normalisers: ``transform(text) -> (text, changes)``; ``process`` writes
    the text back and the change column (``write_changes``), and drops documents left
    with no visible text (``drop_empty``)."""

    text_column: str = TEXT
    drop_empty: bool = True
    write_changes: bool = True

    change_column: ClassVar[str] = "changes"

    def transform(self, text: pa.ChunkedArray) -> tuple[pa.ChunkedArray | pa.Array, pa.Array | pa.ChunkedArray]:
        raise NotImplementedError

    def process(self, table: pa.Table) -> pa.Table:
        idx = table.schema.get_field_index(self.text_column)
        if idx < 0:
            raise ValueError(f"{self.stage_id}: the batch has no {self.text_column!r} column")
        before = table[self.text_column]
        text, changes = self.transform(before)
        table = table.set_column(idx, self.text_column, text.cast(table.schema.field(idx).type))
        if self.write_changes and self.change_column:
            table = _set_column(table, self.change_column, changes)
        if self.drop_empty:
            empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(text)), 0)
            reasons = pc.if_else(
                pc.fill_null(empty, False), f"{self.stage_id}:{EMPTY_REASON}", pa.scalar(None, pa.string())
            )
            table = mark_dropped(table, reasons)
        return table


def _removed(before: Any, after: Any) -> pa.Array:
    """Code points removed per row, as int32 (0 for null texts)."""
    diff = pc.subtract(pc.utf8_length(before), pc.utf8_length(after))
    return pc.fill_null(diff, 0).cast(pa.int32())


@register
class FixMojibake(TextNormalizer):
    """Repair text decoded with the wrong encoding (mojibake) with ftfy's ``fix_text``.

    ``cafÃ©`` -> ``café``, ``â€œquotedâ€\x9d`` -> ``"quoted"`` (curly), ``Ã¼ber`` ->
    ``über``, and C1 controls that stand for Windows-1252 characters.  Writes the boolean
    column ``mojibake_fixed``.

    ftfy runs per document (it is Python); documents that are pure ASCII cannot hold
    mojibake and are skipped by a vectorised check, so English-heavy batches cost little.
    The ftfy settings are datatrove's ``FTFYFormatter`` choices minus those that touch
    ASCII (HTML entities, terminal escapes, control characters, line breaks; curate has
    ``remove_control_chars`` and ``normalize_whitespace`` for those): encoding repairs on;
    no quote uncurling, ligature, width or Unicode normalisation, which enforce a format
    rather than repair text.  ``ftfy_options`` overrides any ``ftfy.TextFixerConfig``
    field; turning on one that touches ASCII makes every document go through ftfy.
    """

    ftfy_options: dict[str, Any] | None = None

    change_column: ClassVar[str] = "mojibake_fixed"
    ASCII_OPTIONS: ClassVar[tuple[str, ...]] = (
        "unescape_html",
        "remove_terminal_escapes",
        "remove_control_chars",
        "fix_line_breaks",
    )
    DEFAULTS: ClassVar[dict[str, Any]] = {
        "unescape_html": False,
        "remove_terminal_escapes": False,
        "fix_encoding": True,
        "restore_byte_a0": True,
        "replace_lossy_sequences": True,
        "decode_inconsistent_utf8": True,
        "fix_c1_controls": True,
        "fix_latin_ligatures": False,
        "fix_character_width": False,
        "uncurl_quotes": False,
        "fix_line_breaks": False,
        "fix_surrogates": True,
        "remove_control_chars": False,
        "normalization": None,
        "explain": False,
    }

    def validate(self) -> None:
        super().validate()
        ftfy = require("ftfy", package="ftfy")
        ftfy.TextFixerConfig(**self._options())  # unknown options fail here, on the driver

    def _options(self) -> dict[str, Any]:
        return {**self.DEFAULTS, **(self.ftfy_options or {})}

    def setup(self) -> None:
        ftfy = require("ftfy", package="ftfy")
        options = self._options()
        config = ftfy.TextFixerConfig(**options)
        self._fix = lambda text: ftfy.fix_text(text, config=config)
        self._skip_ascii = not any(options.get(name) for name in self.ASCII_OPTIONS)

    def transform(self, text: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
        self.ensure_setup()
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        if self._skip_ascii:
            todo = pc.invert(pc.fill_null(pc.string_is_ascii(text), True))
        else:
            todo = pc.is_valid(text)
        rows = np.flatnonzero(todo.to_numpy(zero_copy_only=False))
        changed = np.zeros(len(text), dtype=bool)
        if len(rows):
            originals = text.take(pa.array(rows)).to_pylist()
            fixed = [self._fix(t) for t in originals]  # ftfy is per document
            differs = np.array([a != b for a, b in zip(originals, fixed)], dtype=bool)
            if differs.any():
                changed[rows[differs]] = True
                replacements = pa.array([f for f, d in zip(fixed, differs) if d], text.type)
                text = pc.replace_with_mask(text, pa.array(changed), replacements)
        return text, pa.array(changed)


@register
class NormalizeWhitespace(TextNormalizer):
    """Normalise whitespace in ``text``.

    * line breaks: ``\\r\\n``, lone ``\\r``, vertical tab, form feed, U+0085, U+2028 and
      U+2029 become ``\\n``;
    * ``unicode_spaces``: no-break and other Unicode spaces (U+00A0, U+2000-U+200A,
      U+202F, U+205F, U+3000, ...) become an ASCII space;
    * ``collapse_spaces``: runs of spaces and tabs inside a line become one space; a line's
      leading indentation is kept when ``keep_indentation`` (code, poetry, lists);
    * trailing spaces and tabs of every line are removed;
    * at most ``max_blank_lines`` consecutive blank lines are kept (``null``: no limit);
    * blank lines at the start and whitespace at the end of the document are removed.

    Writes the int32 column ``whitespace_removed``: code points removed.  Vectorised
    (RE2 through pyarrow).
    """

    collapse_spaces: bool = True
    keep_indentation: bool = True
    unicode_spaces: bool = True
    max_blank_lines: int | None = 2

    change_column: ClassVar[str] = "whitespace_removed"

    def validate(self) -> None:
        super().validate()
        if self.max_blank_lines is not None and self.max_blank_lines < 0:
            raise ValueError("normalize_whitespace: max_blank_lines must be 0 or more (or null)")

    def transform(self, text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        before = text
        text = pc.replace_substring_regex(text, LINE_BREAKS_RE, "\n")
        if self.unicode_spaces:
            text = pc.replace_substring_regex(text, UNICODE_SPACES_RE, " ")
        # trailing spaces of every line
        text = pc.replace_substring_regex(text, r"[ \t]+(\n|$)", r"\1")
        if self.collapse_spaces:
            if self.keep_indentation:
                # a run after a non-space character of the line (indentation is kept)
                text = pc.replace_substring_regex(text, r"([^ \t\n])(?:[ \t]{2,}|\t)", r"\1 ")
            else:
                text = pc.replace_substring_regex(text, r"[ \t]+", " ")
                text = pc.replace_substring_regex(text, r"(^|\n) ", r"\1")
        if self.max_blank_lines is not None:
            keep = "\n" * (self.max_blank_lines + 1)
            text = pc.replace_substring_regex(text, "\n{" + str(self.max_blank_lines + 2) + ",}", keep)
        text = pc.replace_substring_regex(text, r"^\n+", "", max_replacements=1)
        text = pc.utf8_rtrim_whitespace(text)
        return text, _removed(before, text)


@register
class RemoveControlChars(TextNormalizer):
    """Remove control and invisible characters from ``text``; optionally Unicode-normalise.

    * C0 controls (U+0000-U+001F) but tab and newline, DEL (U+007F) and C1 controls
      (U+0080-U+009F) are removed.  Those that end a line (CR, vertical tab, form feed,
      NEL, U+2028, U+2029) become ``\\n`` instead, so lines are not glued together.
    * ``remove_zero_width``: zero-width space, word joiner, BOM, soft hyphen, invisible
      math operators are removed.  Zero-width joiner/non-joiner only with
      ``remove_joiners``: they are meaningful in Persian, Indic scripts and emoji.
    * ``normalization``: ``NFC`` (canonical composition, lossless; the default), ``NFKC``
      (also folds compatibility forms: ligatures, full-width letters, superscripts; lossy),
      or null for none.

    Writes the int32 column ``control_chars_removed`` (characters removed; line-ending
    controls turned into newlines are not counted).  Vectorised (RE2 and utf8proc
    through pyarrow).
    """

    remove_zero_width: bool = True
    remove_joiners: bool = False
    normalization: Literal["NFC", "NFKC"] | None = "NFC"

    change_column: ClassVar[str] = "control_chars_removed"

    def validate(self) -> None:
        super().validate()
        if self.normalization not in (None, "NFC", "NFKC", "NFD", "NFKD"):
            raise ValueError(
                f"remove_control_chars: normalization must be NFC, NFKC or null, got {self.normalization!r}"
            )

    def _pattern(self) -> str:
        classes = [CONTROL_CHARS_RE[1:-1]]
        if self.remove_zero_width:
            classes.append(ZERO_WIDTH_RE[1:-1])
        if self.remove_joiners:
            classes.append(JOINERS_RE[1:-1])
        return "[" + "".join(classes) + "]"

    def transform(self, text: pa.ChunkedArray) -> tuple[pa.ChunkedArray, pa.Array]:
        pattern = self._pattern()
        text = pc.replace_substring_regex(text, LINE_BREAKS_RE, "\n")
        counts = pc.fill_null(pc.count_substring_regex(text, pattern), 0)
        if pc.sum(counts).as_py():
            text = pc.replace_substring_regex(text, pattern, "")
        if self.normalization:
            text = pc.utf8_normalize(text, form=self.normalization)
        return text, counts.cast(pa.int32())
