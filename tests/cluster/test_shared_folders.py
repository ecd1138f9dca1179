"""A local output folder on a cluster must be one every node sees.

The second node here runs in its own mount namespace with an empty tmpfs over one folder:
to it that folder is a different disk, as a node's local disk is on a real cluster.  A run
whose ``--output`` is in that folder is refused before any work, with a one-line error; a
run whose output both nodes see goes ahead."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO, RayCluster, base_env, curate_cmd, run_curate

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SAMPLE = REPO / "pipelines" / "samples" / "commoncrawl-sample.warc.gz"


def can_mount_privately() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs none /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def hidden(tmp_path_factory) -> Path:
    """A folder the driver and the head see, and the second node sees as an empty tmpfs."""
    return tmp_path_factory.mktemp("not-shared")


@pytest.fixture(scope="module")
def split_cluster(hidden: Path) -> Iterator[RayCluster]:
    if not can_mount_privately():
        pytest.skip("needs 'unshare --mount' and tmpfs mounts (root in a Linux sandbox) to give a node its own disk")
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               f'mount -t tmpfs curate-test "{hidden}" && exec "$@"', "sh"]
    env = {**base_env(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_DEDUP_LOGS": "0"}
    cluster = RayCluster(env=env, worker_wrapper=wrapper)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def test_an_output_one_node_does_not_see_is_refused(split_cluster, hidden, tmp_path):
    out = hidden / "out"
    done = run_curate([*curate_cmd("commoncrawl-text.yaml", str(SAMPLE), str(out)), "--ray-address", split_cluster.address],
                      tmp_path / "cwd", split_cluster.driver_env)
    assert done.returncode == 2, done.stderr[-3000:]
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("curate: error:") and str(out) in error and "does not see" in error, done.stderr[-6000:]
    assert not list(out.glob("data/*.parquet"))
    assert not list(out.glob("_curate/.tmp-*")), "the probe file was left behind"


def test_an_output_every_node_sees_is_used(split_cluster, tmp_path):
    out = tmp_path / "out"
    done = run_curate([*curate_cmd("commoncrawl-text.yaml", str(SAMPLE), str(out)), "--ray-address", split_cluster.address],
                      tmp_path / "cwd", split_cluster.driver_env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(out.glob("data/*.parquet"))
    assert not list(out.glob("_curate/.tmp-*"))
