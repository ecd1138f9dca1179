"""curate.dedup.components: min-label propagation over partitioned edge files."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.dedup.base import doc_keys
from curate.dedup.components import connected_components, lexmin_per_node
from curate.execution.tasks import LocalRunner
from curate.execution.workdir import WorkDir


def write_edges(work: WorkDir, edges: list[tuple[int, int]], prio: dict[int, float], files: int = 3) -> list[str]:
    """Spread ``edges`` over ``files`` edge folders, as the bucket/verify tasks do."""
    dirs = []
    for f in range(files):
        mine = edges[f::files]
        if not mine:
            continue
        u = np.array([a for a, _ in mine], np.uint64)
        v = np.array([b for _, b in mine], np.uint64)
        table = pa.table({
            "u": pa.array(u, pa.uint64()), "pu": pa.array([prio[int(x)] for x in u], pa.float64()), "ou": pa.array(u, pa.uint64()),
            "v": pa.array(v, pa.uint64()), "pv": pa.array([prio[int(x)] for x in v], pa.float64()), "ov": pa.array(v, pa.uint64()),
        })
        work.write_table(work.path("edges", f"p{f:05d}", "edges.parquet"), table)
        dirs.append(work.path("edges", f"p{f:05d}"))
    return dirs


def labels_of(labels_dir: str) -> dict[int, int]:
    out: dict[int, int] = {}
    for path in sorted(Path(labels_dir).glob("*.parquet")):
        table = pq.read_table(path)
        for node, label in zip(table["node"].to_pylist(), table["label"].to_pylist()):
            assert node not in out, f"node {node} labelled in two partitions"
            out[node] = label
    return out


def expected_labels(components: list[list[int]], prio: dict[int, float]) -> dict[int, int]:
    out = {}
    for nodes in components:
        best = min(nodes, key=lambda n: (prio[n], n))
        out.update({n: best for n in nodes})
    return out


def keys(file_index: int, n: int, first_row: int = 0) -> list[int]:
    return [int(k) for k in doc_keys(file_index, first_row, n)]


def graph_fixture(rng: random.Random) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """A long path, two separate small components, a star and a cycle; nodes are real
    document keys spread over several files."""
    path = keys(0, 50)
    rng.shuffle(path)  # a path whose node keys are not in order along it
    edges = list(zip(path, path[1:]))
    pair = keys(1, 2, first_row=7)
    edges.append((pair[0], pair[1]))
    triangle = keys(2, 3, first_row=100)
    edges += [(triangle[0], triangle[1]), (triangle[1], triangle[2])]
    star = keys(3, 21)
    center = star[10]
    edges += [(center, leaf) if rng.random() < 0.5 else (leaf, center) for leaf in star if leaf != center]
    cycle = keys(4, 12, first_row=5)
    edges += list(zip(cycle, cycle[1:] + cycle[:1]))
    edges += edges[:5]  # an edge given twice changes nothing
    rng.shuffle(edges)
    return edges, [path, pair, triangle, star, cycle]


@pytest.mark.parametrize(("partitions", "priorities"), [(1, "equal"), (3, "random"), (5, "equal")])
def test_every_node_gets_its_components_best_label(tmp_path, partitions, priorities):
    rng = random.Random(partitions)
    edges, components = graph_fixture(rng)
    nodes = [n for c in components for n in c]
    if priorities == "equal":  # keep=first: the smallest key wins
        prio = dict.fromkeys(nodes, 0.0)
    else:  # keep=longest / score: the best priority wins, wherever it is in the graph
        prio = {n: float(rng.randint(-1000, 0)) for n in nodes}
    work = WorkDir(str(tmp_path / "work"))
    edge_dirs = write_edges(work, edges, prio)
    labels_dir, steps = connected_components(work, edge_dirs, partitions, LocalRunner())
    labels = labels_of(labels_dir)
    assert labels == expected_labels(components, prio)
    propagate = steps[-1]
    assert propagate["step"] == "cc_propagate"
    # the path is the longest chain: at most its length of rounds plus one to see no change
    assert 2 <= propagate["rounds"] <= 51
    assert not list(Path(work.path("cc")).glob("messages-*")), "message folders left behind"


def test_path_with_best_node_at_the_end_needs_many_rounds(tmp_path):
    chain = keys(0, 50)
    prio = {n: float(-i) for i, n in enumerate(chain)}  # the last node of the path is best
    work = WorkDir(str(tmp_path / "work"))
    edge_dirs = write_edges(work, list(zip(chain, chain[1:])), prio, files=4)
    labels_dir, steps = connected_components(work, edge_dirs, 2, LocalRunner())
    assert labels_of(labels_dir) == dict.fromkeys(chain, chain[-1])
    assert steps[-1]["rounds"] == 50  # 49 hops, then a round without change


def test_no_edges_gives_no_labels(tmp_path):
    work = WorkDir(str(tmp_path / "work"))
    labels_dir, _ = connected_components(work, [], 3, LocalRunner())
    assert labels_of(labels_dir) == {}


def test_max_rounds_is_enforced(tmp_path):
    chain = keys(0, 10)
    prio = {n: float(-i) for i, n in enumerate(chain)}
    work = WorkDir(str(tmp_path / "work"))
    edge_dirs = write_edges(work, list(zip(chain, chain[1:])), prio)
    with pytest.raises(RuntimeError, match="did not converge"):
        connected_components(work, edge_dirs, 2, LocalRunner(), max_rounds=3)


def test_lexmin_per_node():
    node = np.array([5, 3, 5, 3, 9], np.uint64)
    prio = np.array([0.0, -1.0, -2.0, -1.0, 4.0])
    label = np.array([50, 31, 52, 30, 90], np.uint64)
    n, p, _, lab = lexmin_per_node(node, prio, label, label)
    assert n.tolist() == [3, 5, 9]
    assert p.tolist() == [-1.0, -2.0, 4.0]
    assert lab.tolist() == [30, 52, 90]  # priority first, then the smaller label
    empty = np.zeros(0, np.uint64)
    assert [len(x) for x in lexmin_per_node(empty, np.zeros(0), empty, empty)] == [0, 0, 0, 0]
