"""Multi-node runs with object storage: ``curate run`` on a two-node Ray cluster, reading from
and writing to S3 (moto on loopback), must give what a local run gives, and must survive the
loss of a node.  See conftest.py for how the server and the cluster are set up."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from curate.storage import read_parquet

from .conftest import CURATE_TIMEOUT_S, RayCluster, S3Server, curate_cmd, run_curate, session_pids

pytestmark = [pytest.mark.ray, pytest.mark.slow]

STAGE_KEYS = ("stage", "kind", "records", "records_by_type", "rows_in", "rows_out", "dropped")


# --------------------------------------------------------------------------- helpers


def read_output(fs, root: str) -> dict:
    """What a run produced, without paths or timings: kept ids, rejects, and statistics."""

    def column_rows(folder: str, columns: list[str]) -> list:
        tables = []
        for path in sorted(fs.glob(f"{root}/{folder}/*.parquet")):
            # Not through a Python file object: see curate.storage.read_parquet.
            tables.append(read_parquet(fs, path, columns))
        if not tables:
            return []
        table = pa.concat_tables(tables, promote_options="permissive")
        return sorted(zip(*(table[c].to_pylist() for c in columns)))

    stats = json.loads(fs.cat(f"{root}/stats.json"))
    return {
        "kept": [row[0] for row in column_rows("data", ["id"])],
        "rejects": column_rows("rejects", ["id", "dropped_by", "reason"]),
        "documents": stats.get("documents"),
        "inputs": stats.get("inputs"),
        "stages": [{k: s.get(k) for k in STAGE_KEYS} for s in stats.get("stages", [])],
    }


def local_output(path: Path) -> dict:
    from fsspec.implementations.local import LocalFileSystem

    return read_output(LocalFileSystem(), str(path))


def compare(expected: dict, fs, root: str) -> list[str]:
    """Differences between a run's output at ``root`` and the local reference, as messages."""
    try:
        got = read_output(fs, root)
    except Exception as exc:  # noqa: BLE001 - a missing file is a finding, not a crash
        return [f"cannot read the output at {root}: {type(exc).__name__}: {exc}"]
    problems = []
    for key in ("documents", "inputs", "stages"):
        if got[key] != expected[key]:
            problems.append(f"stats.json {key} differ:\n  local: {expected[key]}\n  s3:    {got[key]}")
    for key in ("kept", "rejects"):
        if got[key] != expected[key]:
            missing = sorted(set(expected[key]) - set(got[key]))
            extra = sorted(set(got[key]) - set(expected[key]))
            problems.append(f"{key} differ: local {len(expected[key])}, s3 {len(got[key])}; "
                            f"missing on s3 {len(missing)} (e.g. {missing[:3]}), "
                            f"extra on s3 {len(extra)} (e.g. {extra[:3]})")
    return problems


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


def tail(result: subprocess.CompletedProcess) -> str:
    return (result.stdout[-1500:] + "\n" + result.stderr[-3000:]).strip()


def check_cluster_run(pipeline: str, out: str, s3: S3Server, inputs: str, cluster: RayCluster,
                      expected: dict, tmp_path: Path) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    result = run_curate(curate_cmd(pipeline, inputs, s3.url(out), "--ray-address", cluster.address),
                        cwd, cluster.driver_env)
    problems = []
    if result.returncode != 0:
        problems.append(f"curate run exited {result.returncode}:\n{tail(result)}")
    leaked = files_under(cwd)
    if leaked:
        problems.append(f"the S3 run wrote {len(leaked)} files into its working directory: "
                        + ", ".join(leaked[:8]))
    problems += compare(expected, s3.fs(), s3.url(out))
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- fixtures' own checks

ROUND_TRIP = """
import json, logging, sys, ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
ray.init(address=sys.argv[1], logging_level=logging.ERROR, log_to_driver=False)

@ray.remote(num_cpus=1)
def round_trip(bucket, key):
    import os, s3fs
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.pipe(f"{bucket}/{key}", key.encode())
    return [ray.get_runtime_context().get_node_id(), fs.cat(f"{bucket}/{key}").decode(),
            os.environ.get("AWS_ENDPOINT_URL")]

# the nodes running now, by temp dir (a node killed by an earlier test may still look alive)
current = tuple(d + "/" for d in sys.argv[3:])
nodes = [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["ObjectStoreSocketName"].startswith(current)]
refs = [round_trip.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n, soft=False))
        .remote(sys.argv[2], f"probe/{n}") for n in nodes]
print(json.dumps(ray.get(refs, timeout=120)))
"""


@pytest.fixture
def start_local_reference(request):
    """Start the local reference runs (if the shared data is there) before the cluster, so
    that they run while it starts."""
    try:
        request.getfixturevalue("local_reference")
    except pytest.skip.Exception:
        pass


def test_s3_reachable_from_workers_on_both_nodes(start_local_reference, s3_server, ray_cluster):
    """A task pinned to each node writes and reads back an object through s3fs, configured
    only by the environment the nodes were started with."""
    probe = subprocess.run([sys.executable, "-c", ROUND_TRIP, ray_cluster.address, s3_server.bucket,
                            ray_cluster.head_dir, ray_cluster.worker_dir],
                           env=ray_cluster.driver_env, capture_output=True, text=True, timeout=180)
    assert probe.returncode == 0, tail(probe)
    results = json.loads(probe.stdout.strip().splitlines()[-1])
    assert len(results) == 2 and len({node for node, _, _ in results}) == 2, results
    for node, body, endpoint in results:
        assert body == f"probe/{node}"
        assert endpoint == s3_server.endpoint
    assert sorted(s3_server.fs().ls(f"{s3_server.bucket}/probe")) == sorted(
        f"{s3_server.bucket}/probe/{node}" for node, _, _ in results)


# --------------------------------------------------------------------------- S3 on two nodes


def test_commoncrawl_text_s3_two_nodes_matches_local(s3_server, s3_inputs, ray_cluster,
                                                      local_reference, tmp_path):
    """pipelines/commoncrawl-text.yaml (no global stage) from S3 to S3 on the two-node cluster."""
    expected = local_output(local_reference("commoncrawl-text.yaml"))
    assert expected["kept"] and expected["rejects"]
    check_cluster_run("commoncrawl-text.yaml", "out-text", s3_server, s3_inputs, ray_cluster,
                      expected, tmp_path)


def test_commoncrawl_s3_two_nodes_matches_local(s3_server, s3_inputs, ray_cluster,
                                                local_reference, tmp_path):
    """pipelines/commoncrawl.yaml (a global near-duplicate stage between two phases) from S3 to
    S3 on the two-node cluster: same kept ids, rejects and statistics as a local run, and
    nothing written to the local working directory."""
    expected = local_output(local_reference("commoncrawl.yaml"))
    assert any(reason == "near_duplicate" for _, _, reason in expected["rejects"])
    check_cluster_run("commoncrawl.yaml", "out", s3_server, s3_inputs, ray_cluster, expected,
                      tmp_path)


def test_commoncrawl_s3_survives_losing_a_node(s3_server, s3_inputs, ray_cluster, local_reference,
                                               tmp_path):
    """kill -9 the second node (raylet, object store, workers) while it works for a run that
    has started writing its output; the run finishes on the head (or, if it fails, a second
    run resumes it) with the local run's output."""
    expected = local_output(local_reference("commoncrawl.yaml"))
    out = s3_server.url("out-kill")
    fs = s3_server.fs()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    cmd = curate_cmd("commoncrawl.yaml", s3_inputs, out, "--ray-address", ray_cluster.address)
    log = tmp_path / "first-run.log"
    started = time.time()
    with open(log, "w") as log_file:
        proc = subprocess.Popen(cmd, cwd=cwd, env=ray_cluster.driver_env, stdout=log_file,
                                stderr=subprocess.STDOUT)
    try:
        # Kill once the output has files and the second node has been at work for two polls
        # in a row: a Ray worker running a task or an actor's method (not idle, not still
        # constructing an actor).
        written: list[str] = []
        busy: list[str] = []
        streak = 0
        deadline = started + 180
        while time.time() < deadline and proc.poll() is None and streak < 2:
            time.sleep(0.3)
            written = fs.find(f"{s3_server.bucket}/out-kill")
            busy = [n for n in ray_cluster.busy_workers() if not n.endswith(".__init__")]
            streak = streak + 1 if written and busy else 0
        assert proc.poll() is None, (
            f"the run ended (exit {proc.returncode}) before the second node was seen at work "
            f"({len(written)} files written)\n{log.read_text()[-3000:]}")
        assert streak >= 2, f"the second node held no work within 180 s\n{log.read_text()[-3000:]}"
        killed_at = time.time() - started
        parts = [p for p in written if p.rsplit("/", 1)[-1].startswith("part-")]
        killed = ray_cluster.kill_worker()
        assert "raylet" in killed, killed
        assert not session_pids(ray_cluster.worker.pid), "processes of the killed node survive"
        first_rc = proc.wait(timeout=CURATE_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    story = (f"second node killed {killed_at:.1f} s into the run, while running "
             f"{', '.join(sorted(set(busy)))} ({len(killed)} processes killed), with "
             f"{len(written)} files ({len(parts)} parts) written; first run exited {first_rc} "
             f"after {time.time() - started:.1f} s")
    problems = []
    if first_rc != 0:
        resumed = run_curate(cmd, cwd, ray_cluster.driver_env)
        story += f"; re-run (resume) on the head alone exited {resumed.returncode}"
        if resumed.returncode != 0:
            problems.append(f"the resumed run exited {resumed.returncode}:\n{tail(resumed)}")
        story += f"\nfirst run's output tail:\n{log.read_text()[-2000:]}"
    print(story)
    leaked = files_under(cwd)
    if leaked:
        problems.append(f"the S3 run wrote {len(leaked)} files into its working directory: "
                        + ", ".join(leaked[:8]))
    problems += compare(expected, fs, out)
    assert not problems, story + "\n" + "\n".join(problems)
