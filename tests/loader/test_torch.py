"""TorchPackedDataset: real PyTorch when installed, else a stand-in for the worker logic."""

from __future__ import annotations

import importlib.util
import sys
import types
from collections import Counter

import numpy as np
import pytest

import curate.loader as loader_module
from curate.loader import PackedSequenceLoader, TokenDatasetError, torch_dataset
from tests.loader.helpers import doc_counter, split_documents

HAS_TORCH = importlib.util.find_spec("torch") is not None


def _key(item) -> bytes:
    return np.asarray(item["input_ids"]).tobytes() + np.asarray(item["loss_mask"]).tobytes()


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed")
def test_torch_dataloader_with_workers(small16):
    import torch
    from torch.utils.data import DataLoader

    ds = loader_module.TorchPackedDataset(
        str(small16.path), 1000, drop_last=False, continue_positions=True
    )
    items = list(DataLoader(ds, batch_size=None, num_workers=2))
    assert all(isinstance(item["input_ids"], torch.Tensor) for item in items)
    arrays = [{k: v.numpy() for k, v in item.items()} for item in items]
    assert len(arrays) == ds.num_items(2)
    # Each worker's stream is packed separately; together they hold every document once.
    by_worker = [
        list(
            PackedSequenceLoader(
                str(small16.path),
                1000,
                drop_last=False,
                continue_positions=True,
                worker_id=w,
                num_workers=2,
            )
        )
        for w in range(2)
    ]
    docs = split_documents(by_worker[0]) + split_documents(by_worker[1])
    assert doc_counter(docs) == doc_counter(small16.docs)
    assert Counter(map(_key, arrays)) == Counter(_key(i) for w in by_worker for i in w)
    # Resume after 7 items (a round boundary with 2 workers is 6 or 8; 7 is mid-round).
    ds.load_state_dict(ds.state_dict(7, num_workers=2))
    rest = [
        {k: v.numpy() for k, v in item.items()}
        for item in DataLoader(ds, batch_size=None, num_workers=2)
    ]
    assert Counter(map(_key, rest)) == Counter(map(_key, arrays[7:]))


@pytest.mark.skipif(HAS_TORCH, reason="PyTorch is installed")
def test_without_torch_a_clear_import_error(small16):
    loader_module._torch_class.cache_clear()
    with pytest.raises(ImportError, match="needs PyTorch"):
        torch_dataset(str(small16.path), 128)
    with pytest.raises(ImportError, match="needs PyTorch"):
        loader_module.TorchPackedDataset  # noqa: B018


@pytest.fixture
def fake_torch(monkeypatch):
    """A minimal stand-in for ``torch`` so the wrapper's worker logic runs without it."""
    current: dict = {"info": None}
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch.utils")
    data = types.ModuleType("torch.utils.data")

    class IterableDataset:
        def __init__(self) -> None:
            pass

    data.IterableDataset = IterableDataset
    data.get_worker_info = lambda: current["info"]
    torch.from_numpy = lambda array: array
    torch.utils = utils
    utils.data = data
    for name, module in (("torch", torch), ("torch.utils", utils), ("torch.utils.data", data)):
        monkeypatch.setitem(sys.modules, name, module)
    loader_module._torch_class.cache_clear()
    yield current
    loader_module._torch_class.cache_clear()


def _data_loader(ds, current, num_workers):
    """Round-robin over per-worker iterators, as torch's DataLoader (in_order) does."""
    streams = []
    for w in range(max(1, num_workers)):
        current["info"] = (
            types.SimpleNamespace(id=w, num_workers=num_workers) if num_workers else None
        )
        streams.append(list(iter(ds)))
    current["info"] = None
    out, t = [], 0
    while any(t < len(s) for s in streams):
        out += [s[t] for s in streams if t < len(s)]
        t += 1
    return out


def test_wrapper_splits_workers_and_resumes(small16, fake_torch):
    cls = loader_module.TorchPackedDataset
    assert cls.__name__ == "TorchPackedDataset" and cls.__module__ == "curate.loader"
    ds = torch_dataset(str(small16.path), 700, drop_last=False, continue_positions=True, seed=2)
    single = _data_loader(ds, fake_torch, 0)
    assert len(single) == ds.num_items(0)
    assert doc_counter(split_documents(single)) == doc_counter(small16.docs)
    items = _data_loader(ds, fake_torch, 3)
    assert len(items) == ds.num_items(3)
    per_worker = [
        PackedSequenceLoader(
            str(small16.path),
            700,
            drop_last=False,
            continue_positions=True,
            seed=2,
            worker_id=w,
            num_workers=3,
        )
        for w in range(3)
    ]
    assert sorted(u.index for p in per_worker for u in p.units) == list(range(34))
    docs = [d for p in per_worker for d in split_documents(list(p))]
    assert doc_counter(docs) == doc_counter(small16.docs)
    for k in (0, 6, 7, 40, len(items) - 1, len(items)):
        ds.load_state_dict(ds.state_dict(k, num_workers=3))
        rest = _data_loader(ds, fake_torch, 3)
        assert Counter(map(_key, rest)) == Counter(map(_key, items[k:]))
        if k % 3 == 0 and k < 60:
            assert [_key(i) for i in rest] == [_key(i) for i in items[k:]]
    ds.load_state_dict(ds.state_dict(5, num_workers=3))
    with pytest.raises(TokenDatasetError, match="saved with 3 DataLoader workers, now 2"):
        _data_loader(ds, fake_torch, 2)
    ds.set_epoch(1)
    assert Counter(map(_key, _data_loader(ds, fake_torch, 3))) != Counter(map(_key, items))


def test_wrapper_batches(small16, fake_torch):
    ds = torch_dataset(str(small16.path), 512, batch_size=4)
    batches = _data_loader(ds, fake_torch, 2)
    assert batches and all(b["input_ids"].shape == (4, 512) for b in batches)
    assert all(b["cu_seqlens"][-1] == 4 * 512 for b in batches)
    with pytest.raises(TypeError, match="sets num_workers itself"):
        torch_dataset(str(small16.path), 512, num_workers=2)
