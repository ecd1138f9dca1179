"""Connected components of the duplicate graph, with no process holding the whole graph.

Min-label propagation over files partitioned by node (Kiveris et al., "Connected
Components in MapReduce and Beyond", SoCC 2014, the simple variant): every node starts
with its own label ``(priority, key)``; in each round every node sends its label to its
neighbours and keeps the smallest label it receives.  A round is two tasks per
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
import pyarrow.parquet as pq

from curate.dedup.tasks import TaskRunner, summarise
from curate.dedup.workdir import WorkDir, node_partition

GRAPH = "cc/graph"


def lexmin_per_node(node: np.ndarray, prio: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each distinct node, the smallest ``(prio, label)`` among its rows."""
    if len(node) == 0:
        return node, prio, label
    order = np.lexsort((label, prio, node))
    sorted_nodes = node[order]
    first = np.ones(len(order), bool)
    first[1:] = sorted_nodes[1:] != sorted_nodes[:-1]
    pick = order[first]
    return node[pick], prio[pick], label[pick]


def _labels_table(node: np.ndarray, prio: np.ndarray, label: np.ndarray) -> pa.Table:
    return pa.table({"node": pa.array(node, pa.uint64()), "prio": pa.array(prio, pa.float64()), "label": pa.array(label, pa.uint64())})


def _graph_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Edges (u, v) of one input folder -> both directions, partitioned by source node."""
    work = WorkDir(spec["work"])
    edges = work.read_dir(spec["edges_dir"])
    if edges is None or edges.num_rows == 0:
        return {"edges": 0}
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    pu, pv = edges["pu"].to_numpy(), edges["pv"].to_numpy()
    src = np.concatenate([u, v])
    table = pa.table({
        "src": pa.array(src, pa.uint64()),
        "dst": pa.array(np.concatenate([v, u]), pa.uint64()),
        "src_prio": pa.array(np.concatenate([pu, pv]), pa.float64()),
    })
    work.write_partitioned(GRAPH, spec["task"], table, node_partition(src, spec["partitions"]), spec["partitions"])
    return {"edges": edges.num_rows}


def _init_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    graph = work.read_partition(GRAPH, spec["p"], ["src", "src_prio"])
    if graph is None:
        return {"nodes": 0}
    src = graph["src"].to_numpy()
    node, prio, label = lexmin_per_node(src, graph["src_prio"].to_numpy(), src)
    work.write_table(work.path("cc", "labels-0", f"p{spec['p']:05d}.parquet"), _labels_table(node, prio, label))
    return {"nodes": len(node)}


def _read_labels(work: WorkDir, round_: int, p: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = work.path("cc", f"labels-{round_}", f"p{p:05d}.parquet")
    if not work.fs.exists(path):
        empty = np.zeros(0, np.uint64)
        return empty, np.zeros(0, np.float64), empty
    with work.fs.open(path, "rb") as f:
        table = pq.read_table(f)
    return table["node"].to_numpy(), table["prio"].to_numpy(), table["label"].to_numpy()


def _send_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Every edge src -> dst carries src's label; combined to one message per dst."""
    work = WorkDir(spec["work"])
    p, round_, partitions = spec["p"], spec["round"], spec["partitions"]
    graph = work.read_partition(GRAPH, p, ["src", "dst"])
    if graph is None:
        return {"messages": 0}
    node, prio, label = _read_labels(work, round_, p)
    src, dst = graph["src"].to_numpy(), graph["dst"].to_numpy()
    at = np.searchsorted(node, src)  # labels are sorted by node; every src has a label
    m_node, m_prio, m_label = lexmin_per_node(dst, prio[at], label[at])
    table = _labels_table(m_node, m_prio, m_label)
    work.write_partitioned(f"cc/messages-{round_}", f"from{p:05d}", table, node_partition(m_node, partitions), partitions)
    return {"messages": len(m_node)}


def _update_task(spec: dict[str, Any]) -> dict[str, Any]:
    work = WorkDir(spec["work"])
    p, round_ = spec["p"], spec["round"]
    node, prio, label = _read_labels(work, round_, p)
    messages = work.read_partition(f"cc/messages-{round_}", p)
    if messages is not None and messages.num_rows:
        all_node = np.concatenate([node, messages["node"].to_numpy()])
        all_prio = np.concatenate([prio, messages["prio"].to_numpy()])
        all_label = np.concatenate([label, messages["label"].to_numpy()])
        new_node, new_prio, new_label = lexmin_per_node(all_node, all_prio, all_label)
    else:
        new_node, new_prio, new_label = node, prio, label
    changed = int(np.count_nonzero(new_label != label)) if len(node) else 0
    if len(new_node):
        work.write_table(work.path("cc", f"labels-{round_ + 1}", f"p{p:05d}.parquet"), _labels_table(new_node, new_prio, new_label))
    return {"changed": changed}


def connected_components(
    work: WorkDir, edge_dirs: list[str], partitions: int, runner: TaskRunner, max_rounds: int = 1000
) -> tuple[str, list[dict[str, Any]]]:
    """Label every node of the graph in ``edge_dirs`` by its component's best node.

    Edges are tables ``(u, pu, v, pv)``: node keys and their priorities (lower is better).
    Returns the folder of the final labels (``node, prio, label`` per partition file)
    and the step statistics.
    """
    work.remove("cc")
    steps = []
    started = time.perf_counter()
    specs = [{"work": work.root, "edges_dir": d, "task": f"e{i:05d}", "partitions": partitions} for i, d in enumerate(edge_dirs)]
    steps.append(summarise("cc_graph", runner.map(_graph_task, specs), time.perf_counter() - started))
    started = time.perf_counter()
    parts = [{"work": work.root, "p": p} for p in range(partitions)]
    steps.append(summarise("cc_init", runner.map(_init_task, parts), time.perf_counter() - started))
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
    steps.append(summary)
    return work.path("cc", f"labels-{round_}"), steps
