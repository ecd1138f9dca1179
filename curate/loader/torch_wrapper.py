"""The PyTorch face of the loader: ``TorchPackedDataset``, a
``torch.utils.data.IterableDataset`` over :class:`PackedSequenceLoader`.

torch is imported only when the class is first asked for (:func:`torch_dataset`, or the
``curate.loader.TorchPackedDataset`` attribute), so the loader runs without it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from curate.loader.dataset import TokenDataset
from curate.loader.format import TokenDatasetError
from curate.loader.order import round_robin_consumed
from curate.loader.packing import PackedSequenceLoader

# Where the class is found by name (pickle, for DataLoader workers): the package's
# module ``__getattr__`` builds it there.
PUBLIC_MODULE = "curate.loader"


@functools.cache
def _torch_class() -> type:
    """Define TorchPackedDataset on first use (importing torch only then)."""
    try:
        import torch
        from torch.utils.data import IterableDataset, get_worker_info
    except ImportError as e:
        raise ImportError(f"TorchPackedDataset needs PyTorch (pip install torch): {e}") from None

    class TorchPackedDataset(IterableDataset):  # type: ignore[misc,valid-type]
        """A :class:`PackedSequenceLoader` as a ``torch.utils.data.IterableDataset``.

        Takes the loader's arguments.  Each DataLoader worker reads its own share of the
        rank's units (no data is read twice) and yields torch tensors.  Use the loader's
        ``batch_size`` with ``DataLoader(ds, batch_size=None, num_workers=N)`` (variable
        length ``cu_seqlens`` cannot be collated by torch), or ask only for fixed-shape
        ``fields`` and let torch batch.

        Resume: count the items taken from the DataLoader this epoch and save
        ``ds.state_dict(items_taken)``; later ``ds.load_state_dict(state)`` before making
        the DataLoader iterator.  Every item is yielded exactly once, provided the DataLoader
        keeps its default ``in_order=True`` and the same ``num_workers``; when the saved
        count falls inside a round of the workers' round-robin, the remaining items of that
        round come in worker order again.  Call :meth:`set_epoch` before each epoch (not
        with ``persistent_workers``, whose workers keep their copy).
        """

        def __init__(self, path: str | TokenDataset, seq_len: int, **kwargs: Any) -> None:
            super().__init__()
            for bad in ("worker_id", "num_workers", "state"):
                if bad in kwargs:
                    raise TypeError(f"TorchPackedDataset sets {bad} itself")
            self.path = path
            self.seq_len = seq_len
            self.epoch = int(kwargs.pop("epoch", 0))
            self.kwargs = kwargs
            self._resume_items = 0
            self._resume_workers: int | None = None
            self._dataset: TokenDataset | None = path if isinstance(path, TokenDataset) else None

        def _token_dataset(self) -> TokenDataset:
            if self._dataset is None:
                self._dataset = TokenDataset(
                    str(self.path), storage_options=self.kwargs.get("storage_options")
                )
            return self._dataset

        def _loader(self, worker_id: int, num_workers: int) -> PackedSequenceLoader:
            kwargs = {k: v for k, v in self.kwargs.items() if k != "storage_options"}
            return PackedSequenceLoader(
                self._token_dataset(),
                self.seq_len,
                epoch=self.epoch,
                worker_id=worker_id,
                num_workers=num_workers,
                **kwargs,
            )

        def set_epoch(self, epoch: int) -> None:
            """Use epoch ``epoch`` for the next iteration, from its start."""
            self.epoch = int(epoch)
            self._resume_items = 0
            self._resume_workers = None

        def num_items(self, num_workers: int = 0) -> int:
            """Items a DataLoader with ``num_workers`` workers yields this epoch (exact)."""
            return sum(self._loader(0, 1).items_per_worker(max(1, num_workers)))

        def state_dict(self, items_taken: int, num_workers: int | None = None) -> dict[str, Any]:
            """The resume state after ``items_taken`` items of this epoch."""
            return {"epoch": self.epoch, "items": int(items_taken), "num_workers": num_workers}

        def load_state_dict(self, state: Mapping[str, Any]) -> None:
            """Resume at ``state`` on the next iteration."""
            self.epoch = int(state["epoch"])
            self._resume_items = int(state["items"])
            self._resume_workers = state.get("num_workers")

        def __iter__(self) -> Iterator[dict[str, Any]]:
            info = get_worker_info()
            num_workers = info.num_workers if info is not None else 1
            worker_id = info.id if info is not None else 0
            if self._resume_workers is not None and self._resume_workers != num_workers:
                raise TokenDatasetError(
                    f"state saved with {self._resume_workers} DataLoader workers, now {num_workers}"
                )
            loader = self._loader(worker_id, num_workers)
            if self._resume_items:
                counts = loader.items_per_worker(num_workers)
                loader.seek(round_robin_consumed(counts, self._resume_items)[worker_id])
            for item in loader:
                # Copies: a yielded row is a view of its whole row group's block, which a
                # worker would otherwise move to shared memory as a whole.
                yield {k: torch.from_numpy(np.array(v)) for k, v in item.items()}

        def __getstate__(self) -> dict[str, Any]:
            state = self.__dict__.copy()
            if not isinstance(self.path, TokenDataset):
                state["_dataset"] = None
            return state

    TorchPackedDataset.__module__ = PUBLIC_MODULE
    TorchPackedDataset.__qualname__ = "TorchPackedDataset"
    return TorchPackedDataset


def torch_dataset(path: str | TokenDataset, seq_len: int, **kwargs: Any) -> Any:
    """A ``TorchPackedDataset`` (torch IterableDataset) with the loader's arguments.

    Raises ImportError when PyTorch is not installed.
    """
    return _torch_class()(path, seq_len, **kwargs)
