"""exact_dedup with ``key: url`` compares curate's URL key (:func:`curate.urls.url_keys`)."""

from __future__ import annotations

from pathlib import Path

from curate.pipeline import pipeline_from_dict
from curate.run import run_pipeline
from tests.dedup.helpers import outcome, write_parquet

URLS = {
    "a": "https://www.Example.com/Path/?b=2&a=1#frag",
    "a_host_case_port": "http://EXAMPLE.com:80/Path?a=1&b=2",
    "a_escapes_dots": "https://user@example.com/x/../%50ath/?a=1&&b=2",
    "a_path_case": "https://example.com/path?a=1&b=2",  # paths are case-sensitive
    "a_other_query": "https://example.com/Path?a=1&b=3",
    "b": "http://bücher.de/x/",
    "b_idn": "https://xn--bcher-kva.de/x",
    "c": "https://example.com:8080/Path?a=1&b=2",  # another port
}


def test_exact_dedup_by_url_uses_the_url_key(tmp_path: Path) -> None:
    ids = list(URLS)
    write_parquet(tmp_path / "in" / "docs.parquet", ids, [f"text {i}" for i in ids], url=list(URLS.values()))
    pipeline = pipeline_from_dict({"stages": [{"exact_dedup": {"key": "url"}}]})
    run_pipeline(pipeline, [str(tmp_path / "in")], str(tmp_path / "out"), executor="local")
    result = outcome(tmp_path / "out")
    assert result.kept_ids == {"a", "a_path_case", "a_other_query", "b", "c"}
    assert {i: r["reason"] for i, r in result.removed.items()} == dict.fromkeys(
        ("a_host_case_port", "a_escapes_dots", "b_idn"), "duplicate_url"
    )
    assert result.removed["a_escapes_dots"]["duplicate_of"] == "a"
    assert result.removed["b_idn"]["duplicate_of"] == "b"
