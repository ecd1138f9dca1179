"""The README's picture of ``curate report`` is made here, by headless Chromium, from the
shipped sample: ``CURATE_UPDATE_DOCS=1 pytest tests/curate/test_report_screenshot.py``
rewrites ``docs/report.png``.  Without that variable the test still takes the screenshot
(into a temporary folder) and checks it is not blank, and that the README shows the file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from curate.pipeline import load_pipeline
from curate.report import write_report
from curate.run import run_pipeline
from tests.curate.browser import find_browser, png_pixels, run_browser

pytest.importorskip("vl_convert")

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"
PICTURE = REPO / "docs" / "report.png"


def test_the_readme_picture_is_a_screenshot_of_a_real_report(tmp_path, monkeypatch):
    browser = find_browser()
    if browser is None:
        pytest.skip("chromium is not installed: apt-get install chromium")
    monkeypatch.chdir(tmp_path)  # the page names the output as the README's command does: out/sample
    run_pipeline(load_pipeline(REPO / "pipelines" / "commoncrawl.yaml"), inputs=[str(SAMPLE)], output="out/sample",
                 executor="local")
    page = tmp_path / "report.html"
    write_report("out/sample", str(page))
    shot = tmp_path / "report.png"
    run_browser(browser, page, "--window-size=1100,1400", f"--screenshot={shot}")
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1100, 1400)
    # not blank: a page of text and charts has many distinct byte values and few of them white
    assert len(set(pixels)) > 50
    assert pixels.count(255) < 0.97 * len(pixels)
    if os.environ.get("CURATE_UPDATE_DOCS") == "1":
        PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, PICTURE)
    assert "docs/report.png" in (REPO / "README.md").read_text(encoding="utf-8")
    assert PICTURE.exists(), "run with CURATE_UPDATE_DOCS=1 to make docs/report.png"
