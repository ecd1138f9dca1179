"""``output.tokenized``: a run's kept, tokenized documents shuffled into training shards.

A global sink (:class:`curate.execution.global_stage.GlobalSink`): it runs once after the
run's last phase, over every kept document, and writes ``tokens/`` and the tokenized
manifest beside ``data/`` (see :mod:`curate.tokenize.shards`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from curate.errors import RunError
from curate.ownership import remove_files

if TYPE_CHECKING:
    from curate.execution.tasks import TaskRunner
    from curate.output import OutputLayout
    from curate.pipeline import Pipeline
    from curate.tokenize.settings import TokenizedSettings

TOKENIZED_OPTIONS = {"shard_tokens", "row_group_tokens", "seed", "total_tokens", "keep_documents"}


@dataclass
class TokenizedShards:
    """Training shards of the documents the pipeline's last stage (``tokenize``) tokenized."""

    source: str
    settings: TokenizedSettings
    keep_documents: bool = True
    name: str = "tokenized"

    @classmethod
    def from_pipeline(cls, pipeline: Pipeline) -> TokenizedShards:
        """The sink ``pipeline.output.tokenized`` asks for; a wrong setting is a RunError."""
        from curate.tokenize.settings import TokenizedSettings
        from curate.tokenize.stage import Tokenize

        options = dict(pipeline.output.tokenized or {})
        unknown = set(options) - TOKENIZED_OPTIONS
        if unknown:
            raise RunError(f"output.tokenized: unknown settings {sorted(unknown)}; known: {sorted(TOKENIZED_OPTIONS)}")
        last = pipeline.stages[-1] if pipeline.stages else None
        if not isinstance(last, Tokenize):
            raise RunError("output.tokenized needs the pipeline's last stage to be tokenize: {tokenizer: ...}")
        keep_documents = options.pop("keep_documents", True)
        settings = TokenizedSettings(tokenizer=last.tokenizer, add_bos=last.add_bos, add_eos=last.add_eos, reuse_ids=True, **options)
        return cls(source=pipeline.name, settings=settings, keep_documents=keep_documents)

    def write(self, files: list[str], layout: OutputLayout, runner: TaskRunner, pipeline: dict[str, Any]) -> str:
        from curate.tokenize.settings import Source
        from curate.tokenize.shards import write_tokenized

        manifest = write_tokenized([Source(self.source, sorted(files))], layout.root, self.settings, runner, pipeline=pipeline)
        if not self.keep_documents:
            remove_files(layout.fs, layout.base, layout.owned_part_files(layout.data_dir))
        totals = manifest["totals"]
        return f"{totals['tokens']:,} tokens of {totals['documents']:,} documents in {len(manifest['shards'])} shards -> {layout.root}/tokens"


__all__ = ["TOKENIZED_OPTIONS", "TokenizedShards"]
