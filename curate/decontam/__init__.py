"""Benchmark decontamination: n-gram overlap between training documents and evaluation sets.

- :mod:`~curate.decontam.benchmarks`: where the benchmarks are and which fields hold text;
- :mod:`~curate.decontam.ngrams`: normalised word n-gram hashes and the batch lookup;
- :mod:`~curate.decontam.index`: the saved, reusable index of the benchmarks' n-grams;
- :mod:`~curate.decontam.stage`: the ``decontaminate`` stage (drop, remove_spans, flag);
- :mod:`~curate.decontam.partitioned`: the hash-partitioned join for an index too large
  to load in every worker;
- :mod:`~curate.decontam.summary`: contamination per benchmark for ``stats.json``.
"""
