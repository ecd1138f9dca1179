"""Tokenization: tokenizers, the ``tokenize`` stage, tokenized Parquet shards.

- :mod:`~curate.tokenize.tokenizer` -- load a tokenizer (HF ``tokenizer.json``, tiktoken).
- :mod:`~curate.tokenize.stage` -- the ``tokenize`` map stage (token ids per document).
- :mod:`~curate.tokenize.shards` -- mix, shuffle and write training shards with a manifest
  (``curate tokenize``, mixtures); its tasks are in :mod:`~curate.tokenize.bucket_tasks`,
  the mixture arithmetic in :mod:`~curate.tokenize.sampling`, the settings in
  :mod:`~curate.tokenize.settings`.
- :mod:`~curate.tokenize.sink` -- ``output.tokenized``: a run's kept documents to shards,
  as a global sink.

The shards are read back by :mod:`curate.loader`.
"""
