"""spaCy's English tokenizer rules (``spacy.blank("en")``), re-expressed for RE2 and for
:mod:`curate.text.tokenizer`: punctuation, quote, currency and unit sets, the infix and URL
regular expressions, the English special cases (contractions, abbreviations, emoticons:
:data:`SPECIAL_CASES`), and the character classes the affix rules decide once per
character (:func:`char_flags`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import pyarrow as pa

from .chars import char_class, char_ranges

__all__ = [
    "ASCII_INFIX",
    "F_ALPHA",
    "F_DIGIT",
    "F_LOWER",
    "F_PERIOD_CONTEXT",
    "F_PREFIX",
    "F_SUFFIX",
    "F_UPPER",
    "IDEOGRAPH_RE",
    "INFIX",
    "INFIX_CANDIDATE_RE",
    "NUMBER_UNIT_GROUP_RE",
    "NUMBER_UNIT_RE",
    "PLAIN_RE",
    "SPECIAL_CASES",
    "UNIT_SUFFIX_PY",
    "char_flags",
    "special_tables",
]

_PUNCT = "\u2026,:;!?\u00bf\u061f\u00a1()[]{}<>_#*&\u3002\uff1f\uff01\uff0c\u3001\uff1b\uff1a\uff5e\u00b7\u0964\u060c\u06d4\u061b\u066a"
_QUOTES = "'\"\u201d\u201c`\u2018\u00b4\u2019\u201a,\u201e\u00bb\u00ab\u300c\u300d\u300e\u300f\uff08\uff09\u3014\u3015\u3010\u3011\u300a\u300b\u3008\u3009\u2329\u232a\u27e6\u27e7"
_CURRENCY = "$\u00a3\u20ac\u00a5\u0e3f\u20bd\ufdfc\u20b4" + char_ranges("\u20a0-\u20bf")
# Letters as spaCy's rules see them: Unicode letters except the Latin-1 ordinals and micro
# sign (ª º µ), plus the CJK symbol and punctuation blocks (which its CJK range includes).
# Scripts without case count as both lower and upper case.
_CJK_EXTRA = (
    r"\x{2e80}-\x{2fdf}\x{2ff0}-\x{2fff}\x{3000}-\x{303f}\x{31c0}-\x{31ef}"
    r"\x{3200}-\x{33ff}\x{fe30}-\x{fe4f}\x{1f200}-\x{1f2ff}"
)
_ALPHA = rf"(?:[^\PL\x{{aa}}\x{{b5}}\x{{ba}}]|[{_CJK_EXTRA}])"
_LOWER = rf"(?:[^\P{{Ll}}\x{{b5}}]|[^\P{{Lo}}\x{{aa}}\x{{ba}}]|[{_CJK_EXTRA}])"
_UPPER = rf"(?:\p{{Lu}}|[^\P{{Lo}}\x{{aa}}\x{{ba}}]|[{_CJK_EXTRA}])"
# Units split off a number ("10km" -> "10 km"); order irrelevant (anchored at the end).
_UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb "
    "oz m/s km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ "
    "дм дм² дм³ см см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб "
    "ГБ гб Тб ТБ тб"
).split()
_HYPHENS = ["-", "\u2013", "\u2014", "--", "---", "\u2014\u2014", "~"]


def _alt(items: Iterable[str]) -> str:
    return "|".join(_re_escape(i) for i in items)


def _re_escape(s: str) -> str:
    return "".join(c if c.isalnum() and ord(c) < 128 else f"\\x{{{ord(c):x}}}" for c in s)


_AFTER_DIGIT_RE = r"\+|US\$|C\$|A\$|" + char_class(_CURRENCY) + "|" + _alt(_UNITS)
_QUOTE_CLASS_BODY = char_class(_QUOTES)[1:-1]
_INFIX_PLAIN_RE = r"(\.\.+|\x{2026}|\p{So})"
_INFIX_DIGIT_PERIOD_RE = (
    r"([0-9])([+\-*^])([0-9\-])"
    f"|((?:{_LOWER}|[{_QUOTE_CLASS_BODY}]))(\\.)((?:{_UPPER}|[{_QUOTE_CLASS_BODY}]))"
)
_INFIX_ALPHA_RE = (
    f"({_ALPHA})(,)({_ALPHA})|((?:{_ALPHA}|[0-9]))({_alt(_HYPHENS)}|[:<>=/])({_ALPHA})"
)
INFIX_CANDIDATE_RE = r"(?s).[\x{2026}\p{So},:<>=/+*^~\-\x{2013}\x{2014}.]"
IDEOGRAPH_RE = r"([\p{Han}\p{Hiragana}\p{Katakana}])"

# URLs are kept whole (an RE2 rendering of spaCy's URL_MATCH, without its private-IP
# exclusions, which cannot change a token count, and without length limits on host labels,
# which make RE2 compile slowly).
_HOST_CHAR = r"A-Za-z0-9\x{a1}-\x{ffff}"
_URL_RE = (
    r"^(?:[\pL\pN_+\-.]{2,}://)?(?:.+@)?(?:"
    r"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}"
    r"(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
    f"|(?:(?:[{_HOST_CHAR}][{_HOST_CHAR}_-]*)?[{_HOST_CHAR}]\\.)+{_LOWER}{{2,}}"
    r")(?::\d{2,5})?(?:[/?#].*)?$"
)
INFIX = (_URL_RE, _INFIX_PLAIN_RE, (_INFIX_DIGIT_PERIOD_RE, _INFIX_ALPHA_RE))
ASCII_INFIX = (
    r"^(?:[A-Za-z0-9_+\-.]{2,}://)?(?:.+@)?(?:"
    r"(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}"
    r"(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
    r"|(?:(?:[A-Za-z0-9][A-Za-z0-9_-]*)?[A-Za-z0-9]\.)+[a-z]{2,}"
    r")(?::\d{2,5})?(?:[/?#].*)?$",
    r"(\.\.+)",
    (
        r"([0-9])([+\-*^])([0-9\-])|([a-z'\"`,])(\.)([A-Z'\"`,])",
        r"([A-Za-z])(,)([A-Za-z])|([A-Za-z0-9])(-|--|---|~|[:<>=/])([A-Za-z])",
    ),
)
# A piece that is all letters, digits and marks is one token unless it is a special case or
# a number followed by a unit.
PLAIN_RE = r"^[\pL\pN\pM]+$"
NUMBER_UNIT_RE = f"[0-9](?:{_AFTER_DIGIT_RE})$"
NUMBER_UNIT_GROUP_RE = f"[0-9](?P<g>{_AFTER_DIGIT_RE})$"
UNIT_SUFFIX_PY = re.compile(
    "[0-9]("
    + "|".join(re.escape(u) for u in ["+", "US$", "C$", "A$", *sorted(_CURRENCY), *_UNITS])
    + ")$"
)


def _build_special_cases() -> dict[str, tuple[str, ...]]:
    """English special cases: pieces the affix rules must not split, or split otherwise.

    Contractions (``don't`` -> ``do n't``, ``I'm`` -> ``I 'm``, also written without the
    apostrophe or with a typographic one), a few fused forms (``cannot``, ``gonna``),
    abbreviations that end in a period (``e.g.``, ``Mr.``, ``Calif.``), clock times
    (``10am``) and emoticons.
    """
    cases: dict[str, tuple[str, ...]] = {}

    def add(orth: str, *tokens: str) -> None:
        """Add ``orth`` and its capitalised form (``don't`` and ``Don't``)."""
        tokens = tokens or (orth,)
        cases[orth] = tokens
        if orth[:1].islower():
            first = tokens[0][:1].upper() + tokens[0][1:]
            cases.setdefault(orth[:1].upper() + orth[1:], (first, *tokens[1:]))

    apostrophes = ("'", "\u2019")
    # verb + n't
    neg = (
        "ai are ca could dare did does do had has have is may might must need ought sha "
        "should was were wo would"
    ).split()
    with_ve = {"ca", "could", "did", "does", "do", "had", "may", "might", "must", "need",
               "ought", "sha", "should", "wo", "would"}
    for base in neg:
        for a in apostrophes:
            add(f"{base}n{a}t", base, f"n{a}t")
            if base in with_ve:
                add(f"{base}n{a}t{a}ve", base, f"n{a}t", f"{a}ve")
        add(f"{base}nt", base, "nt")
        if base in with_ve:
            add(f"{base}ntve", base, "nt", "ve")
    # modal + 've
    for base in ("could", "might", "must", "should", "would", "not"):
        for a in apostrophes:
            add(f"{base}{a}ve", base, f"{a}ve")
        add(f"{base}ve", base, "ve")
    # pronoun / wh-word + clitic
    clitics = {
        "i": "d ll m ve ma", "you": "d ll re ve", "he": "d ll s", "she": "d ll s",
        "it": "d ll s", "we": "d ll re ve", "they": "d ll re ve", "who": "d ll re s ve",
        "what": "d ll re s ve", "where": "d ll re s ve", "when": "d ll re s ve",
        "why": "d ll re s ve", "how": "d ll re s ve", "there": "d ll re s ve",
        "that": "d ll s", "this": "d ll s", "these": "d ll re ve", "those": "d ll re ve",
    }
    # Forms without the apostrophe that are ordinary words stay words.
    not_contractions = {"ill", "hell", "shed", "shell", "its", "well", "were", "whore"}
    for word, suffixes in clitics.items():
        for suffix in suffixes.split():
            for a in apostrophes:
                if suffix == "ma":
                    add(f"{word}{a}ma", word, f"{a}m", "a")
                    continue
                add(f"{word}{a}{suffix}", word, f"{a}{suffix}")
                if suffix in ("d", "ll"):
                    add(f"{word}{a}{suffix}{a}ve", word, f"{a}{suffix}", f"{a}ve")
            if suffix == "ma":
                add(f"{word}ma", word, "m", "a")
                continue
            if f"{word}{suffix}" not in not_contractions:
                add(f"{word}{suffix}", word, suffix)
            if suffix in ("d", "ll"):
                add(f"{word}{suffix}ve", word, suffix, "ve")
    for a in apostrophes:
        add(f"let{a}s", "let", f"{a}s")
        add(f"how{a}d{a}y", "how", f"{a}d", f"{a}y")
        add(f"c{a}mon", f"c{a}m", "on")
        cases[f"y{a}all"] = (f"y{a}", "all")
        for word in ("doin", "goin", "havin", "lovin", "nothin", "nuthin", "somethin"):
            add(f"{word}{a}")
        for word in ("o{a}clock", "ma{a}am"):
            add(word.format(a=a))
        for clitic in ("s", "S", "d", "ll", "re", "em", "bout", "cause", "cos", "coz", "cuz",
                       "nuff", "Cause", "Cos", "Coz", "Cuz"):
            cases[f"{a}{clitic}"] = (f"{a}{clitic}",)
        cases[a] = (a,)
        cases[a + a] = (a + a,)
    cases["\u2018s"] = ("\u2018s",)
    cases["\u2018S"] = ("\u2018S",)
    for orth, tokens in (("cannot", ("can", "not")), ("gonna", ("gon", "na")),
                         ("gotta", ("got", "ta"))):
        add(orth, *tokens)
    cases["yall"] = ("y", "all")
    # clock times
    for hour in range(1, 13):
        for period in ("a.m.", "am", "p.m.", "pm"):
            cases[f"{hour}{period}"] = (str(hour), period)
    # abbreviations ending in a period
    abbreviations = (
        "a.m. p.m. e.g. i.e. E.g. E.G. I.e. I.E. vs. v.s. co. Ph.D. "
        "Mr. Mrs. Ms. Dr. Prof. Rev. Sen. Rep. Gen. Gov. Adm. Jr. St. Mt. Messrs. "
        "Co. Corp. Inc. Ltd. Bros. "
        "Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. Nov. Dec. "
        "Ak. Ala. Ariz. Ark. Calif. Colo. Conn. D.C. Del. Fla. Ga. Ia. Id. Ill. Ind. Kan. "
        "Kans. Ky. La. Mass. Md. Mich. Minn. Miss. Mo. Mont. N.C. N.D. N.H. N.J. N.M. N.Y. "
        "Neb. Nebr. Nev. Okla. Ore. Pa. S.C. Tenn. Va. Wash. Wis. "
    ).split()
    for orth in abbreviations:
        cases[orth] = (orth,)
    for unit in "CFKcfk":
        cases[f"\u00b0{unit}."] = ("\u00b0", unit, ".")
    for letter in "abcdefghijklmnopqrstuvwxyzäöü":
        cases[f"{letter}."] = (f"{letter}.",)
    for orth in ("C++", "and/or", "w/o", "<space>", "\\n", "\\t", "\\\")", "Ol", "ol", "em",
                 "ll", "nuff", "Doin", "Goin", "Havin", "Lovin", "Nothin", "Nuthin",
                 "Somethin", "doin", "goin", "havin", "lovin", "nothin", "nuthin", "somethin"):
        cases[orth] = (orth,)
    for orth in ("Ol'", "ol'", "Ol\u2019", "ol\u2019", "O'clock", "O\u2019clock"):
        cases[orth] = (orth,)
    # emoticons
    emoticons = (
        ":) :-) :)) :-)) :))) :-))) (: (-: ;) ;-) (; (-; :( :-( :(( :-(( :((( :-((( ): )-: "
        ":D :-D ;D ;-D 8D 8-D xD XD xDD XDD :P :-P :p :-p :O :-O :o :-o :0 :-0 :o) :() :x "
        ":-x :X :-X :/ :-/ :| :-| :] :-] :} :-} :> :-> :3 :-3 :* :-* :1 =) =( =D =] =[ =/ "
        "=| =3 (= [: [-: [= ]= 8) 8-) <3 <33 <333 </3 ^_^ ^__^ ^___^ -_- -__- o_o o_O O_o "
        "O_O o_0 0_o 0_0 o.o o.O O.o O.O o.0 0.o 0.0 v.v V.V v_v V_V >.< <.< >.> ._. @_@ "
        ";_; >:( >:o (^_^) (-_-) (._.) (>_<) (*_*) (¬_¬) ಠ_ಠ (ಠ_ಠ) ಠ︵ಠ (o: "
        ":'( :') :'-( :'-) :\u2019( :\u2019) :\u2019-( :\u2019-) ><(((*> ¯\\(ツ)/¯ "
        "(╯°□°）╯︵┻━┻ (-8"
    ).split()
    for orth in emoticons:
        cases[orth] = (orth,)
    return cases


SPECIAL_CASES: dict[str, tuple[str, ...]] = _build_special_cases()


@lru_cache(maxsize=1)
def special_tables() -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(special cases, their tokens joined by \\x00, the all-alphanumeric ones, the ones
    with punctuation that the last pass re-joins)."""
    keys = sorted(SPECIAL_CASES)
    joined = ["\x00".join(SPECIAL_CASES[k]) for k in keys]
    plain = [k for k in keys if _is_plain(k)]
    merge = [k for k in keys if len(k) > 1 and not _is_plain(k)]
    return (
        pa.array(keys, pa.string()),
        pa.array(joined, pa.string()),
        pa.array(plain, pa.string()),
        pa.array(merge, pa.string()),
    )


def _is_plain(s: str) -> bool:
    return all(unicodedata.category(c)[0] in "LNM" for c in s)


# Character classes of the affix rules, decided once per distinct character.
F_ALPHA, F_LOWER, F_UPPER, F_DIGIT = 1, 2, 4, 8
F_PREFIX, F_SUFFIX, F_PERIOD_CONTEXT = 16, 32, 64
_PREFIX_CHARS = frozenset("\u00a7%=\u2014\u2013+" + _PUNCT + _QUOTES + _CURRENCY)
_SUFFIX_CHARS = frozenset(_PUNCT + _QUOTES + "\u2014\u2013")
_PERIOD_CONTEXT_CHARS = frozenset("0123456789%\u00b2-+|()?:" + _PUNCT + _QUOTES)
_CJK_EXTRA_RANGES = (
    (0x2E80, 0x2FDF), (0x2FF0, 0x2FFF), (0x3000, 0x303F), (0x31C0, 0x31EF),
    (0x3200, 0x33FF), (0xFE30, 0xFE4F), (0x1F200, 0x1F2FF),
)


@lru_cache(maxsize=100_000)
def char_flags(c: str) -> int:
    """The classes (``F_*`` bits) the affix rules put the character ``c`` in."""
    if not c:
        return 0
    category = unicodedata.category(c)
    cjk = any(lo <= ord(c) <= hi for lo, hi in _CJK_EXTRA_RANGES)
    flags = 0
    if (category[0] == "L" and c not in "\u00aa\u00b5\u00ba") or cjk:
        flags |= F_ALPHA
    if (category == "Ll" and c != "\u00b5") or (category == "Lo" and c not in "\u00aa\u00ba") or cjk:
        flags |= F_LOWER
    if category == "Lu" or (category == "Lo" and c not in "\u00aa\u00ba") or cjk:
        flags |= F_UPPER
    if "0" <= c <= "9":
        flags |= F_DIGIT
    icon = category == "So"
    if c in _PREFIX_CHARS or icon:
        flags |= F_PREFIX
    if c in _SUFFIX_CHARS or icon:
        flags |= F_SUFFIX
    if c in _PERIOD_CONTEXT_CHARS or flags & (F_DIGIT | F_LOWER):
        flags |= F_PERIOD_CONTEXT
    return flags
