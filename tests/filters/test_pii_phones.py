"""curate.filters.pii: the phone-number rule of pii_masker, on both sides (masked and kept),
on planted numbers in many written forms, and on real Common Crawl text."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow as pa
import pytest
from curate.filters import PIIMasker

PH = "<PHONE_NUMBER>"


def mask(texts: list[str]) -> tuple[list[str], list[int]]:
    out, counts = PIIMasker().mask(pa.array(texts, pa.large_string()))
    return out.to_pylist(), counts["pii_phones"].to_pylist()


# text, expected text (the number count is the number of placeholders)
MASKED = [
    # the examples: phone-shaped though the exchange code is no valid NANP one
    ("(283) 182-3829", PH),
    ("(283)-182-3829", PH),
    ("283-182-3829", PH),
    ("(555) 123-4567", PH),
    ("call (555) 123-4567 now", f"call {PH} now"),
    # North American forms
    ("(283)182-3829", PH),
    ("(283).182.3829", PH),
    ("(283) 182 3829", PH),
    ("283.182.3829", PH),
    ("283 182 3829", PH),
    ("283 182-3829", PH),
    ("Tel: 415 555 2671", f"Tel: {PH}"),
    ("1 (283) 182-3829", PH),
    ("1 415 555 2671", PH),
    ("Fax:1 602 827 2469", f"Fax:{PH}"),
    ("1.800.555.0199", PH),
    ("+1 415 555 2671", PH),
    ("+1.415.555.2671", PH),
    ("+1(415) 555-2671", PH),
    ("+12831823829", PH),
    ("(800)\xa0346-3882", PH),  # a no-break space, as HTML extraction leaves it
    # extensions are part of the number
    ("415-555-2671 ext. 123", PH),
    ("415-555-2671, ext 9", PH),
    ("(415) 555-2671 Ext: 12", PH),
    ("(415) 555-2671 extension 1234", PH),
    ("415.555.2671x123", PH),
    ("(415) 555-2671 x 12.", f"{PH}."),
    # international forms
    ("+44 (0)20 7946 0958", PH),
    ("+44 (0) 20 7946 0958", PH),
    ("+442079460958", PH),
    ("+44-20-7946-0958", PH),
    ("+44 2070894870", PH),
    ("+49 (0)89 1234 5678", PH),
    ("+7 (495) 123-45-67", PH),
    ("+91 98765 43210", PH),
    ("+91-9876543210", PH),
    ("+86 138 0013 8000", PH),
    ("+81 3-1234-5678", PH),
    ("+354 555 1234", PH),
    ("+971 4 123 4567", PH),
    ("+(44) 748-881-7998", PH),
    ("+1 214 306 68 37", PH),  # +1 written in another country's grouping
    # glued by HTML extraction: a letter may touch a number that starts with ( or +
    ("Bellhop(415) 263-9024", f"Bellhop{PH}"),
    ("India+91-8529003873 USA+1 (989) 535-9295", f"India{PH} USA{PH}"),
    # several numbers
    ("415 555 2671, 415 555 2672", f"{PH}, {PH}"),
    ("713 798 1626 (phone)\n713 798 1642 (fax)", f"{PH} (phone)\n{PH} (fax)"),
    ("call 415 555 2671 24 hours a day", f"call {PH} 24 hours a day"),
]


@pytest.mark.parametrize("text,expected", MASKED)
def test_masked(text: str, expected: str) -> None:
    out, counts = mask([text])
    assert out == [expected]
    assert counts == [expected.count(PH)]


KEPT = [
    # dates, times, years
    "2023-10-12", "12.10.2023", "10/12/2023", "12:30:45 and 12:30-14:45", "1999-2005", "1999 - 2005",
    "2022 10 13 16.40.26",
    # versions, prices, numbers
    "1.2.3", "10.0.19041", "v10.0.19041.1234", "$1,234.56", "€1.234,56", "1,234,567,890", "1 234 567",
    "10 000 000 000", "+5 °C", "+3.5%", "2 + 2 = 4",
    # ISBNs, cards, IDs, SSN-like, ZIP+4, coordinates
    "ISBN 978-3-16-148410-0", "978-0-596-52068-7", "ISBN 0-306-40615-2", "4111 1111 1111 1111",
    "4111-1111-1111-1111", "3782 822463 10005", "12345678901234", "5551234567", "123-45-6789", "94105-1234",
    "40.7128, -74.0060", "-33.8688, 151.2093",
    # area codes start 2-9; 7-digit local numbers and other countries' national formats are left
    "123-456-7890", "(123) 456-7890", "100-200-3000", "555-1234", "020 7946 0958",
    # a phone shape inside a longer code or list is kept whole
    "415-555-2671-22", "(415) 555-2671-22", "1.800.555.0199.5", "1-800-555-0199-2",
    "100 200 400 800 1600", "sizes 250 500 1000 2000 4000", "415 555 2671 8000 9000", "1 2 3 415 555 2671",
    # glued to letters or digits where a number starts with a digit; glued on the right
    "a415-555-2671", "v1.415.555.2671", "415-555-2671abc", "7415-555-2671",
    # with + but too short, or not followed by a number
    "score +12 345 678", "+1 800", "+44", "C++ 11 20 30 40",
    # the rule does not take part of a number that goes on with letters
    "+1 (855) 572-8264Sales", "+1 (415) 568-00XX", "+1 (888) 99 FLARE",
]  # fmt: skip


@pytest.mark.parametrize("text", KEPT)
def test_kept(text: str) -> None:
    assert mask([text]) == ([text], [0])


def test_count_is_the_number_of_placeholders() -> None:
    """A number glued to the one before it is kept by the replacement; the count agrees
    (``count_substring_regex`` alone would count it: it restarts as at a text's start)."""
    texts = ["415-555-2671(415) 555-2672", "• +1 (929) 214-1690+1 (929) 214-1690", "(415) 555-2671(415) 555-2672"]
    out, counts = mask(texts)
    assert counts == [o.count(PH) for o in out]
    assert out[0] == f"{PH}(415) 555-2672"


def test_internal_marks_in_the_input_do_not_change_the_count() -> None:
    out, counts = mask(["\ufdd1(555) 123-4567 \ufdd1<PHONE_NUMBER>", "\ufdd1 no number"])
    assert out == [f"{PH} {PH}", "\ufdd1 no number"]
    assert counts == [1, 0]


def test_chunked_batch_with_nulls_and_empty_chunks() -> None:
    chunks = [["(555) 123-4567", None], [], ["x", "+44 20 7946 0958 and 415-555-2671"]]
    out, counts = PIIMasker().mask(pa.chunked_array(chunks, pa.large_string()))
    assert out.to_pylist() == [PH, None, "x", f"{PH} and {PH}"]
    assert counts["pii_phones"].to_pylist() == [1, 0, 0, 2]
    assert counts["pii_phones"].type == pa.int32()


# -- planted numbers ----------------------------------------------------------------------
# ``N`` a digit 2-9, ``D`` any digit.  Exchange codes are any 3 digits.
FORMS = [
    "(NDD) DDD-DDDD", "(NDD)-DDD-DDDD", "(NDD)DDD-DDDD", "(NDD) DDD DDDD", "(NDD).DDD.DDDD",
    "NDD-DDD-DDDD", "NDD.DDD.DDDD", "NDD DDD DDDD", "NDD DDD-DDDD", "1-NDD-DDD-DDDD",
    "1 (NDD) DDD-DDDD", "1.NDD.DDD.DDDD", "+1 NDD DDD DDDD", "+1-NDD-DDD-DDDD", "+1 (NDD) DDD-DDDD",
    "+1NDDDDDDDDD", "NDD-DDD-DDDD ext. DDD", "NDD.DDD.DDDDxDDDD",
    "+44 20 DDDD DDDD", "+44 (0)20 DDDD DDDD", "+44NDDDDDDDDD", "+33 1 DD DD DD DD",
    "+49 30 NDDDDDD", "+49-30-NDDDDD", "+61 4DD DDD DDD", "+91 9DDDD DDDDD", "+86 13D DDDD DDDD",
    "+81 90-DDDD-DDDD", "+7 (495) DDD-DD-DD", "+55 11 9DDDD-DDDD", "+354 NDD DDDD", "+41 44 DDD DD DD",
]  # fmt: skip
CONTEXTS = ["Call {} today.", "(Tel: {})", "Phone: {}\n", "or at {}, or by mail", "\n{}\n", "{}"]


def fill(form: str, rng: random.Random) -> str:
    return "".join(str(rng.randint(2, 9)) if c == "N" else str(rng.randint(0, 9)) if c == "D" else c for c in form)


@pytest.mark.parametrize("seed", range(2))
def test_planted_numbers_are_masked_whole(seed: int) -> None:
    rng = random.Random(seed)
    cases = [(context, fill(form, rng)) for form in FORMS for context in CONTEXTS]
    out, counts = mask([c.format(n) for c, n in cases])
    assert out == [c.format(PH) for c, _ in cases]
    assert counts == [1] * len(cases)


# -- real text ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_texts(shared_data: Path) -> list[str]:
    """The Common Crawl documents of ``warc/cc-documents`` and the DCLM quality-label
    documents (skipped without ``CURATE_SHARED_DATA``)."""
    texts = []
    for path in sorted((shared_data / "warc" / "cc-documents").glob("*.jsonl*")):
        with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    for path in sorted((shared_data / "quality-labels").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    if len(texts) < 500:
        pytest.skip(f"only {len(texts)} documents found under {shared_data}")
    return texts


def test_planted_in_real_text(real_texts: list[str]) -> None:
    """Numbers in every form, planted between sentences of real documents, are masked
    whole, and the documents are otherwise what the masker makes of them unplanted."""
    rng = random.Random(7)
    docs = [t for t in real_texts if ". " in t]
    planted, expected = [], []
    for form in FORMS:
        for _ in range(5):
            doc = rng.choice(docs)
            at = doc.index(". ", rng.randrange(doc.index(". "), doc.rindex(". ") + 1)) + 1
            number = fill(form, rng)
            planted.append(f"{doc[:at]} Call {number} today.{doc[at:]}")
            expected.append((doc[:at], doc[at:]))
    before, before_counts = mask([a for a, _ in expected])
    after, after_counts = mask([b for _, b in expected])
    out, counts = mask(planted)
    assert out == [f"{a} Call {PH} today.{b}" for a, b in zip(before, after)]
    assert counts == [a + b + 1 for a, b in zip(before_counts, after_counts)]


def test_real_text_matches_are_phone_numbers(real_texts: list[str]) -> None:
    """Every number masked in real Common Crawl text is one that ``phonenumbers`` (region
    US, leniency POSSIBLE) finds too: no false positive."""
    phonenumbers = pytest.importorskip("phonenumbers")
    import pyarrow.compute as pc
    from curate.filters import pii

    texts = real_texts
    pre, _ = PIIMasker(mask_phones=False).mask(pa.array(texts, pa.large_string()))
    open_, close = "\ufdd1", "\ufdd2"
    marked = pc.replace_substring_regex(
        pii._protect_phones(pre), pii.PHONE_RE, f"{pii._CONTEXT}{open_}{pii._NUMBER}{close}"
    )
    found = 0
    for text, m in zip(pre.to_pylist(), marked.to_pylist()):
        if open_ not in m:
            continue
        m = m.replace(pii.SENTINEL, "")
        possible = {
            match.raw_string
            for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE)
        }
        for piece in m.split(open_)[1:]:
            number = piece.split(close)[0]
            found += 1
            assert any(number in p or p in number for p in possible), number
    assert found >= 20  # the sample does hold phone numbers
