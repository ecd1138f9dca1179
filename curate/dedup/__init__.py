"""Deduplication: exact and MinHash-LSH near-duplicate removal as global stages."""
