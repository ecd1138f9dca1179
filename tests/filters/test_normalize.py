"""curate.filters.normalize: fix_mojibake, normalize_whitespace, remove_control_chars."""

from __future__ import annotations

import pickle

import pyarrow as pa
import pytest
from curate.filters import FixMojibake, NormalizeWhitespace, RemoveControlChars

from curate.registry import build_stage, get_stage_class
from curate.schema import DROPPED_BY, REASON
from curate.stage import Stage, run_stage


def transform(stage: Stage, text: str | None) -> tuple[str | None, object]:
    out, changes = stage.transform(pa.chunked_array([[text]], pa.large_string()))
    return out.to_pylist()[0], changes.to_pylist()[0]


# -- fix_mojibake ---------------------------------------------------------------------------

# text, expected, changed
MOJIBAKE = [
    ("cafÃ©", "café", True),  # UTF-8 read as Latin-1
    ("Ã¼ber naÃ¯ve", "über naïve", True),
    ("â€œquotedâ€\x9d and donâ€™t", "\u201cquoted\u201d and don\u2019t", True),  # Windows-1252
    ("The Mona Lisa doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t have eyebrows.", "The Mona Lisa doesn\u2019t have eyebrows.", True),  # twice
    ("\x93quoted\x94", "\u201cquoted\u201d", True),  # C1 controls for cp1252 quotes
    ("café déjà vu", "café déjà vu", False),  # correct text is left alone
    ("日本語のテキスト", "日本語のテキスト", False),
    ("“curly” quotes and ﬁ ligature", "“curly” quotes and ﬁ ligature", False),  # no format enforcement
    ("plain ascii &amp; &lt;b&gt;", "plain ascii &amp; &lt;b&gt;", False),  # ASCII: skipped
    ("ascii \x1b[31mred\x1b[0m", "ascii \x1b[31mred\x1b[0m", False),
    ("", "", False),
    (None, None, False),
]


@pytest.mark.parametrize("text,expected,changed", MOJIBAKE)
def test_fix_mojibake(text: str | None, expected: str | None, changed: bool) -> None:
    assert transform(FixMojibake(), text) == (expected, changed)


def test_fix_mojibake_skips_ascii_without_calling_ftfy() -> None:
    stage = FixMojibake()
    stage.ensure_setup()
    seen: list[str] = []
    fix = stage._fix
    stage._fix = lambda t: (seen.append(t), fix(t))[1]
    out, changed = stage.transform(pa.chunked_array([["ascii only", "cafÃ©", None, "more ascii"]]))
    assert seen == ["cafÃ©"]
    assert out.to_pylist() == ["ascii only", "café", None, "more ascii"]
    assert changed.to_pylist() == [False, True, False, False]


@pytest.mark.parametrize(
    "options,text,expected",
    [
        ({"unescape_html": True}, "a &amp; b", "a & b"),  # ASCII options turn the skip off
        ({"uncurl_quotes": True}, "\u201cq\u201d", '"q"'),
        ({"fix_encoding": False}, "cafÃ©", "cafÃ©"),
    ],
)
def test_fix_mojibake_ftfy_options(options: dict, text: str, expected: str) -> None:
    assert transform(FixMojibake(ftfy_options=options), text)[0] == expected


def test_fix_mojibake_bad_option_fails_validate() -> None:
    with pytest.raises(TypeError):
        FixMojibake(ftfy_options={"no_such_option": True}).validate()


# -- normalize_whitespace --------------------------------------------------------------------

# settings, text, expected
WHITESPACE = [
    ({}, "a  b\t\tc", "a b c"),
    ({}, "line one   \nline two\t\n", "line one\nline two"),  # trailing spaces, final newline
    ({}, "a\r\nb\rc", "a\nb\nc"),  # CRLF and old-Mac CR
    ({}, "a\x0bb\x0cc\u2028d\u2029e\x85f", "a\nb\nc\nd\ne\nf"),  # other line breaks
    ({}, "a\u00a0b\u2003c\u3000d\u202fe", "a b c d e"),  # Unicode spaces
    ({"unicode_spaces": False}, "a\u00a0b", "a\u00a0b"),
    ({}, "p1\n\n\n\n\np2", "p1\n\n\np2"),  # at most 2 blank lines
    ({}, "p1\n  \n\t\n \n \np2", "p1\n\n\np2"),  # lines of spaces are blank lines
    ({"max_blank_lines": 0}, "p1\n\n\np2", "p1\np2"),
    ({"max_blank_lines": 1}, "p1\n\n\np2\n\np3", "p1\n\np2\n\np3"),
    ({"max_blank_lines": None}, "p1\n\n\n\n\np2", "p1\n\n\n\n\np2"),
    ({}, "\n\n\n  first\nlast \n\n\n", "  first\nlast"),  # leading blank lines, trailing space
    ({}, "def f():\n    return  1", "def f():\n    return 1"),  # indentation kept
    ({"keep_indentation": False}, "def f():\n    return  1", "def f():\nreturn 1"),
    ({"collapse_spaces": False}, "a  b   \n", "a  b"),
    ({}, "already clean\ntext", "already clean\ntext"),
    ({}, "", ""),
    ({}, None, None),
]


@pytest.mark.parametrize("settings,text,expected", WHITESPACE)
def test_normalize_whitespace(settings: dict, text: str | None, expected: str | None) -> None:
    out, removed = transform(NormalizeWhitespace(**settings), text)
    assert out == expected
    if text is not None:
        assert removed == len(text) - len(expected)


def test_normalize_whitespace_is_idempotent() -> None:
    stage = NormalizeWhitespace()
    texts = [case[1] for case in WHITESPACE if case[1] is not None and not case[0]]
    once = stage.transform(pa.chunked_array([texts]))[0]
    assert stage.transform(once)[0].to_pylist() == once.to_pylist()


def test_normalize_whitespace_rejects_negative_blank_lines() -> None:
    with pytest.raises(ValueError, match="max_blank_lines"):
        NormalizeWhitespace(max_blank_lines=-1).validate()


# -- remove_control_chars --------------------------------------------------------------------

# settings, text, expected, removed
CONTROL = [
    ({}, "a\x00b\x07c\x1fd\x7fe", "abcde", 4),  # C0 and DEL
    ({}, "tab\tand\nnewline", "tab\tand\nnewline", 0),  # kept
    ({}, "a\x80b\x9fc", "abc", 2),  # C1
    ({}, "a\r\nb\x0cc\x85d", "a\nb\nc\nd", 0),  # line-ending controls become newlines
    ({}, "zero\u200bwidth\ufeff\u2060soft\u00adhyphen", "zerowidthsofthyphen", 4),
    ({"remove_zero_width": False}, "a\u200bb", "a\u200bb", 0),
    ({}, "می\u200cخواهم \U0001f468\u200d\U0001f469", "می\u200cخواهم \U0001f468\u200d\U0001f469", 0),  # joiners kept
    ({"remove_joiners": True}, "a\u200cb\u200dc", "abc", 2),
    ({}, "e\u0301", "\u00e9", 0),  # NFC composes
    ({"normalization": None}, "e\u0301", "e\u0301", 0),
    ({}, "\ufb01 \uff21", "\ufb01 \uff21", 0),  # NFC keeps compatibility forms
    ({"normalization": "NFKC"}, "\ufb01 \uff21 x\u00b2", "fi A x2", 0),
    ({}, "\u202bRTL embedding\u202c", "\u202bRTL embedding\u202c", 0),  # bidi controls kept
    ({}, "clean", "clean", 0),
    ({}, None, None, 0),
]


@pytest.mark.parametrize("settings,text,expected,removed", CONTROL)
def test_remove_control_chars(settings: dict, text: str | None, expected: str | None, removed: int) -> None:
    assert transform(RemoveControlChars(**settings), text) == (expected, removed)


def test_remove_control_chars_rejects_unknown_normalization() -> None:
    with pytest.raises(ValueError, match="normalization"):
        RemoveControlChars(normalization="NFX").validate()  # type: ignore[arg-type]


# -- as stages ------------------------------------------------------------------------------

STAGES = [
    (FixMojibake, "mojibake_fixed", pa.bool_()),
    (NormalizeWhitespace, "whitespace_removed", pa.int32()),
    (RemoveControlChars, "control_chars_removed", pa.int32()),
]


@pytest.mark.parametrize("cls,column,type_", STAGES)
def test_stage_drops_documents_left_empty(cls: type, column: str, type_: pa.DataType) -> None:
    texts = ["keep me", "", "  \n\t ", None, "\x00\u200b\x01", "cafÃ©"]
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.large_string())})
    stage = cls()
    out, stats = run_stage(stage, table)
    reason = f"{cls.name}:empty_after_normalization"
    dropped = out.filter(pa.array([r is not None for r in out[REASON].to_pylist()]))["id"].to_pylist()
    # "4" (controls and a zero-width space) is empty only once the controls are removed
    expected = {"1", "2"} | ({"4"} if cls is RemoveControlChars else set())
    assert set(dropped) == expected
    assert stats.dropped == {reason: len(expected)}
    assert set(out.filter(pa.array([d is not None for d in out[DROPPED_BY].to_pylist()]))["id"].to_pylist()) == expected
    assert out.schema.field(column).type == type_
    assert out.schema.field("text").type == pa.large_string()
    assert out["text"].to_pylist()[3] is None  # null text is left alone, not dropped


@pytest.mark.parametrize("cls,column,type_", STAGES)
def test_stage_options_label_and_registry(cls: type, column: str, type_: pa.DataType) -> None:
    stage = build_stage(cls.name, {"label": "clean2", "drop_empty": False, "write_changes": False})
    assert get_stage_class(cls.name) is cls
    out, stats = run_stage(stage, pa.table({"text": ["", "x"]}))
    assert column not in out.column_names
    assert stats.dropped == {}
    out, stats = run_stage(build_stage(cls.name, {"label": "clean2"}), pa.table({"text": ["", "x"]}))
    assert stats.dropped == {"clean2:empty_after_normalization": 1}


def test_custom_text_column_and_pickling() -> None:
    stage = NormalizeWhitespace(text_column="body")
    out, _ = run_stage(pickle.loads(pickle.dumps(stage)), pa.table({"body": ["a   b"], "text": ["c   d"]}))
    assert out["body"].to_pylist() == ["a b"]
    assert out["text"].to_pylist() == ["c   d"]
    with pytest.raises(ValueError, match="no 'body' column"):
        run_stage(stage, pa.table({"text": ["x"]}))
