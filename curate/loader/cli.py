"""``python -m curate.loader DIR``: print a tokenized dataset's summary and loader throughput."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from curate.loader.dataset import TokenDataset
from curate.loader.format import TokenDatasetError
from curate.loader.timing import loader_throughput


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m curate.loader DIR``: print the dataset summary and loader throughput."""
    parser = argparse.ArgumentParser(prog="python -m curate.loader", description=main.__doc__)
    parser.add_argument("path")
    parser.add_argument("--seq-len", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--no-shuffle", action="store_true")
    parser.add_argument("--max-items", type=int, default=None)
    parser.add_argument("--prefetch", action="store_true")
    args = parser.parse_args(argv)
    try:
        ds = TokenDataset(args.path)
        result = loader_throughput(
            ds,
            args.seq_len,
            batch_size=args.batch_size,
            shuffle=not args.no_shuffle,
            prefetch=args.prefetch,
            max_items=args.max_items,
        )
    except TokenDatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"dataset": repr(ds), "units": len(ds.units()), **result}, indent=2))
    return 0
