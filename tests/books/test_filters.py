"""book_quality: real books pass, synthetic OCR garbage is dropped with the rule's reason."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pytest
from curate.filters.books import BookQualityFilter

from curate.books.gutenberg import strip_gutenberg
from curate.readers import EpubReader, HtmlBookReader
from curate.registry import get_stage_class
from curate.stage import run_stage
from tests.books.helpers import read_one

SCORES = [
    "book_word_count",
    "book_symbol_ratio",
    "book_plain_word_ratio",
    "book_mean_word_length",
    "book_garbage_line_ratio",
]


@pytest.fixture(scope="module")
def real_books(devils, nowhere, moby) -> dict[str, str]:
    texts = {
        name: strip_gutenberg(path.read_text()).text
        for name, path in [
            ("972", devils / "972.txt"),
            ("old-972", devils / "old-dvldc10.txt"),
            ("3261", nowhere / "3261.txt"),
            ("old-3261", nowhere / "old-nwsnw10.txt"),
        ]
    }
    texts["moby-dick"] = read_one(EpubReader(), moby)[0]["text"]
    texts["3261-h"] = read_one(HtmlBookReader(to_text=True), nowhere / "3261-h.htm")[0]["text"]
    return texts


def run(texts: list[str], **settings) -> pa.Table:
    table = pa.table(
        {"id": [str(i) for i in range(len(texts))], "text": pa.array(texts, pa.large_string())}
    )
    out, _ = run_stage(BookQualityFilter(**settings), table)
    return out.sort_by("id")


def test_real_books_are_kept(real_books):
    out = run(list(real_books.values()))
    assert out["_reason"].to_pylist() == [None] * len(real_books)
    scores = {name: row for name, row in zip(real_books, out.select(SCORES).to_pylist())}
    for row in scores.values():  # the margins the docstring states
        assert 60_000 <= row["book_word_count"] <= 215_000
        assert row["book_symbol_ratio"] <= 0.00002
        assert row["book_plain_word_ratio"] >= 0.99
        assert 4.3 <= row["book_mean_word_length"] <= 5.0
        assert row["book_garbage_line_ratio"] <= 0.002
    assert get_stage_class("book_quality") is BookQualityFilter


def sample(real_books: dict[str, str], words: int = 3000) -> str:
    """A real passage of about ``words`` words, with its lines."""
    text = real_books["3261"]
    lines, count = [], 0
    for line in text.split("\n")[400:]:
        lines.append(line)
        count += len(line.split())
        if count >= words:
            break
    return "\n".join(lines)


def symbol_noise(rng: random.Random, text: str) -> str:
    """Scanner specks: about 3 % of the characters become symbols."""
    return "".join(
        rng.choice("#$%@|~^<>=+\\") if c != "\n" and rng.random() < 0.03 else c for c in text
    )


def digit_swaps(rng: random.Random, text: str) -> str:
    """OCR that reads letters as digits and marks inside words (``f0x``, ``w!th``)."""
    swap = {"o": "0", "l": "1", "e": "3", "a": "4", "s": "5", "i": "!"}
    return "\n".join(
        " ".join(
            "".join(swap.get(c, c) for c in w) if rng.random() < 0.4 and len(w) > 3 else w
            for w in line.split(" ")
        )
        for line in text.split("\n")
    )


def letter_spaced(rng: random.Random, text: str) -> str:
    """Letters set apart (``T h e  w h a l e``), as OCR of spaced type gives."""
    return "\n".join(" ".join(line) for line in text.split("\n"))


def run_together(rng: random.Random, text: str) -> str:
    """Lost spaces: every four words run together (punctuation lost too)."""
    out = []
    for line in text.split("\n"):
        words = [re.sub(r"\W", "", w) for w in line.split()]
        out.append(" ".join("".join(words[i : i + 4]) for i in range(0, len(words), 4)))
    return "\n".join(out)


def page_furniture(rng: random.Random, text: str) -> str:
    """Every prose line followed by a line of scanned numbers and marks."""
    return "\n".join(
        f"{line}\n{rng.randint(1, 999)} . {rng.randint(1, 99)} , {rng.randint(1, 9)} -"
        for line in text.split("\n")
    )


@pytest.mark.parametrize(
    ("corrupt", "reason"),
    [
        (symbol_noise, "book_quality:symbol_ratio"),
        (digit_swaps, "book_quality:plain_word_ratio"),
        (letter_spaced, "book_quality:mean_word_length"),
        (run_together, "book_quality:mean_word_length"),
        (page_furniture, "book_quality:garbage_lines"),
    ],
)
def test_garbage_is_dropped(real_books, corrupt, reason):
    clean = sample(real_books, 6000)
    garbage = corrupt(random.Random(7), clean)
    out = run([clean, garbage])
    assert out["_reason"].to_pylist() == [None, reason]


def test_too_short_and_empty(real_books):
    out = run([sample(real_books, 300), "", sample(real_books, 1200)])
    assert out["_reason"].to_pylist() == [
        "book_quality:too_few_words",
        "book_quality:too_few_words",
        None,
    ]
    assert out["book_plain_word_ratio"][1].as_py() is None  # not measured
    assert run([sample(real_books, 300)], min_words=None)["_reason"].to_pylist() == [None]


def test_rules_can_be_disabled(real_books):
    garbage = symbol_noise(random.Random(1), sample(real_books, 3000))
    assert run([garbage], max_symbol_ratio=None, min_plain_word_ratio=None)[
        "_reason"
    ].to_pylist() == [None]


def test_unspaced_languages(real_books):
    """Chinese has no spaces: letters count as words and the word-shape rules do not apply."""
    chinese = (
        "\u5929\u4e0b\u5927\u52bf\uff0c\u5206\u4e45\u5fc5\u5408\uff0c\u5408\u4e45\u5fc5\u5206\u3002\n"
        * 200
    )
    table = pa.table(
        {"id": ["zh", "en"], "text": [chinese, chinese], "declared_language": ["zh", "en"]}
    )
    out, _ = run_stage(BookQualityFilter(), table)
    rows = out.sort_by("id").to_pylist()
    assert rows[1]["_reason"] is None and rows[1]["book_word_count"] == 2400
    assert rows[1]["book_mean_word_length"] is None
    assert rows[0]["_reason"] == "book_quality:too_few_words"  # 200 "words" as English
    # the language-ID column wins over declared_language
    table = table.append_column("language", pa.array(["en", "zh"]))
    out, _ = run_stage(BookQualityFilter(), table)
    assert out.sort_by("id")["_reason"].to_pylist() == [None, "book_quality:too_few_words"]


def test_vectorised_over_a_batch(real_books):
    texts = [
        sample(real_books, 2000),
        symbol_noise(random.Random(3), sample(real_books, 2000)),
    ] * 50
    out = run(texts)
    reasons = np.array(out["_reason"].to_pylist(), dtype=object)
    assert len(reasons) == 100 and (reasons == None).sum() == 50  # noqa: E711
