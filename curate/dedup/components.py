"""Connected components of the duplicate graph, with no process holding the whole graph.

Min-label propagation over files partitioned by node (Kiveris et al., "Connected
Components in MapReduce and Beyond", SoCC 2014, the simple variant): every node starts
with its own label ``(priority, key)``; in each round every node whose label changed in
the last round sends it to its neighbours, and every node keeps the smallest label it
receives.  A round is two tasks per
partition (send, then update); rounds repeat until no label changes, which takes as many
rounds as the longest shortest path from a component's best node (LSH graphs are short:
buckets are stars).  The label a component converges to is its best document by the
keep policy, so the label is also the document that is kept.

Each task holds one partition of the edges and labels: memory is bounded by
``edges / partitions``, never by the corpus.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa

from curate.dedup.base import node_partition
from curate.execution.tasks import TaskRunner, log_step, summarise
from curate.execution.workdir import WorkDir
from curate.storage import exists, read_parquet

GRAPH = "cc/graph"


Labels = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def lexmin_per_node(node: np.ndarray, prio: np.ndarray, order: np.ndarray, label: np.ndarray) -> Labels:
    """For each distinct node, the smallest ``(prio, order, label)`` among its rows.

    ``prio`` is the keep policy's priority (lower is kept), ``order`` the document's place
    in the run's input order (ties), ``label`` the document's key.
    """
    if len(node) == 0:
        return node, prio, order, label
    sort = np.lexsort((label, order, prio, node))
    sorted_nodes = node[sort]
    first = np.ones(len(sort), bool)
    first[1:] = sorted_nodes[1:] != sorted_nodes[:-1]
    pick = sort[first]
    return node[pick], prio[pick], order[pick], label[pick]


def _labels_table(node: np.ndarray, prio: np.ndarray, order: np.ndarray, label: np.ndarray, active: np.ndarray | None = None) -> pa.Table:
    columns = {
        "node": pa.array(node, pa.uint64()), "prio": pa.array(prio, pa.float64()),
        "order": pa.array(order, pa.uint64()), "label": pa.array(label, pa.uint64()),
    }
    if active is not None:  # nodes whose label changed in the last round: only they send
        columns["active"] = pa.array(active, pa.bool_())
    return pa.table(columns)


def _graph_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Edges (u, v) of one input folder -> both directions, partitioned by source node."""
    work = WorkDir(spec["work"])
    edges = work.read_dir(spec["edges_dir"])
    if edges is None or edges.num_rows == 0:
        return {"edges": 0}
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    pu, pv = edges["pu"].to_numpy(), edges["pv"].to_numpy()
    ou, ov = edges["ou"].to_numpy(), edges["ov"].to_numpy()
    src = np.concatenate([u, v])
    table = pa.table({
        "src": pa.array(src, pa.uint64()),
        "dst": pa.array(np.concatenate([v, u]), pa.uint64()),
        "src_prio": pa.array(np.concatenate([pu, pv]), pa.float64()),
        "src_order": pa.array(np.concatenate([ou, ov]), pa.uint64()),
    })
    work.write_partitioned(GRAPH, spec["task"], table, node_partition(src, spec["partitions"]), spec["partitions"])
    return {"edges": edges.num_rows}


def _init_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    graph = work.read_partition(GRAPH, spec["p"], ["src", "src_prio", "src_order"])
    if graph is None:
        return {"nodes": 0}
    src = graph["src"].to_numpy()
    labels = lexmin_per_node(src, graph["src_prio"].to_numpy(), graph["src_order"].to_numpy(), src)
    work.write_table(work.path("cc", "labels-0", f"p{spec['p']:05d}.parquet"), _labels_table(*labels, np.ones(len(labels[0]), bool)))
    return {"nodes": len(labels[0])}


def _read_labels(work: WorkDir, round_: int, p: int) -> tuple[Labels, np.ndarray]:
    path = work.path("cc", f"labels-{round_}", f"p{p:05d}.parquet")
    if not exists(work.fs, path):
        empty = np.zeros(0, np.uint64)
        return (empty, np.zeros(0, np.float64), empty, empty), np.zeros(0, bool)
    table = read_parquet(work.fs, path)
    labels = (table["node"].to_numpy(), table["prio"].to_numpy(), table["order"].to_numpy(), table["label"].to_numpy())
    return labels, table["active"].to_numpy(zero_copy_only=False)


def _send_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Every edge src -> dst carries src's label; combined to one message per dst."""
    work = WorkDir(spec["work"])
    p, round_, partitions = spec["p"], spec["round"], spec["partitions"]
    graph = work.read_partition(GRAPH, p, ["src", "dst"])
    if graph is None:
        return {"messages": 0}
    (node, prio, order, label), active = _read_labels(work, round_, p)
    src, dst = graph["src"].to_numpy(), graph["dst"].to_numpy()
    at = np.searchsorted(node, src)  # labels are sorted by node; every src has a label
    sending = active[at]
    at, dst = at[sending], dst[sending]
    messages = lexmin_per_node(dst, prio[at], order[at], label[at])
    work.write_partitioned(f"cc/messages-{round_}", f"from{p:05d}", _labels_table(*messages), node_partition(messages[0], partitions), partitions)
    return {"messages": len(messages[0])}


def _update_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    p, round_ = spec["p"], spec["round"]
    current, _ = _read_labels(work, round_, p)
    messages = work.read_partition(f"cc/messages-{round_}", p)
    if messages is not None and messages.num_rows:
        received = (messages[c].to_numpy() for c in ("node", "prio", "order", "label"))
        updated = lexmin_per_node(*(np.concatenate([mine, theirs]) for mine, theirs in zip(current, received)))
    else:
        updated = current
    changed = updated[3] != current[3]
    if len(updated[0]):
        work.write_table(work.path("cc", f"labels-{round_ + 1}", f"p{p:05d}.parquet"), _labels_table(*updated, changed))
    return {"changed": int(changed.sum())}


def connected_components(
    work: WorkDir, edge_dirs: list[str], partitions: int, runner: TaskRunner, max_rounds: int = 1000
) -> tuple[str, list[dict[str, Any]]]:
    """Label every node of the graph in ``edge_dirs`` by its component's best node.

    Edges are tables ``(u, pu, ou, v, pv, ov)``: node keys, their priorities (lower is
    kept) and input order.  Returns the folder of the final labels (``node, prio, order,
    label`` per partition file)
    and the step statistics.
    """
    work.remove("cc")
    steps = []
    started = time.perf_counter()
    specs = [{"work": work.root, "edges_dir": d, "task": f"e{i:05d}", "partitions": partitions} for i, d in enumerate(edge_dirs)]
    steps.append(log_step(summarise("cc_graph", runner.map(_graph_task, specs), time.perf_counter() - started)))
    started = time.perf_counter()
    parts = [{"work": work.root, "p": p} for p in range(partitions)]
    steps.append(log_step(summarise("cc_init", runner.map(_init_task, parts), time.perf_counter() - started)))
    round_ = 0
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    while round_ < max_rounds:
        specs = [{"work": work.root, "p": p, "round": round_, "partitions": partitions} for p in range(partitions)]
        results += runner.map(_send_task, specs)
        updates = runner.map(_update_task, specs)
        results += updates
        work.remove("cc", f"messages-{round_}")
        if round_ > 0:
            work.remove("cc", f"labels-{round_ - 1}")
        round_ += 1
        if sum(u["changed"] for u in updates) == 0:
            break
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    summary = summarise("cc_propagate", results, time.perf_counter() - started)
    summary["rounds"] = round_
    steps.append(log_step(summary))
    return work.path("cc", f"labels-{round_}"), steps
