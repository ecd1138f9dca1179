"""Execution: how a planned pipeline runs, in this process or on Ray.

- :mod:`~curate.execution.phases` -- :class:`~curate.execution.phases.Run`, one run's state,
  and the phase-by-phase loop (resume, global stages between phases).
- :mod:`~curate.execution.executor` -- choose the executor (``auto``/``local``/``ray``) and
  stream one phase on it, feeding the live progress view.
- :mod:`~curate.execution.local` -- the in-process executor.
- :mod:`~curate.execution.ray_executor` -- the Ray Data executor: Ray start-up, fused
  segments as task or actor pools, shared-folder checks.
- :mod:`~curate.execution.common` -- what both executors do per input and per batch (read,
  apply a stage, write parts).
- :mod:`~curate.execution.progress` -- live counters (in-process, or a Ray actor).
- :mod:`~curate.execution.global_stage` -- the ``GlobalStage`` interface (dedup), the
  per-batch ``ApplyDecisions`` stage, and ``GlobalSink`` (tokenized shards).
- :mod:`~curate.execution.tasks` -- task runners (local or Ray tasks) and restartable steps.
- :mod:`~curate.execution.workdir` -- a global stage's work folder: atomic Parquet files,
  partitions, done markers.

Nothing here knows a particular stage: dedup (:mod:`curate.dedup`) and tokenization
(:mod:`curate.tokenize`) plug in through the global-stage interfaces.
"""
