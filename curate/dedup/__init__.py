"""Deduplication logic: exact and MinHash-LSH near-duplicate removal as global stages.

- :mod:`~curate.dedup.base` -- document keys, keep policies, clusters to per-file
  decisions, and :class:`~curate.dedup.base.DedupStage` (drops the duplicates).
- :mod:`~curate.dedup.exact` -- ``exact_dedup`` (text or URL key) and ``line_dedup``.
- :mod:`~curate.dedup.fuzzy` -- ``minhash_dedup``: signatures, LSH bands, verification,
  and reusable indexes of earlier runs.
- :mod:`~curate.dedup.lsh_params` -- LSH bands x rows for a threshold (datasketch's optimum).
- :mod:`~curate.dedup.minhash` -- the compiled shingling and MinHash kernels.
- :mod:`~curate.dedup.components` -- connected components over candidate pairs, by partition.

How global stages run (task runners, work folders, restartable steps) is not here: see
:mod:`curate.execution`.
"""
