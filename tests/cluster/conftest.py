"""Fixtures for multi-node runs against object storage, all on this machine.

* ``s3_server``: moto's S3 server on 127.0.0.1 (a free port), one bucket, and the environment
  a curate run needs to reach it.  The endpoint goes in ``AWS_ENDPOINT_URL``: botocore (so
  aiobotocore, so s3fs) reads it whenever a client is made, in this process (set here with a
  MonkeyPatch that is undone at the end of the module), in the ``curate`` subprocesses, in
  the workers of an embedded Ray (they inherit the driver's environment) and in the workers of
  the cluster below (they inherit the environment of ``ray start``).  fsspec's own
  ``FSSPEC_S3_ENDPOINT_URL`` would work in subprocesses too, but fsspec reads it once, at
  import, so it cannot be set for a process that has already imported fsspec.
* ``ray_cluster``: two Ray nodes (a head and a second node, one CPU each, own temp dirs) started
  with ``ray start --block``, each as a session leader (start_new_session=True), and killed
  session by session afterwards (Ray's worker processes leave their node's process group but
  not its session); nothing else on the machine is touched (no ``ray stop``).
  Authentication (Ray 2.60): a ``ray.init()`` that starts a local Ray with ``RAY_AUTH_MODE``
  unset turns token authentication on and writes ``~/.ray/auth_token`` (an embedded curate run
  does that); from then on ``ray start --head`` with the mode unset finds the file and requires
  the token, while ``ray start --address`` with the mode unset sends none, and the second node
  fails with ``AuthenticationError: InvalidAuthToken``.  So the nodes, the probes and every
  curate driver here get ``RAY_AUTH_MODE=token`` and one fresh ``RAY_AUTH_TOKEN`` (which Ray
  takes before any token file): nothing depends on, reads or writes ``~/.ray``.  Ray will not
  register a node under a loopback address (``127.0.0.1`` is replaced by the host's own
  address), so both nodes show the host's address; drivers join with ``127.0.0.1:PORT``.
* ``bench_inputs``: a 300-record Common-Crawl-style WARC with exact and near duplicates made by
  ``../shared/tools/make_bench_warc.py`` from the article-extraction pages, split into two
  WARC files.
* ``local_reference``: each pipeline run once per module with ``curate run`` on the embedded
  Ray, local input and output, in the background while the cluster starts: the reference the
  cluster runs are compared with.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUCKET = "curate-cluster-test"
RAY_BIN = Path(sys.executable).with_name("ray")
# Records in the benchmark WARC: small enough for about half a minute per run on 2 cores.
BENCH_RECORDS = 300
CURATE_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env() -> dict[str, str]:
    """This process's environment without anything that would point a run elsewhere."""
    drop = ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH",
            "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL_S3",
            "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FSSPEC_")}
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    env["PYTHONPATH"] = ""
    return env


# --------------------------------------------------------------------------- S3 (moto)


@dataclass
class S3Server:
    endpoint: str
    bucket: str
    env: dict[str, str]  # what a process needs to reach the server through s3fs

    def url(self, *parts: str) -> str:
        return "/".join([f"s3://{self.bucket}", *parts])

    def fs(self):
        """A fresh s3fs filesystem, configured by the environment only."""
        import s3fs

        return s3fs.S3FileSystem(skip_instance_cache=True, use_listings_cache=False)


@pytest.fixture(scope="module")
def s3_server() -> Iterator[S3Server]:
    pytest.importorskip("moto.server")
    boto3 = pytest.importorskip("boto3")
    pytest.importorskip("s3fs")
    from moto.server import ThreadedMotoServer

    # moto's server logs every request (werkzeug, INFO): pages of noise in a failure report.
    quiet = logging.getLogger("werkzeug")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        client.create_bucket(Bucket=BUCKET)
        with pytest.MonkeyPatch.context() as mp:
            for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                         "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
                mp.delenv(name, raising=False)
            for name, value in env.items():
                mp.setenv(name, value)
            s3 = S3Server(endpoint=endpoint, bucket=BUCKET, env=env)
            check_s3_in_subprocess(s3)
            yield s3
    finally:
        server.stop()
        quiet.setLevel(level)


def check_s3_in_subprocess(s3: S3Server) -> None:
    """An s3fs round trip in a fresh process with only the environment to go by."""
    code = (
        "import s3fs; fs = s3fs.S3FileSystem(); "
        f"fs.pipe('{s3.bucket}/probe/x.txt', b'ok'); assert fs.cat('{s3.bucket}/probe/x.txt') == b'ok'; "
        f"fs.rm('{s3.bucket}/probe/x.txt')"
    )
    probe = subprocess.run([sys.executable, "-c", code], env={**base_env(), **s3.env},
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, f"s3fs cannot reach moto at {s3.endpoint}:\n{probe.stderr[-2000:]}"


# --------------------------------------------------------------------------- Ray cluster


PROBE = """
import json, logging, sys, ray
ray.init(address=sys.argv[1], logging_level=logging.ERROR, log_to_driver=False)
print(json.dumps([{"id": n["NodeID"], "alive": n["Alive"], "ip": n["NodeManagerAddress"],
                   "socket": n["ObjectStoreSocketName"]} for n in ray.nodes()]))
"""


@dataclass
class RayCluster:
    """A head node and a second node, each ``ray start --block`` in its own process group."""

    env: dict[str, str]  # the nodes' environment: S3 settings and the auth token
    port: int = field(default_factory=free_port)
    head: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    head_dir: str | None = None
    worker_dir: str | None = None
    dirs: list[str] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)
    # a command the second node's ``ray start`` runs under (e.g. its own mount namespace)
    worker_wrapper: list[str] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def driver_env(self) -> dict[str, str]:
        """The environment of a driver (``curate run --ray-address``) on this cluster."""
        return dict(self.env)

    def _start(self, name: str, args: list[str]) -> tuple[subprocess.Popen, str]:
        # AF_UNIX socket paths must stay short: a temp dir right under /tmp.
        temp_dir = tempfile.mkdtemp(prefix="rc", dir="/tmp")
        self.dirs.append(temp_dir)
        log = Path(temp_dir + ".log")
        self.dirs.append(str(log))
        self.logs[name] = log
        cmd = [str(RAY_BIN), "start", "--block", "--num-cpus=1", "--num-gpus=0",
               "--object-store-memory=200000000", f"--temp-dir={temp_dir}",
               "--disable-usage-stats", *args]
        if name == "worker":
            cmd = [*self.worker_wrapper, *cmd]
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                    start_new_session=True)
        return proc, temp_dir

    def start_head(self) -> None:
        self.head, self.head_dir = self._start("head", ["--head", f"--port={self.port}",
                                         "--include-dashboard=false"])

    def start_worker(self) -> None:
        self.worker, self.worker_dir = self._start("worker", [f"--address={self.address}"])

    def nodes(self) -> list[dict] | None:
        """The cluster's nodes as seen by a fresh driver process (None when it cannot connect)."""
        probe = subprocess.run([sys.executable, "-c", PROBE, self.address], env=self.env,
                               capture_output=True, text=True, timeout=120)
        if probe.returncode != 0:
            return None
        return json.loads(probe.stdout.strip().splitlines()[-1])

    def alive(self) -> list[dict]:
        """The alive nodes among those running now (a killed node may still look alive for
        a while), told apart by their temp dirs."""
        current = tuple(d + "/" for d in (self.head_dir, self.worker_dir) if d)
        return [n for n in self.nodes() or [] if n["alive"] and n["socket"].startswith(current)]

    def logs_tail(self, chars: int = 1500) -> str:
        parts = []
        for name, log in self.logs.items():
            text = log.read_text(errors="replace") if log.exists() else "(no log)"
            parts.append(f"--- {name} ({log}) ---\n{text[-chars:]}")
        for temp_dir in self.dirs:  # raylet and gcs logs say why a node did not join
            for pattern in ("raylet.err", "gcs_server.err", "raylet.out"):
                for path in sorted(Path(temp_dir).glob(f"session_*/logs/{pattern}"))[-1:]:
                    if not path.is_symlink():
                        parts.append(f"--- {path} ---\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    def wait_started(self, name: str, proc: subprocess.Popen, timeout: float = 120) -> None:
        """Wait until ``ray start`` says the node runs (cheaper than probing the cluster)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"the Ray {name} node exited ({proc.returncode}) while starting\n"
                            + self.logs_tail())
            if "Ray runtime started" in self.logs[name].read_text(errors="replace"):
                return
            time.sleep(0.5)
        pytest.fail(f"the Ray {name} node did not start within {timeout:.0f} s\n" + self.logs_tail())

    def wait_for(self, count: int, timeout: float = 120) -> list[dict]:
        """Wait until ``count`` nodes are alive; fail with the nodes' logs if they are not."""
        deadline = time.time() + timeout
        nodes: list[dict] = []
        while time.time() < deadline:
            for name, proc in (("head", self.head), ("worker", self.worker)):
                if proc is not None and proc.poll() is not None:
                    pytest.fail(f"the Ray {name} node exited ({proc.returncode})\n" + self.logs_tail())
            nodes = self.alive()
            if len(nodes) >= count:
                return nodes
            time.sleep(1)
        pytest.fail(f"the Ray cluster at {self.address} did not show {count} alive nodes within "
                    f"{timeout:.0f} s (alive: {nodes})\n" + self.logs_tail())

    def start(self) -> None:
        self.start_head()
        self.wait_started("head", self.head)
        self.start_worker()
        self.wait_started("worker", self.worker)
        self.wait_for(2)

    def ensure_two_nodes(self) -> None:
        """(Re)start the second node when an earlier test killed it."""
        if self.worker is not None and self.worker.poll() is None:
            return
        if self.worker is not None:
            kill_session(self.worker)
        self.start_worker()
        self.wait_started("worker", self.worker)
        self.wait_for(2)

    def worker_processes(self) -> list[str]:
        """The second node's processes by name: ``raylet``, ``gcs_server``, ``python3``, or a Ray
        worker's title (``ray::IDLE``, ``ray::MapWorker(...)``, ``ray::<task>``)."""
        if self.worker is None:
            return []
        names = []
        for pid in session_pids(self.worker.pid):
            try:
                argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            names.append(argv0 if argv0.startswith("ray::") else os.path.basename(argv0))
        return names

    def busy_workers(self) -> list[str]:
        """Ray worker processes of the second node that hold a task or an actor."""
        idle = ("ray::IDLE", "ray::DashboardAgent", "ray::RuntimeEnvAgent")
        return [n for n in self.worker_processes() if n.startswith("ray::") and n not in idle]

    def kill_worker(self) -> list[str]:
        """kill -9 the second node: ``ray start``, its raylet (with the object store) and
        Ray's worker processes on it, all at once.  Returns the names of what it killed."""
        assert self.worker is not None
        names = self.worker_processes()
        kill_session(self.worker, graceful=False)
        return names

    def stop(self) -> None:
        for proc in (self.worker, self.head):
            if proc is not None:
                kill_session(proc)
        for path in self.dirs:
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)


def session_pids(sid: int) -> list[int]:
    """The live processes of session ``sid``.  ``ray start`` runs as a session leader
    (start_new_session=True); its gcs_server, raylet and agents stay in its process group, but
    Ray's worker processes move to process groups of their own: only the session holds them
    all, and nothing else (setsid is not something Ray's processes call)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # state ppid pgrp session ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append(int(entry))
    return found


def kill_session(proc: subprocess.Popen, graceful: bool = True, grace_s: float = 5) -> None:
    """Stop ``proc`` (started with start_new_session=True) and every process of its session:
    SIGTERM to its group first when ``graceful`` (``ray start --block`` then stops its node),
    then SIGKILL to whatever is left, by pid."""
    if graceful:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.time() + grace_s
        while time.time() < deadline and session_pids(proc.pid):
            time.sleep(0.2)
    for _ in range(3):
        pids = session_pids(proc.pid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pass


@pytest.fixture(scope="module")
def ray_cluster_module(s3_server: S3Server) -> Iterator[RayCluster]:
    if not RAY_BIN.exists():
        pytest.skip("the 'ray' command is not installed next to this Python")
    env = {**base_env(), **s3_server.env, "RAY_AUTH_MODE": "token",
           "RAY_AUTH_TOKEN": secrets.token_hex(32), "RAY_DEDUP_LOGS": "0"}
    cluster = RayCluster(env=env)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def ray_cluster(ray_cluster_module: RayCluster) -> RayCluster:
    """The module's two-node cluster, with its second node (re)started if a test killed it."""
    ray_cluster_module.ensure_two_nodes()
    return ray_cluster_module


# --------------------------------------------------------------------------- inputs


@pytest.fixture(scope="module")
def bench_inputs(shared_data: Path, tmp_path_factory) -> Path:
    """A folder with two WARC files (the two halves of one benchmark WARC)."""
    tool = shared_data.parent / "tools" / "make_bench_warc.py"
    pages = shared_data / "html-extraction" / "article-extraction-benchmark" / "html"
    if not tool.exists() or not pages.is_dir():
        pytest.skip(f"{tool} or {pages} is missing")
    work = tmp_path_factory.mktemp("bench")
    whole = work / "bench.warc.gz"
    made = subprocess.run(
        [sys.executable, str(tool), "--pages", str(pages), "--records", str(BENCH_RECORDS),
         "--seed", "1", "--out", str(whole), "--labels", str(work / "bench.labels.jsonl")],
        capture_output=True, text=True, timeout=300,
    )
    assert made.returncode == 0, made.stderr[-2000:]
    inputs = work / "in"
    inputs.mkdir()
    split_warc(whole, [inputs / "bench-0.warc.gz", inputs / "bench-1.warc.gz"])
    whole.unlink()
    return inputs


def split_warc(source: Path, targets: list[Path]) -> None:
    """Copy the records of ``source`` byte for byte (each its own gzip member) into
    ``targets``, in consecutive runs of about equal length."""
    from warcio.archiveiterator import ArchiveIterator

    spans = []
    with open(source, "rb") as f:
        it = ArchiveIterator(f)
        for record in it:
            record.content_stream().read()
            spans.append((it.get_record_offset(), it.get_record_length()))
    assert spans, f"no records in {source}"
    per = -(-len(spans) // len(targets))
    data = source.read_bytes()
    for i, target in enumerate(targets):
        with open(target, "wb") as out:
            for offset, length in spans[i * per:(i + 1) * per]:
                out.write(data[offset:offset + length])


@pytest.fixture(scope="module")
def s3_inputs(s3_server: S3Server, bench_inputs: Path) -> str:
    """The benchmark WARCs uploaded to s3://BUCKET/in/."""
    fs = s3_server.fs()
    for path in sorted(bench_inputs.iterdir()):
        fs.put_file(str(path), f"{s3_server.bucket}/in/{path.name}")
    return s3_server.url("in") + "/"


# --------------------------------------------------------------------------- curate runs


def curate_cmd(pipeline: str, inputs: str, output: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "curate.cli", "run", str(REPO / "pipelines" / pipeline),
            "--input", inputs, "--output", output, "-q", *extra]


def run_curate(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=CURATE_TIMEOUT_S)


def local_env() -> dict[str, str]:
    """An embedded-Ray run: its own token (no token file is read or written)."""
    return {**base_env(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}


# Run in this order, one after the other, in the background from the module's start.
LOCAL_PIPELINES = ("commoncrawl-text.yaml", "commoncrawl.yaml")


class LocalReference:
    """Local runs (embedded Ray, local input and output) of LOCAL_PIPELINES on the benchmark
    WARCs, one after the other in a background thread, so that they overlap the cluster's
    start; ``ref(PIPELINE)`` waits for that pipeline's run and returns its output folder."""

    def __init__(self, inputs: Path, work: Path) -> None:
        self.inputs, self.work = inputs, work
        self.results: dict[str, tuple[int | None, Path, Path]] = {}
        self.done = {p: threading.Event() for p in LOCAL_PIPELINES}
        self.current: subprocess.Popen | None = None
        self.stopping = False
        self.envs = {p: local_env() for p in LOCAL_PIPELINES}  # not from the thread: os.environ changes
        self.thread = threading.Thread(target=self._run_all, name="curate-local-reference", daemon=True)
        self.thread.start()

    def _run_all(self) -> None:
        for pipeline in LOCAL_PIPELINES:
            run_dir = self.work / pipeline.removesuffix(".yaml")
            (run_dir / "cwd").mkdir(parents=True)
            out, log = run_dir / "out", run_dir / "log.txt"
            rc = None
            if not self.stopping:
                with open(log, "wb") as f:
                    self.current = subprocess.Popen(
                        curate_cmd(pipeline, str(self.inputs), str(out), "--num-cpus", "2"),
                        cwd=run_dir / "cwd", env=self.envs[pipeline], stdout=f, stderr=subprocess.STDOUT,
                        start_new_session=True)
                try:
                    rc = self.current.wait(timeout=CURATE_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    kill_session(self.current)
            self.results[pipeline] = (rc, out, log)
            self.done[pipeline].set()

    def __call__(self, pipeline: str) -> Path:
        self.done[pipeline].wait(timeout=len(LOCAL_PIPELINES) * CURATE_TIMEOUT_S + 60)
        assert pipeline in self.results, f"the local run of {pipeline} did not finish"
        rc, out, log = self.results[pipeline]
        assert rc == 0, f"the local run of {pipeline} exited {rc}:\n{log.read_text()[-3000:]}"
        return out

    def stop(self) -> None:
        self.stopping = True
        if self.current is not None and self.current.poll() is None:
            kill_session(self.current)
        self.thread.join(timeout=60)


@pytest.fixture(scope="module")
def local_reference(bench_inputs: Path, tmp_path_factory) -> Iterator[LocalReference]:
    """The local reference runs (see LocalReference), started once per module."""
    ref = LocalReference(bench_inputs, tmp_path_factory.mktemp("local"))
    try:
        yield ref
    finally:
        ref.stop()
