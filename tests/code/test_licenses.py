"""Licence detection: bundled licence texts, real licence files, SPDX headers, file names."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from curate.code.licenses import (
    detect_license,
    is_license_file,
    license_file_rank,
    match_bundled,
    match_phrases,
    spdx_header,
)
from tests.code.conftest import MIT_TEXT

STDLIB = Path(sysconfig.get_paths()["stdlib"])
COMMON = (
    "MIT Apache-2.0 BSD-3-Clause BSD-2-Clause GPL-3.0 GPL-2.0 LGPL-3.0 LGPL-2.1 AGPL-3.0".split()
)
COMMON += "MPL-2.0 ISC Unlicense BSL-1.0 0BSD Zlib".split()


def bundled_texts() -> dict[str, str]:
    licenses = pytest.importorskip("identify.vendor.licenses")
    return dict(licenses.LICENSES)


@pytest.mark.parametrize("spdx", COMMON)
def test_bundled_texts(spdx):
    """identify's texts (choosealicense.com) are recognised by the whole-text match."""
    pytest.importorskip("ukkonen")
    text = bundled_texts()[spdx]
    assert detect_license(text) == spdx
    assert match_bundled(text) == spdx


@pytest.mark.parametrize("spdx", COMMON)
def test_phrase_fallback_on_bundled_texts(spdx):
    """Without identify the title/phrase rules still name the common licences."""
    assert match_phrases(bundled_texts()[spdx]) == spdx


def test_all_bundled_licences_round_trip():
    pytest.importorskip("ukkonen")
    for spdx, text in bundled_texts().items():
        assert match_bundled(text) == spdx


def test_identify_vendored_licences_have_the_shape_curate_reads():
    """curate.code.licenses reads identify's non-public ``identify.vendor.licenses.LICENSES``
    (a tuple of (SPDX id, licence text) pairs in identify 2.x).  A new identify that moves or
    reshapes it must fail here, loudly: then update curate.code.licenses and the
    ``identify<3`` pin in pyproject.toml together."""
    from importlib.metadata import version

    from packaging.requirements import Requirement

    from curate.code.licenses import IDENTIFY_REQUIREMENT

    pytest.importorskip("identify")
    installed = version("identify")
    assert Requirement(IDENTIFY_REQUIREMENT).specifier.contains(installed), (
        f"identify {installed} is outside {IDENTIFY_REQUIREMENT}"
    )
    from identify.vendor.licenses import LICENSES  # no importorskip: a move must fail

    assert isinstance(LICENSES, tuple) and len(LICENSES) >= 30, type(LICENSES)
    for entry in LICENSES:
        assert isinstance(entry, tuple) and len(entry) == 2, entry
        spdx, text = entry
        assert isinstance(spdx, str) and isinstance(text, str), entry
        assert len(text) > 100, spdx
    ids = [spdx for spdx, _ in LICENSES]
    assert len(set(ids)) == len(ids), "SPDX ids repeat"
    assert set(COMMON) <= set(ids), sorted(set(COMMON) - set(ids))


def test_pyproject_pins_identify_to_the_tested_series():
    """The code extra pins identify to the series whose layout curate reads."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    from packaging.requirements import Requirement

    from curate.code.licenses import IDENTIFY_REQUIREMENT

    root = Path(__file__).resolve().parents[2]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pinned = [Requirement(r) for r in extras["code"] if Requirement(r).name == "identify"]
    assert [str(r) for r in pinned] == [str(Requirement(IDENTIFY_REQUIREMENT))]


def test_a_moved_identify_table_fails_with_a_message(monkeypatch):
    """identify installed without the table curate reads: an ImportError that says what to do."""
    import sys
    import types

    import curate.code.licenses as licenses

    pytest.importorskip("identify")
    pytest.importorskip("ukkonen")
    monkeypatch.setitem(sys.modules, "identify.vendor.licenses", types.ModuleType("identify.vendor.licenses"))
    licenses._bundled_licenses.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"identify \S+ has no identify\.vendor\.licenses\.LICENSES.*<3"):
            licenses._bundled_licenses()
    finally:
        licenses._bundled_licenses.cache_clear()


def test_mit_with_a_real_copyright_line():
    assert detect_license(MIT_TEXT) == "MIT"
    assert match_phrases(MIT_TEXT) == "MIT"


def test_edited_text_within_tolerance():
    pytest.importorskip("ukkonen")
    text = bundled_texts()["BSD-3-Clause"].replace("[year] [fullname]", "2001 Someone Else, Inc.")
    assert detect_license(text.replace("POSSIBILITY", "possibility")) == "BSD-3-Clause"


def test_python_licence_is_psf():
    """Python's LICENSE.txt holds its licence history around the PSF licence."""
    path = STDLIB / "LICENSE.txt"
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    assert detect_license(path.read_text(encoding="utf-8")) == "PSF-2.0"


def test_apache_with_appendix_and_notice():
    text = bundled_texts()["Apache-2.0"] + "\n\nThird-party notices:\n" + "lorem ipsum " * 2000
    assert detect_license(text) == "Apache-2.0"


def test_gpl_with_a_preamble_of_the_project():
    text = "This program is part of Foo.\n" * 40 + bundled_texts()["GPL-3.0"]
    assert detect_license(text) == "GPL-3.0"


@pytest.mark.parametrize(
    "text", ["", "All rights reserved.", "See the website for terms.", "x" * 5000]
)
def test_no_licence(text):
    assert detect_license(text) is None


def test_apache_boilerplate_notice():
    notice = (
        'Licensed under the Apache License, Version 2.0 (the "License");\nyou may not use this file'
    )
    assert detect_license(notice) == "Apache-2.0"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("// SPDX-License-Identifier: MIT\nint x;\n", "MIT"),
        ("/* SPDX-License-Identifier: GPL-2.0 OR MIT */\n", "GPL-2.0 OR MIT"),
        ("# SPDX-License-Identifier: Apache-2.0\nimport os\n", "Apache-2.0"),
        ("<!-- SPDX-License-Identifier: CC-BY-4.0 -->\n", "CC-BY-4.0"),
        ("#!/bin/sh\n# SPDX-License-Identifier: GPL-2.0-only\n", "GPL-2.0-only"),
        ("-- SPDX-License-Identifier: (MIT OR Apache-2.0)\n", "(MIT OR Apache-2.0)"),
        ("int main(void) { return 0; }\n", None),
        ("x\n" * 3000 + "// SPDX-License-Identifier: MIT\n", None),
    ],
)
def test_spdx_header(head, expected):
    assert spdx_header(head) == expected


@pytest.mark.parametrize(
    ("name", "is_licence"),
    [
        ("LICENSE", True),
        ("LICENSE.md", True),
        ("LICENSE.txt", True),
        ("license.rst", True),
        ("LICENCE", True),
        ("COPYING", True),
        ("COPYING.LESSER", True),
        ("UNLICENSE", True),
        ("LICENSE-MIT", True),
        ("LICENSE-APACHE", True),
        ("docs/LICENSE", False),
        ("README.md", False),
        ("licenses.py", False),
    ],
)
def test_licence_file_names(name, is_licence):
    assert is_license_file(name) is is_licence


def test_licence_file_ranks():
    ranks = {
        name: license_file_rank(name)
        for name in ("COPYING.LESSER", "LICENSE", "COPYING", "LICENSE-MIT")
    }
    assert sorted(ranks, key=ranks.__getitem__) == [
        "COPYING.LESSER",
        "LICENSE",
        "COPYING",
        "LICENSE-MIT",
    ]


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        ("six", "MIT"),
        ("requests", "Apache-2.0"),
        ("numpy", "BSD-3-Clause"),
        ("typing_extensions", "PSF-2.0"),
        ("certifi", "MPL-2.0"),
        ("pyarrow", "Apache-2.0"),
    ],
)
def test_installed_distribution_licences(dist, expected):
    """Licence files of packages installed here (skipped when the package is absent)."""
    from importlib import metadata

    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        pytest.skip(f"{dist} is not installed")
    licences = [
        f
        for f in files
        if f.name.upper().startswith(("LICEN", "COPYING")) and ".dist-info" in str(f)
    ]
    top = [f for f in licences if "licenses/" not in str(f) or str(f).count("/") <= 2]
    if not top:
        pytest.skip(f"{dist} ships no licence file")
    text = Path(top[0].locate()).read_text(encoding="utf-8", errors="replace")
    assert detect_license(text) == expected
