"""``minhash_dedup``: near-duplicate removal with MinHash and LSH, on any number of workers.

Steps (each a list of tasks; see :mod:`curate.dedup.base`):

1. ``bands``: every file's documents get MinHash signatures (:mod:`curate.dedup.minhash`)
   and one hash per LSH band; records ``(band hash, document, priority)`` are written
   partitioned by band hash.  Document ids go to ``ids/`` (the index of this run).
2. ``buckets``: each partition groups equal band hashes; documents sharing a bucket are
   candidates.  Without verification a bucket becomes a star of edges to its first
   member; with verification every pair of a bucket (up to ``max_bucket_pairs`` members;
   larger buckets become stars) is a candidate.
3. ``verify``: candidate pairs are checked by the true Jaccard of the shingle sets
   (``exact``, the default) or the estimated Jaccard of the full signatures
   (``estimated``; no text needed), in two passes joined by file, so a task only loads
   one file's shingle hashes or signatures.  ``none`` trusts LSH.  The ``bands`` step
   stores every document's shingle hashes (``shingles/``) next to its signatures, so an
   index verifies exactly after the text it was built from is gone.
4. connected components (:mod:`curate.dedup.components`), whose labels are each
   component's best document by the keep policy.
5. ``decisions``: for each component, its size and the kept document's id; written per
   input file and applied to the rows while they stream to the output.

Bands x rows are derived from ``threshold`` when not given, by datasketch's optimal
parameter search; with verification on (the default) missed duplicates weigh 0.9 and
false positives 0.1, since the check removes false positives (14 bands x 9 rows at 0.8
with 128 permutations: a pair at Jaccard 0.8 becomes a candidate with probability 0.87,
at 0.85 with 0.975).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curate.dedup.base import (
    DECISIONS,
    REFERENCE_FILE,
    DedupStage,
    decisions_task,
    doc_keys,
    file_of,
    file_slot,
    keep_fields,
    keep_priority,
    members_task,
    read_task_file,
    row_of,
    row_order,
    total_rows,
    validate_keep,
    write_ids,
)
from curate.dedup.components import connected_components
from curate.dedup.lsh_params import lsh_parameters
from curate.dedup.minhash import MinHasher, band_hashes, pairwise_jaccard
from curate.execution.tasks import TaskRunner, run_step
from curate.execution.workdir import WorkDir
from curate.registry import register
from curate.schema import ID, TEXT
from curate.stage import live_mask
from curate.storage import exists, filesystem, list_files, parquet_file, read_parquet

BANDS = "bands"
REFERENCE_BANDS = "reference_bands"
SIGNATURES = "signatures"
# Each document's shingle hashes (sorted, unique), one row per input row: what ``exact``
# verification compares, kept in the index so that a later run can verify exactly
# against this run's documents after their text is gone (a pipeline removes its phase
# outputs).  Written from index format 2 on (``index.json``: ``"format": 2``, a record for
# readers of an index; the checks here look for the shingle files themselves).
SHINGLES = "shingles"
INDEX_FORMAT = 2
FLUSH_RECORDS = 2_000_000


def _read_file(spec: dict[str, Any]) -> Any:
    return read_task_file(spec, keep_fields(spec.get("keep", "first")))


def _hasher(spec: dict[str, Any]) -> MinHasher:
    return MinHasher(num_perm=spec["num_perm"], ngram=spec["ngram"], seed=spec["seed"])


def _bands_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    hasher = _hasher(spec)
    bands, rows, partitions = spec["bands"], spec["rows"], spec["partitions"]
    index = spec["index"]
    buffered: list[pa.Table] = []
    buffered_records = 0
    chunk = 0
    stats = {"documents": 0, "hashed": 0, "empty": 0, "shingles": 0}
    ids: list[pa.Array] = []

    def flush() -> None:
        nonlocal buffered, buffered_records, chunk
        if buffered:
            table = pa.concat_tables(buffered)
            part = (table["band_hash"].to_numpy() % np.uint64(partitions)).astype(np.int64)
            work.write_partitioned(BANDS, f"f{index:06d}-{chunk:04d}", table, part, partitions)
            chunk += 1
        buffered, buffered_records = [], 0

    first_row = 0
    sig_type = pa.list_(pa.uint32(), spec["num_perm"])
    writer = work.open_writer(work.path(SIGNATURES, f"f{index:06d}.parquet"), pa.schema([("sig", sig_type)]))
    shingle_writer = work.open_writer(work.path(SHINGLES, f"f{index:06d}.parquet"), pa.schema([("shingles", pa.large_list(pa.uint64()))]))
    for table in _read_file(spec):
        n = table.num_rows
        ids.append(table[ID])
        text, live = table[TEXT], live_mask(table)
        # dropped rows are never compared: no text, so an empty set and an EMPTY signature
        sigs, counts, sets = hasher.signatures_and_sets(pc.if_else(pa.array(live), text, pa.scalar(None, text.type)))
        writer.write(pa.table({"sig": pa.FixedSizeListArray.from_arrays(pa.array(sigs.ravel(), pa.uint32()), spec["num_perm"])}))
        shingle_writer.write(pa.table({"shingles": sets}))
        hashed = live & (counts > 0)
        stats["documents"] += n
        stats["hashed"] += int(hashed.sum())
        stats["empty"] += int((live & (counts == 0)).sum())
        stats["shingles"] += int(counts[hashed].sum())
        if hashed.any():
            all_keys = doc_keys(index, first_row, n)
            keys = all_keys[hashed]
            prio = keep_priority(table, spec["keep"])[hashed]
            order = row_order(table, all_keys, spec.get("origin_keys"))[hashed]
            bh = band_hashes(sigs[hashed], bands, rows)
            buffered.append(pa.table({
                "band_hash": pa.array(bh.ravel(), pa.uint64()),
                "doc": pa.array(np.repeat(keys, bands), pa.uint64()),
                "prio": pa.array(np.repeat(prio, bands), pa.float64()),
                "order": pa.array(np.repeat(order, bands), pa.uint64()),
            }))
            buffered_records += len(keys) * bands
            if buffered_records >= FLUSH_RECORDS:
                flush()
        first_row += n
    flush()
    writer.close()
    shingle_writer.close()
    write_ids(work, index, ids)
    return stats


def _pairs_in_groups(starts: np.ndarray, sizes: np.ndarray, all_pairs_up_to: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i, j), i < j, inside each group: all pairs for small groups, a star otherwise."""
    us, vs = [], []
    small = sizes <= all_pairs_up_to
    for size in np.unique(sizes[small]):
        first = starts[small & (sizes == size)]
        a, b = np.triu_indices(int(size), 1)
        us.append((first[:, None] + a[None, :]).ravel())
        vs.append((first[:, None] + b[None, :]).ravel())
    big = ~small
    if big.any():
        first, size = starts[big], sizes[big]
        members = np.concatenate([np.arange(s, s + n) for s, n in zip(first, size)])
        anchors = np.repeat(first, size)
        keep = members != anchors
        us.append(anchors[keep])
        vs.append(members[keep])
    if not us:
        empty = np.zeros(0, np.int64)
        return empty, empty
    return np.concatenate(us), np.concatenate(vs)


EDGE_COLUMNS = ("u", "pu", "ou", "v", "pv", "ov")


def unique_edges(table: pa.Table) -> pa.Table:
    """Edges ``(u, pu, ou, v, pv, ov)`` with each pair ``(u, v)`` once."""
    u, v = table["u"].to_numpy(), table["v"].to_numpy()
    sort = np.lexsort((v, u))
    u, v = u[sort], v[sort]
    keep = np.ones(len(u), bool)
    keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return table.take(pa.array(sort[keep]))


def _edges(doc: np.ndarray, prio: np.ndarray, order: np.ndarray, i: np.ndarray, j: np.ndarray) -> pa.Table:
    return unique_edges(pa.table({
        "u": pa.array(doc[i], pa.uint64()), "pu": pa.array(prio[i], pa.float64()), "ou": pa.array(order[i], pa.uint64()),
        "v": pa.array(doc[j], pa.uint64()), "pv": pa.array(prio[j], pa.float64()), "ov": pa.array(order[j], pa.uint64()),
    }))


def _reference_bands_task(spec: dict[str, Any]) -> dict[str, Any]:
    """One band partition of an earlier run's index, renamed into this run's document
    keys (reference files) and re-partitioned for this run's partition count."""
    work = WorkDir(spec["work"])
    reference = spec["reference"][spec["reference_index"]]
    ref = WorkDir(reference["work"]).read_partition(BANDS, spec["q"])
    if ref is None or ref.num_rows == 0:
        return {"reference_records": 0}
    keys = ref["doc"].to_numpy()
    keys = ((file_of(keys) + reference["offset"]).astype(np.uint64) << np.uint64(36)) | row_of(keys).astype(np.uint64)
    # an earlier run's documents always stay: they are already in its output
    table = pa.table({
        "band_hash": ref["band_hash"], "doc": pa.array(keys, pa.uint64()),
        "prio": pa.array(np.full(len(keys), -np.inf), pa.float64()), "order": pa.array(keys, pa.uint64()),
    })
    part = (table["band_hash"].to_numpy() % np.uint64(spec["partitions"])).astype(np.int64)
    work.write_partitioned(REFERENCE_BANDS, spec["task"], table, part, spec["partitions"])
    return {"reference_records": table.num_rows}


def _buckets_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    p = spec["p"]
    tables = [t for t in (work.read_partition(BANDS, p), work.read_partition(REFERENCE_BANDS, p)) if t is not None]
    table = pa.concat_tables(tables) if tables else None
    if table is None or table.num_rows == 0:
        return {"band_records": 0, "candidate_pairs": 0}
    bh, doc = table["band_hash"].to_numpy(), table["doc"].to_numpy()
    prio, order = table["prio"].to_numpy(), table["order"].to_numpy()
    sort = np.lexsort((doc, bh))
    bh, doc, prio, order = bh[sort], doc[sort], prio[sort], order[sort]
    # one document twice in a bucket (two bands with equal hashes) counts once
    distinct = np.ones(len(bh), bool)
    distinct[1:] = (bh[1:] != bh[:-1]) | (doc[1:] != doc[:-1])
    bh, doc, prio, order = bh[distinct], doc[distinct], prio[distinct], order[distinct]
    boundary = np.ones(len(bh), bool)
    boundary[1:] = bh[1:] != bh[:-1]
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.append(starts, len(bh)))
    shared = sizes >= 2
    starts, sizes = starts[shared], sizes[shared]
    all_pairs_up_to = spec["max_bucket_pairs"] if spec["verify"] != "none" else 1
    i, j = _pairs_in_groups(starts, sizes, all_pairs_up_to)
    edges = _edges(doc, prio, order, i, j)
    # pairs of this band partition: a pair sharing buckets in several partitions counts in
    # each, so the step's sum is not the number of candidate pairs (verify_left's is)
    stats = {"band_records": int(len(sort)), "buckets_shared": int(len(starts)), "bucket_pairs": edges.num_rows,
             "largest_bucket": int(sizes.max()) if len(sizes) else 0}
    if spec["verify"] == "none":
        work.write_table(work.path("edges", f"p{p:05d}", "edges.parquet"), edges)
    else:
        u = edges["u"].to_numpy()
        work.write_partitioned("candidates", f"b{p:05d}", edges, file_slot(u, spec), spec["file_slots"])
    return stats


def _slot_source(spec: dict[str, Any], slot: int) -> dict[str, Any]:
    """Where the documents of a file slot live: this run's input, or an index's."""
    if slot < spec["files"]:
        return {"work": spec["work"], "index": slot, "file": spec["all_files"][slot], "reader": spec["reader"]}
    ref_slot = slot - spec["files"]
    for reference in spec.get("reference", []):
        if ref_slot < len(reference["files"]):
            return {"work": reference["work"], "index": ref_slot, "file": reference["files"][ref_slot], "reader": reference["reader"]}
        ref_slot -= len(reference["files"])
    raise IndexError(slot)


def _features(spec: dict[str, Any], slot: int, rows: np.ndarray) -> tuple[np.ndarray, Any]:
    """``(rows, features)``: the stored signatures (``estimated``) or the shingle sets
    (``exact``, from the text) of the given rows of one file; rows sorted and unique."""
    wanted = np.unique(rows)
    source = _slot_source(spec, slot)
    work = WorkDir(source["work"])
    if spec["verify"] == "estimated":
        sigs = read_parquet(work.fs, work.path(SIGNATURES, f"f{source['index']:06d}.parquet"))["sig"].combine_chunks()
        values = sigs.take(pa.array(wanted)).flatten().to_numpy().reshape(len(wanted), spec["num_perm"])
        return wanted, values
    stored = work.path(SHINGLES, f"f{source['index']:06d}.parquet")
    if exists(work.fs, stored):
        return wanted, _stored_shingles(work, stored, wanted)
    if not _text_exists(source["file"], source["reader"]):
        raise FileNotFoundError(
            f"minhash_dedup: verify: exact needs the text of {source['file']}, which is gone, or the shingle hashes "
            "an index of this version keeps; use verify: estimated (signatures are kept in the index) or restore the file"
        )
    texts: list[Any] = []
    first = 0
    for table in _read_file({**spec, "file": source["file"], "reader": source["reader"]}):
        n = table.num_rows
        lo, hi = np.searchsorted(wanted, [first, first + n])
        if hi > lo:
            texts.append(pc.take(table[TEXT], pa.array(wanted[lo:hi] - first)))
        first += n
    if first <= wanted[-1]:
        raise FileNotFoundError(f"minhash_dedup: {source['file']} has {first} rows, the index expects more; it changed since the index was built")
    text = pa.concat_arrays([t.combine_chunks() if isinstance(t, pa.ChunkedArray) else t for t in texts])
    return wanted, _hasher(spec).shingle_set_list(text)


def _stored_shingles(work: WorkDir, path: str, wanted: np.ndarray) -> pa.Array:
    """The stored shingle sets of the ``wanted`` rows (sorted, unique) of one file, read a
    row group at a time so only the wanted rows are held."""
    pieces: list[pa.Array] = []
    first = 0
    parquet = parquet_file(work.fs, path)
    for group in range(parquet.num_row_groups):
        n = parquet.metadata.row_group(group).num_rows
        lo, hi = np.searchsorted(wanted, [first, first + n])
        if hi > lo:
            column = parquet.read_row_group(group, columns=["shingles"])["shingles"].combine_chunks()
            pieces.append(column.take(pa.array(wanted[lo:hi] - first)))
        first += n
    if first <= wanted[-1]:
        raise FileNotFoundError(f"minhash_dedup: {path} has {first} rows, the index expects more; it changed since the index was built")
    return pa.concat_arrays(pieces)


def _lookup(wanted: np.ndarray, values: Any, rows: np.ndarray) -> Any:
    at = np.searchsorted(wanted, rows)
    if isinstance(values, np.ndarray):
        return values[at]
    return values.take(pa.array(at))


def _verify_a_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Attach the left document's features to its candidate pairs; regroup by the right one."""
    work = WorkDir(spec["work"])
    pairs = work.read_partition("candidates", spec["slot"])
    if pairs is None or pairs.num_rows == 0:
        return {"candidate_pairs": 0}
    pairs = unique_edges(pairs)  # a pair found in several band partitions is checked once
    rows = row_of(pairs["u"].to_numpy())
    wanted, values = _features(spec, spec["slot"], rows)
    left = _lookup(wanted, values, rows)
    if spec["verify"] == "estimated":
        column = pa.FixedSizeListArray.from_arrays(pa.array(left.ravel(), pa.uint32()), spec["num_perm"])
    else:
        column = left
    table = pairs.append_column("left", column)
    slots = file_slot(pairs["v"].to_numpy(), spec)
    work.write_partitioned("verify", f"s{spec['slot']:06d}", table, slots, spec["file_slots"])
    return {"candidate_pairs": pairs.num_rows}


def _verify_b_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    pairs = work.read_partition("verify", spec["slot"])
    if pairs is None or pairs.num_rows == 0:
        return {"verified_pairs": 0, "rejected_pairs": 0}
    rows = row_of(pairs["v"].to_numpy())
    wanted, values = _features(spec, spec["slot"], rows)
    right = _lookup(wanted, values, rows)
    if spec["verify"] == "estimated":
        left = pairs["left"].combine_chunks().flatten().to_numpy().reshape(-1, spec["num_perm"])
        similarity = (left == right).mean(axis=1)
    else:
        similarity = pairwise_jaccard(pairs["left"], right)
    ok = similarity >= spec["threshold"]
    edges = pairs.drop_columns(["left"]).filter(pa.array(ok))
    work.write_table(work.path("edges", f"p{spec['slot']:05d}", "edges.parquet"), edges)
    return {"verified_pairs": int(ok.sum()), "rejected_pairs": int((~ok).sum())}


@register
@dataclass(kw_only=True)
class MinhashDedup(DedupStage):
    """Remove near-duplicate documents (MinHash-LSH); keep one per cluster.

    Drops: every document of a near-duplicate cluster except the one the keep policy
    chooses, with reason ``near_duplicate`` and ``duplicate_of`` = the kept document's
    id.  Kept documents get ``duplicate_cluster_id`` (the kept document's id) and
    ``duplicate_cluster_size`` (FineWeb-2 uses it to re-weight).  Method: Broder, "On the
    resemblance and containment of documents" (1997); LSH banding as in Leskovec et al.,
    *Mining of Massive Datasets*, ch. 3; settings follow datatrove's FineWeb MinHash
    (5-word shingles) and NeMo Curator's optional false-positive check.
    """

    name: ClassVar[str] = "minhash_dedup"
    reason: ClassVar[str] = "near_duplicate"

    threshold: float = 0.8
    num_perm: int = 128
    ngram: int = 5
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    verify: str = "exact"
    keep: str = "first"
    max_bucket_pairs: int = 64
    partitions: int | None = None
    index: list[str] | None = None
    # Weight of missed duplicates in the choice of bands x rows (false positives get the
    # rest).  Default 0.9 when candidates are verified (the check removes false
    # positives, so LSH can favour recall), else 0.5.
    false_negative_weight: float | None = None

    def validate(self) -> None:
        super().validate()
        if not 0 < self.threshold <= 1:
            raise ValueError(f"minhash_dedup: threshold must be in (0, 1], not {self.threshold}")
        if self.verify not in ("none", "estimated", "exact"):
            raise ValueError(f"minhash_dedup: verify must be none, estimated or exact, not {self.verify!r}")
        if (self.bands is None) != (self.rows is None):
            raise ValueError("minhash_dedup: give both bands and rows, or neither (then they follow from threshold)")
        bands, rows = self.lsh()
        if bands * rows > self.num_perm:
            raise ValueError(f"minhash_dedup: bands x rows = {bands * rows} exceeds num_perm = {self.num_perm}")
        validate_keep(self.keep)

    def lsh(self) -> tuple[int, int]:
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        weight = self.false_negative_weight
        if weight is None:
            weight = 0.9 if self.verify != "none" else 0.5
        return lsh_parameters(self.threshold, self.num_perm, 1 - weight, weight)

    def compute(
        self, files: list[str], reader_options: dict[str, Any], work: WorkDir, runner: TaskRunner, origin_keys: list[str] | None = None
    ) -> dict[str, Any]:
        bands, rows = self.lsh()
        rows_in = total_rows(files, reader_options)
        partitions = self.partitions or max(2 * runner.parallelism, math.ceil(rows_in * bands / 4_000_000))
        references = self._references()
        ref_files = sum(len(r["files"]) for r in references)
        base: dict[str, Any] = {
            "num_perm": self.num_perm, "ngram": self.ngram, "seed": self.seed, "bands": bands, "rows": rows,
            "partitions": partitions, "keep": self.keep, "verify": self.verify, "threshold": self.threshold,
            "max_bucket_pairs": self.max_bucket_pairs, "reader": reader_options, "files": len(files),
            "file_slots": len(files) + ref_files, "reference": references, "all_files": files,
            "origin_keys": origin_keys,
        }
        work.write_json("index.json", {
            "kind": "minhash", "num_perm": self.num_perm, "ngram": self.ngram, "seed": self.seed, "bands": bands,
            "rows": rows, "partitions": partitions, "files": files, "reader": reader_options, "format": INDEX_FORMAT,
        })
        steps = [run_step(work, BANDS, _bands_task, [{**base, "task": f"f{i:06d}", "file": f, "index": i} for i, f in enumerate(files)], runner)]
        # Everything after the signatures is derived from them and redone on a resume.
        for name in (REFERENCE_BANDS, "buckets", "edges", "candidates", "verify", "verify_left", "verify_right", "members", "decisions", DECISIONS, "cc"):
            work.remove(name)
        if references:
            specs = [{**base, "task": f"r{r}-q{q:05d}", "reference_index": r, "q": q}
                     for r, ref in enumerate(references) for q in range(ref["partitions"])]
            steps.append(run_step(work, REFERENCE_BANDS, _reference_bands_task, specs, runner))
        steps.append(run_step(work, "buckets", _buckets_task, [{**base, "task": f"p{p:05d}", "p": p} for p in range(partitions)], runner))
        if self.verify != "none":
            slots = [{**base, "task": f"s{s:06d}", "slot": s} for s in range(base["file_slots"])]
            steps.append(run_step(work, "verify_left", _verify_a_task, slots, runner))
            steps.append(run_step(work, "verify_right", _verify_b_task, slots, runner))
        edge_dirs = list_files(work.fs, work.path("edges"))
        labels_dir, cc_steps = connected_components(work, edge_dirs, partitions, runner)
        steps += cc_steps
        label_files = [p for p in list_files(work.fs, labels_dir) if p.endswith(".parquet")]
        steps.append(run_step(work, "members", members_task, [{**base, "task": f"l{i:05d}", "index": i, "labels_file": f} for i, f in enumerate(label_files)], runner))
        decision_specs = []
        for slot in range(base["file_slots"]):
            source = _slot_source({**base, "work": work.root}, slot)
            decision_specs.append({**base, "task": f"s{slot:06d}", "slot": slot, "ids_work": source["work"], "ids_index": source["index"], "reference_slot": slot >= len(files)})
        steps.append(run_step(work, "decisions", decisions_task, decision_specs, runner))
        by_name = {step["step"]: step for step in steps}
        summary: dict[str, Any] = {
            "method": "minhash", "threshold": self.threshold, "num_perm": self.num_perm, "ngram": self.ngram,
            "bands": bands, "rows": rows, "verify": self.verify, "keep": self.keep, "partitions": partitions,
            "documents": by_name[BANDS].get("documents", 0), "hashed": by_name[BANDS].get("hashed", 0),
            "empty": by_name[BANDS].get("empty", 0),
            "clusters": by_name["decisions"].get("clusters", 0), "removed": by_name["decisions"].get("removed", 0),
            "largest_cluster": by_name["decisions"].get("largest_cluster", 0),
            "peak_rss_mb": max(s.get("peak_rss_mb", 0.0) for s in steps),
            "steps": steps,
        }
        if self.verify != "none":
            # pairs once each (a pair can share buckets in several band partitions)
            summary["candidate_pairs"] = by_name["verify_left"].get("candidate_pairs", 0)
            summary["verified_pairs"] = by_name["verify_right"].get("verified_pairs", 0)
            summary["rejected_pairs"] = by_name["verify_right"].get("rejected_pairs", 0)
        else:
            summary["candidate_edges"] = by_name["buckets"].get("bucket_pairs", 0)
        return summary

    def _references(self) -> list[dict[str, Any]]:
        """Earlier runs' indexes (``index: [DIR/_curate/dedup/minhash_dedup, ...]``)."""
        out = []
        offset = REFERENCE_FILE
        for root in self.index or []:
            ref = WorkDir(root)
            info = ref.read_json("index.json")
            if info is None or info.get("kind") != "minhash":
                raise ValueError(f"minhash_dedup: {root} is not a minhash index (no index.json); point index at an earlier run's _curate/dedup/<stage> folder")
            mine = (self.num_perm, self.ngram, self.seed, *self.lsh())
            theirs = (info["num_perm"], info["ngram"], info["seed"], info["bands"], info["rows"])
            if mine != theirs:
                raise ValueError(f"minhash_dedup: index {root} was built with num_perm/ngram/seed/bands/rows {theirs}, this stage uses {mine}")
            if self.verify == "exact":
                _check_exact_index(root, ref, info)
            out.append({"work": ref.root, "files": info["files"], "reader": info["reader"], "offset": offset, "partitions": info["partitions"]})
            offset += len(info["files"])
        return out


def _text_exists(file: str, reader: dict[str, Any] | None) -> bool:
    """Whether the input an index was built from is still there (its text, for exact verification)."""
    fs, path = filesystem(file, (reader or {}).get("storage_options"))
    return exists(fs, path)


def _check_exact_index(root: str, ref: WorkDir, info: dict[str, Any]) -> None:
    """``verify: exact`` against an index needs, for every file of it, the shingle hashes
    (indexes of format 2 onwards) or the text it was built from; checked before any task."""
    for i, file in enumerate(info["files"]):
        if exists(ref.fs, ref.path(SHINGLES, f"f{i:06d}.parquet")) or _text_exists(file, info.get("reader")):
            continue
        raise ValueError(
            f"minhash_dedup: index {root} has no shingle hashes for exact verification (an index written by an older "
            f"curate) and the text it was built from is gone ({file}); use --verify estimated (verify: estimated), "
            "or rebuild the index by running the earlier dedup again"
        )
