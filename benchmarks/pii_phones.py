"""Phone-number masking of ``pii_masker`` on real text: recall, false positives, throughput.

Corpus: every real text under the shared data that needs no network: the Common Crawl
documents of ``warc/cc-documents`` (dolma and RedPajama JSONL), the DCLM quality-label
documents, the ground-truth article bodies of both extraction benchmarks, and the whole
visible text of their HTML pages (resiliparse ``extract_plain_text`` with boilerplate kept,
so that footers and contact blocks, where phone numbers live, are in).

1. **Recall**: random phone numbers in ~50 written forms (North American and international)
   planted into real documents in a few contexts (``Call {n} today.``, ``(Tel: {n})``...);
   a plant counts as found when the output holds the context with the whole number, and
   only it, replaced by the placeholder.  Forms that are out of scope on purpose (national
   formats of other countries without ``+``) are reported apart.
2. **False positives**: every phone match on the unplanted corpus is checked against
   ``phonenumbers.PhoneNumberMatcher`` (region US, leniency POSSIBLE and VALID): a match
   that no phonenumbers match overlaps is printed for inspection by eye.  Also prints the
   phonenumbers VALID matches the masker leaves (a recall hint on real text).
3. **Throughput**: ``PIIMasker().mask`` (all kinds) and phones alone on the corpus as one
   Arrow array, MB/s (best of ``--repeat``), for this working tree and for the
   ``filters/pii.py`` of a git revision (``--compare REV``, default ``HEAD``) in the same
   process; also with a phone number appended to every document (the masker's worst case:
   it protects and replaces only in documents with a match).

Usage::

    pip install phonenumbers        # only for this benchmark
    python benchmarks/pii_phones.py --compare HEAD
    python benchmarks/pii_phones.py --compare HEAD --show 60 --repeat 5
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import subprocess
import sys
import time
import types
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
PH = "<PHONE_NUMBER>"


def shared_data(arg: str | None) -> Path:
    return Path(arg or os.environ.get("CURATE_SHARED_DATA") or REPO.parent / "shared" / "data")


def load_corpus(shared: Path, html_pages: bool = True) -> list[str]:
    texts: list[str] = []
    for path in sorted((shared / "warc" / "cc-documents").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    for path in sorted((shared / "quality-labels").glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    for bench in ("article-extraction-benchmark", "wcxb"):
        truth = json.loads((shared / "html-extraction" / bench / "ground-truth.json").read_text("utf-8"))
        texts += [v["articleBody"] for v in truth.values() if v.get("articleBody")]
        if html_pages:
            from resiliparse.extract.html2text import extract_plain_text

            for page in sorted((shared / "html-extraction" / bench / "html").glob("*.html.gz")):
                html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
                texts.append(extract_plain_text(html, main_content=False))
    seen: set[str] = set()
    return [t for t in texts if t and not (t in seen or seen.add(t))]


def load_pii_module(rev: str | None) -> types.ModuleType:
    """``filters/pii.py`` of the working tree (``rev`` None) or of a git revision, loaded
    without registering its stage (the working tree's is registered already)."""
    if rev is None:
        import curate.filters.pii as mod

        return mod
    src = subprocess.run(
        ["git", "show", f"{rev}:filters/pii.py"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    src = src.replace("\n@register\n", "\n")
    name = "pii_at_" + re.sub(r"\W", "_", rev)
    mod = types.ModuleType(name)
    sys.modules[name] = mod
    exec(compile(src, f"{rev}:filters/pii.py", "exec"), mod.__dict__)
    return mod


# -- planted numbers ----------------------------------------------------------------------
# ``N`` is a random digit 2-9, ``D`` any digit.  Exchange codes are any 3 digits (555, 1xx
# and 0xx included): a user masking PII wants phone-shaped numbers gone.
NANP_FORMS = [
    "(NDD) DDD-DDDD", "(NDD)-DDD-DDDD", "(NDD)DDD-DDDD", "(NDD) DDD DDDD", "(NDD).DDD.DDDD",
    "(NDD) DDD.DDDD", "NDD-DDD-DDDD", "NDD.DDD.DDDD", "NDD DDD DDDD", "NDD DDD-DDDD",
    "NDD.DDD-DDDD", "1-NDD-DDD-DDDD", "1 (NDD) DDD-DDDD", "1 NDD DDD DDDD", "1.NDD.DDD.DDDD",
    "+1 NDD DDD DDDD", "+1-NDD-DDD-DDDD", "+1 (NDD) DDD-DDDD", "+1 NDD-DDD-DDDD", "+1NDDDDDDDDD",
    "+1.NDD.DDD.DDDD", "+1 (NDD)DDD-DDDD", "+1(NDD) DDD-DDDD",
    "NDD-DDD-DDDD ext. DDD", "(NDD) DDD-DDDD x DD", "NDD.DDD.DDDDxDDDD", "NDD-DDD-DDDD Ext: DDD",
    "(NDD) DDD-DDDD extension DDDD", "1-800-DDD-DDDD",
]
INTL_FORMS = [
    "+44 20 DDDD DDDD", "+44 (0)20 DDDD DDDD", "+44 (0) 20 DDDD DDDD", "+44 7NDD DDDDDD",
    "+44NDDDDDDDDD", "+44-20-DDDD-DDDD", "+33 1 DD DD DD DD", "+33 6 DD DD DD DD",
    "+33.1.DD.DD.DD.DD", "+49 30 NDDDDDD", "+49 (0)89 DDDD DDDD", "+49-30-NDDDDD",
    "+49 NDD DDDDDDDD", "+61 2 DDDD DDDD", "+61 4DD DDD DDD", "+91 9DDDD DDDDD",
    "+91-9DDDDDDDDD", "+86 13D DDDD DDDD", "+81 3-DDDD-DDDD", "+81 90-DDDD-DDDD",
    "+7 (495) DDD-DD-DD", "+7 9DD DDD-DD-DD", "+34 9DD DDD DDD", "+39 06 DDDD DDDD",
    "+55 11 9DDDD-DDDD", "+353 1 DDD DDDD", "+31 20 DDD DDDD", "+27 21 DDD DDDD",
    "+52 55 DDDD DDDD", "+971 4 DDD DDDD", "+65 DDDD DDDD", "+354 NDD DDDD",
    "+46 8 DDD DDD DD", "+41 44 DDD DD DD", "+32 2 DDD DD DD", "+234 80D DDD DDDD",
]
OUT_OF_SCOPE_FORMS = [  # national formats of other countries without ``+``: kept on purpose
    "020 DDDD DDDD", "01 DD DD DD DD", "030 NDDDDDD", "0044 20 DDDD DDDD", "(02) DDDD DDDD",
]
CONTEXTS = [
    ("Call {} today.", "Call ", " today."),
    ("(Tel: {})", "(Tel: ", ")"),
    ("Phone: {}\n", "Phone: ", "\n"),
    ("or at {}, or by mail", "or at ", ", or by mail"),
    ("\n{}\n", "\n", "\n"),
]


def fill(form: str, rng: random.Random) -> str:
    out = []
    for ch in form:
        out.append(str(rng.randint(2, 9)) if ch == "N" else str(rng.randint(0, 9)) if ch == "D" else ch)
    return "".join(out)


def plant(texts: list[str], forms: list[str], per_form: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(form, number, planted text, expected fragment) for each plant."""
    rows = []
    for form in forms:
        for _ in range(per_form):
            doc = rng.choice(texts)
            spaces = [m.start() for m in re.finditer(r"(?<=[.!?]) ", doc)] or [len(doc)]
            at = rng.choice(spaces)
            template, left, right = rng.choice(CONTEXTS)
            number = fill(form, rng)
            planted = doc[:at] + " " + template.format(number) + " " + doc[at:]
            rows.append((form, number, planted, f"{left}{PH}{right}"))
    return rows


def recall(mod: types.ModuleType, rows: list[tuple[str, str, str, str]]) -> tuple[dict[str, float], list]:
    masked, _ = mod.PIIMasker().mask(pa.array([r[2] for r in rows], pa.large_string()))
    per_form: dict[str, list[int]] = {}
    misses = []
    for (form, number, _, fragment), out in zip(rows, masked.to_pylist()):
        ok = fragment in out and number not in out
        per_form.setdefault(form, []).append(ok)
        if not ok:
            misses.append((form, number))
    return {f: sum(v) / len(v) for f, v in per_form.items()}, misses


# -- matches on real text -----------------------------------------------------------------
OPEN, CLOSE = "\ufdd1", "\ufdd2"  # noncharacters, as the masker's sentinel


def phone_spans(mod: types.ModuleType, texts: list[str]) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The phone matches of ``mod`` on each text, found by RE2 itself: the phone rule runs
    on the text after email and IP masking (returned with the spans) with a rewrite that
    wraps each number in two marker characters instead of replacing it."""
    import pyarrow.compute as pc

    pre, _ = mod.PIIMasker(mask_phones=False).mask(pa.array(texts, pa.large_string()))
    if hasattr(mod, "_protect_phones"):  # several alternatives, each with its context group
        rewrite = f"{mod._CONTEXT}{OPEN}{mod._NUMBER}{CLOSE}"
        marked = pc.replace_substring_regex(mod._protect_phones(pre), mod.PHONE_RE, rewrite)
    else:  # the rule before: context in 1, number in 2
        marked = pc.replace_substring_regex(pre, mod.PHONE_RE, f"\\1{OPEN}\\2{CLOSE}")
    out = []
    for text, m in zip(pre.to_pylist(), marked.to_pylist()):
        m = m.replace(mod.SENTINEL, "")
        spans, clean, pos = [], [], 0
        for part in re.split(f"({OPEN}|{CLOSE})", m):
            if part == OPEN:
                start = pos
            elif part == CLOSE:
                spans.append((start, pos, "".join(clean)[start:pos]))
            else:
                clean.append(part)
                pos += len(part)
        assert "".join(clean) == text
        out.append((text, spans))
    return out


def false_positives(
    mod: types.ModuleType, texts: list[str], show: int, rng: random.Random, dump: str | None = None
) -> None:
    import phonenumbers
    from phonenumbers import Leniency, PhoneNumberMatcher

    rows = phone_spans(mod, texts)
    masked, counts = mod.PIIMasker().mask(pa.array(texts, pa.large_string()))
    total = sum(len(s) for _, s in rows)
    if total != sum(counts["pii_phones"].to_pylist()):
        print(f"  (spans {total} != pii_phones {sum(counts['pii_phones'].to_pylist())}: protection order)")
    unmatched: dict[str, list[tuple[str, str]]] = {"POSSIBLE": [], "VALID": []}
    pn_valid_missed = []
    pn_valid_total = 0
    for text, spans in rows:
        for name, lenient in (("POSSIBLE", Leniency.POSSIBLE), ("VALID", Leniency.VALID)):
            pn = [(m.start, m.end) for m in PhoneNumberMatcher(text, "US", leniency=lenient)]
            for s, e, raw in spans:
                if not any(ps < e and s < pe for ps, pe in pn):
                    unmatched[name].append((raw, text[max(0, s - 40) : e + 40].replace("\n", " | ")))
            if name == "VALID":
                pn_valid_total += len(pn)
                for ps, pe in pn:
                    if not any(ps < e and s < pe for s, e, _ in spans):
                        pn_valid_missed.append((text[ps:pe], text[max(0, ps - 40) : pe + 40].replace("\n", " | ")))
    print(f"  phone matches on {len(texts)} real documents: {total}; a sample:")
    everything = [(raw, text[max(0, s - 30) : e + 30].replace("\n", " | ")) for text, spans in rows for s, e, raw in spans]
    for raw, ctx in rng.sample(everything, min(show, len(everything))):
        print(f"    {raw!r:32} ... {ctx!r}")
    if dump:
        with open(dump, "w", encoding="utf-8") as f:
            for raw, ctx in everything:
                f.write(f"MATCH\t{raw!r}\t{ctx!r}\n")
    for name, items in unmatched.items():
        print(f"  not a phonenumbers ({name}, region US) match: {len(items)} of {total}")
    items = unmatched["POSSIBLE"]
    for raw, ctx in rng.sample(items, min(show, len(items))):
        print(f"    {raw!r:32} ... {ctx!r}")
    items = unmatched["VALID"]
    print("  (VALID-only disagreements, sample)")
    only_valid = [x for x in items if x not in unmatched["POSSIBLE"]]
    for raw, ctx in rng.sample(only_valid, min(show, len(only_valid))):
        print(f"    {raw!r:32} ... {ctx!r}")
    print(f"  phonenumbers VALID matches on the same text: {pn_valid_total}; left unmasked: {len(pn_valid_missed)}")
    if dump:
        with open(dump, "a", encoding="utf-8") as f:
            for raw, ctx in pn_valid_missed:
                f.write(f"PN_VALID_UNMASKED\t{raw!r}\t{ctx!r}\n")
    for raw, ctx in rng.sample(pn_valid_missed, min(show, len(pn_valid_missed))):
        print(f"    {raw!r:32} ... {ctx!r}")
    del phonenumbers, masked


def throughput(mod: types.ModuleType, arr: pa.Array, repeat: int) -> tuple[float, float]:
    mb = sum(len(t.encode()) for t in arr.to_pylist()) / 1e6
    rates = []
    for masker in (mod.PIIMasker(), mod.PIIMasker(mask_emails=False, mask_ips=False)):
        best = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            masker.mask(arr)
            best = min(best, time.perf_counter() - t0)
        rates.append(mb / best)
    return rates[0], rates[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared-data")
    ap.add_argument("--compare", default="HEAD", help="git revision whose filters/pii.py is the baseline ('' for none)")
    ap.add_argument("--per-form", type=int, default=40)
    ap.add_argument("--show", type=int, default=40, help="matches to print for inspection")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dump", help="write every match of the working tree and every phonenumbers miss to this file")
    ap.add_argument("--fp-baseline", action="store_true", help="also run the phonenumbers comparison for --compare")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO))
    texts = load_corpus(shared_data(args.shared_data))
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"corpus: {len(texts)} real documents, {mb:.1f} MB")
    mods = {"working tree": load_pii_module(None)}
    if args.compare:
        mods[args.compare] = load_pii_module(args.compare)

    rng = random.Random(args.seed)
    plants = {k: plant(texts, forms, args.per_form, rng) for k, forms in
              (("NANP", NANP_FORMS), ("international", INTL_FORMS), ("out of scope", OUT_OF_SCOPE_FORMS))}
    arr = pa.array(texts, pa.large_string())
    # the worst case for the masker's subset pass: a phone number in every document
    dense = pa.array([t + "\nCall (415) 555-2671." for t in texts], pa.large_string())
    for label, mod in mods.items():
        print(f"\n== {label}")
        for kind, rows in plants.items():
            per_form, misses = recall(mod, rows)
            r = sum(v * args.per_form for v in per_form.values()) / len(rows)
            print(f"  recall, {kind} ({len(per_form)} forms x {args.per_form}): {r:.3f}")
            for form, v in per_form.items():
                if v < 1 and kind != "out of scope":
                    print(f"    {form!r}: {v:.2f}  e.g. {next(n for f, n in misses if f == form)!r}")
        full, phones = throughput(mod, arr, args.repeat)
        print(f"  throughput: mask() all kinds {full:.1f} MB/s; phones only {phones:.1f} MB/s")
        full, phones = throughput(mod, dense, args.repeat)
        print(f"  throughput, a number in every document: all kinds {full:.1f} MB/s; phones only {phones:.1f} MB/s")
    for label, mod in mods.items():
        if label != "working tree" and not args.fp_baseline:
            continue
        print(f"\n== false positives, {label}")
        false_positives(mod, texts, args.show, random.Random(args.seed), args.dump if label == "working tree" else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
