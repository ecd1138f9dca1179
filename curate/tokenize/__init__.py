"""Tokenization: tokenizers, the ``tokenize`` stage, tokenized Parquet shards."""
