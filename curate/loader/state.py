"""The resume state of a :class:`~curate.loader.packing.PackedSequenceLoader`: a small
JSON-able dict, how it is filled in and how it is checked against a loader.

A state records the epoch, the sequences yielded so far and where the next sequence starts:
``unit`` (index in the rank's unit list) and ``token`` (in that unit's stream), plus, for
checking and for people, ``shard``/``row_group`` of that unit, ``doc`` (document in the
unit's stream order), ``row`` (its stored Parquet row) and ``offset`` (tokens of it already
yielded).  ``config`` holds the loader settings the stream depends on; a state only fits a
loader with the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from curate.loader.format import TokenDatasetError, Unit

STATE_VERSION = 1


def new_state(
    epoch: int, sequences: int, unit: int, token: int, config: dict[str, Any]
) -> dict[str, Any]:
    """A state at (``unit``, ``token``) whose unit is not described yet (see :func:`locate`)."""
    return {
        "version": STATE_VERSION,
        "epoch": epoch,
        "sequences": sequences,
        "unit": unit,
        "token": token,
        "doc": 0,
        "row": 0,
        "offset": 0,
        "shard": None,
        "row_group": None,
        "config": config,
    }


def locate(
    state: dict[str, Any],
    unit: Unit,
    offsets: np.ndarray | None,
    rows: np.ndarray | None,
) -> None:
    """Fill in ``shard``/``row_group`` of ``unit`` and, when ``state["token"]`` is inside it,
    the ``doc``, ``row`` and ``offset`` of that token, from the unit's stream ``offsets`` and
    the stored ``rows`` of its stream documents (``None``: stored order)."""
    state["shard"], state["row_group"] = unit.path, unit.row_group
    p = state["token"]
    if p and offsets is not None:
        doc = int(np.searchsorted(offsets, p, side="right")) - 1
        state["doc"] = doc
        row = int(rows[doc]) if rows is not None else doc
        state["row"] = unit.first_doc + row
        state["offset"] = int(p - offsets[doc])


def check_fit(state: Mapping[str, Any], config: Mapping[str, Any], where: str) -> None:
    """Raise :class:`TokenDatasetError` unless ``state`` has this version and ``config``."""
    if state.get("version") != STATE_VERSION:
        raise TokenDatasetError(
            f"loader state version {state.get('version')!r} is not {STATE_VERSION}"
        )
    saved = dict(state.get("config") or {})
    diff = {k: (saved.get(k), v) for k, v in config.items() if saved.get(k) != v}
    if diff:
        what = ", ".join(f"{k}: saved {a!r}, now {b!r}" for k, (a, b) in sorted(diff.items()))
        raise TokenDatasetError(f"{where}: loader state does not fit ({what})")


def check_unit(state: Mapping[str, Any], where: str, index: int, unit: Unit | None) -> None:
    """Raise :class:`TokenDatasetError` unless ``state`` points at unit ``index``, ``unit``
    (``None``: the epoch's end, where only the state's ``unit`` must be a number)."""
    saved_u = int(state["unit"])
    if unit is None:
        return
    if (
        saved_u != index
        or state.get("shard") != unit.path
        or state.get("row_group") != unit.row_group
    ):
        raise TokenDatasetError(
            f"{where}: loader state points at unit {saved_u} "
            f"({state.get('shard')} row group {state.get('row_group')}), "
            f"the dataset has {unit.path} row group {unit.row_group} there"
        )


def check_document(
    state: Mapping[str, Any], where: str, unit: Unit, offsets: np.ndarray, token: int
) -> None:
    """Raise :class:`TokenDatasetError` unless the state's ``doc`` and ``offset`` are at
    ``token`` of the unit's stream (document ``offsets``)."""
    doc, offset = int(state.get("doc", 0)), int(state.get("offset", 0))
    if doc >= len(offsets) - 1 or int(offsets[doc]) + offset != token:
        raise TokenDatasetError(
            f"{where}: loader state (doc {doc}, offset {offset}) does not "
            f"match {unit.path} row group {unit.row_group}"
        )
