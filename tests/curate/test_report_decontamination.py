"""``curate report`` on an output of ``decontaminate``: the per-benchmark figures of
stats.json in a table and a chart; no section without the stage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curate.pipeline import pipeline_from_dict
from curate.report import write_report
from curate.run import run_pipeline

pytest.importorskip("vl_convert")

QUESTION = "Which planet in the solar system has the longest day measured against its own year and why does it spin backwards"
FILLER = "The harbour was quiet in the early morning and the boats rocked gently against the old stone wall. "


def test_the_decontamination_section_is_stats_json(tmp_path: Path) -> None:
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"id": "q7", "question": QUESTION, "answer": "Venus"}) + "\n"
                     + json.dumps({"id": "q8", "question": "An item nobody copied into any document at all, long enough to index.", "answer": "x"}) + "\n")
    docs = tmp_path / "docs.jsonl"
    rows = [{"id": f"clean-{i}", "text": FILLER * 6} for i in range(3)]
    rows += [{"id": "copy-1", "text": FILLER * 3 + QUESTION + ". " + FILLER * 3},
             {"id": "copy-2", "text": QUESTION.upper() + "? " + FILLER}]
    docs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    pipeline = pipeline_from_dict({"name": "dc", "input": {"format": "jsonl"}, "stages": [
        {"decontaminate": {"benchmarks": [{"name": "planets", "path": str(bench), "fields": ["question", "answer"], "id_field": "id"}]}}]})
    run_pipeline(pipeline, inputs=[str(docs)], output=str(tmp_path / "out"), executor="local")
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    figures = stats["decontamination"]["decontaminate"]["benchmarks"]["planets"]
    assert (figures["documents"], figures["documents_dropped"], figures["items_touched"], figures["items"]) == (2, 2, 1, 2)

    write_report(str(tmp_path / "out"), str(tmp_path / "report.html"))
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<h2 id="decontamination">'):]
    row = re.search(r"<tr><td>planets</td>(.*?)</tr>", section)
    assert row is not None
    cells = [int(c.replace(",", "")) for c in re.findall(r'<td class="n">([\d,]+)</td>', row.group(1))]
    assert cells == [2, 0, 2, 0, 1, 2, 0]
    specs = json.loads(re.search(r'<script type="application/json" id="curate-specs">(.*?)</script>', page, re.S).group(1))
    assert {v["documents"] for v in specs["decontamination-0"]["data"]["values"] if v["set"] == "dropped"} == {2}


def test_no_decontaminate_stage_no_section(tmp_path: Path) -> None:
    docs = tmp_path / "docs.jsonl"
    docs.write_text(json.dumps({"id": "a", "text": FILLER * 10}) + "\n")
    run_pipeline(pipeline_from_dict({"name": "plain", "input": {"format": "jsonl"}, "stages": [{"gopher_quality": {}}]}),
                 inputs=[str(docs)], output=str(tmp_path / "out"), executor="local")
    write_report(str(tmp_path / "out"), str(tmp_path / "report.html"))
    assert 'id="decontamination"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
