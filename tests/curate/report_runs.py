"""Shared by the report and diff tests: runs of the shipped sample through
pipelines/commoncrawl.yaml, and the parts of a report page (its JSON blocks, its sections)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml

from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline

REPO = Path(__file__).resolve().parents[2]
PIPELINE = REPO / "pipelines" / "commoncrawl.yaml"
SAMPLE = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"


def run_sample(directory: Path, dedup: bool = False, stage_settings: dict[str, dict[str, object]] | None = None) -> str:
    """pipelines/commoncrawl.yaml (without minhash_dedup unless ``dedup``: fast), ``stage_settings``
    applied, run on the shipped sample into ``directory`` (in this process); its path."""
    data = yaml.safe_load(PIPELINE.read_text())
    stages = []
    for entry in data["stages"]:
        (name, settings), = entry.items()
        if name == "minhash_dedup" and not dedup:
            continue
        stages.append({name: {**(settings or {}), **(stage_settings or {}).get(name, {})}})
    pipeline = pipeline_from_dict(copy.deepcopy({**data, "stages": stages}), source_file=str(PIPELINE))
    run_pipeline(pipeline, inputs=[str(SAMPLE)], output=str(directory), executor="local")
    return str(directory)


def json_block(page: str, block_id: str) -> dict:
    """The page's ``<script type="application/json" id="block_id">`` block, parsed."""
    match = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    assert match, block_id
    return json.loads(match.group(1))


def page_section(page: str, section_id: str) -> str:
    """The HTML from the section's heading to the next h2 (or the first script element)."""
    start = page.index(f'<h2 id="{section_id}">')
    ends = [i for i in (page.find("<h2", start + 1), page.find("<script", start)) if i > 0]
    return page[start:min(ends)]
