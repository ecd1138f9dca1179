"""Ray Data executor: readers as a Datasource, stages as streaming ``map_batches``,
the writer as a Datasink.

Consecutive CPU stages form one segment that runs as one Ray operator: as tasks when all
its stages are stateless, as a fixed-size actor pool (one actor per CPU) when one of them
declares ``stateful = True`` (loads a model in ``setup()``), so models load once per
worker.  A GPU stage starts a new segment with its own pool.  Blocks are pyarrow tables
end to end.  ``curate explain`` prints the plan.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable
from typing import Any, cast

import pyarrow as pa

from curate.config import ExecutionConfig, OutputConfig
from curate.execution.common import PhaseWork, apply_stage, read_input, write_batch
from curate.execution.progress import ProgressClient, RunProgress
from curate.output import OutputLayout
from curate.plan import plan_segments, segment_resources
from curate.readers.base import InputFile, Reader
from curate.stage import Stage

# Block size of a run (bytes, as Ray estimates a block's memory).  A read task merges the
# reader's batches into blocks of Ray's ``target_max_block_size`` (128 MiB by default),
# and a block is the unit an actor takes: 1,000 web pages (61 MB of .warc.gz) made only 3
# blocks, so one input kept at most 3 workers busy and 2 CPUs finished one block apart
# (measured: one actor idle for 16 s of a 65 s run).  The target is lowered so the run's
# data makes about BLOCKS_PER_CPU blocks per CPU, within MIN_/MAX_BLOCK_BYTES: it depends
# on the total size, not on how it is split into files.
BLOCKS_PER_CPU = 4
MIN_BLOCK_BYTES = 4 << 20
MAX_BLOCK_BYTES = 128 << 20


# In-memory bytes per input byte assumed (Ray's estimate for the datasource; web pages
# in .warc.gz measured ~5x).
INFLATION = 4


# The block size a process's DataContext had before curate first lowered it (by context id),
# so one run's smaller target does not carry over to the next run in the same process.
_USER_BLOCK_BYTES: dict[int, int] = {}


def target_block_bytes(inputs: list[InputFile], cpus: int) -> int:
    """``target_max_block_size`` for a run over ``inputs`` on ``cpus`` CPUs.

    Inputs without a known size are looked up (local files: a stat each); runs with at
    least BLOCKS_PER_CPU inputs per CPU, or an input whose size cannot be told, keep Ray's
    default, as many inputs make enough blocks already.
    """
    if len(inputs) >= BLOCKS_PER_CPU * max(1, cpus):
        return MAX_BLOCK_BYTES
    total = 0
    for source in inputs:
        size = source.size
        if size is None:
            try:
                from curate.storage import filesystem

                fs, path = filesystem(source.path)
                size = int(fs.size(path))
            except Exception:  # unknown size: keep the default
                return MAX_BLOCK_BYTES
        total += size
    target = total * INFLATION // (BLOCKS_PER_CPU * max(1, cpus))
    return int(min(MAX_BLOCK_BYTES, max(MIN_BLOCK_BYTES, target)))


def start_ray(execution: ExecutionConfig, address: str | None) -> bool:
    """Connect to ``address`` (or RAY_ADDRESS), or start an embedded local Ray.

    Returns True when this process started Ray (and must stop it).
    """
    import ray

    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or execution.ray_address
    runtime_env = {"env_vars": {"RAY_DATA_DISABLE_PROGRESS_BARS": "1"}}
    # Ray's own INFO/WARNING chatter would bury curate's progress line.
    for name in ("ray", "ray.data", "ray._private"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=True, logging_level=logging.ERROR)
        return True
    # An embedded Ray is curate's own: it sends no usage statistics to ray.io (curate
    # makes no network calls of its own at run time) and skips the actor that collects
    # them.  A user who wants them sets RAY_USAGE_STATS_ENABLED=1.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    kwargs: dict[str, Any] = {
        "include_dashboard": False,
        "logging_level": logging.ERROR,
        "log_to_driver": True,
        "runtime_env": runtime_env,
    }
    if execution.num_cpus:
        kwargs["num_cpus"] = execution.num_cpus
    if execution.object_store_memory:
        kwargs["object_store_memory"] = execution.object_store_memory
    ray.init(**kwargs)
    return True


class UnsharedPathError(RuntimeError):
    """A local output or scratch folder that some node of the cluster does not see."""


def check_shared_folders(folders: list[str], owner_id: str | None, timeout_s: float = 120.0) -> None:
    """On a cluster of several nodes, every local folder the run writes must be one all
    nodes see (an NFS mount, say); otherwise each node would write its share of the output
    to its own disk.  A probe file is written here and looked for by a task pinned to each
    node.  Remote URLs (``s3://``...) and single-node Rays pass without a probe.
    """
    import uuid

    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from curate.ownership import tmp_name
    from curate.storage import is_remote

    local = [f for f in folders if not is_remote(f)]
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if not local or len(nodes) < 2:
        return

    @ray.remote(num_cpus=0)
    def sees(paths: list[str]) -> list[bool]:
        return [os.path.exists(p) for p in paths]

    probes = []
    for folder in local:
        os.makedirs(os.path.join(folder, "_curate"), exist_ok=True)
        probe = os.path.join(folder, "_curate", tmp_name(f"probe-{uuid.uuid4().hex[:8]}", owner_id))
        with open(probe, "w") as f:
            f.write("curate: is this folder shared by every node?\n")
        probes.append(probe)
    try:
        # one probe per node, by node id (nodes may share an address: several on one host)
        refs = [
            (f"{n.get('NodeManagerAddress', '?')} ({n['NodeID'][:8]})", sees.options(
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=n["NodeID"], soft=False)
            ).remote(probes))
            for n in nodes
        ]
        for node, ref in refs:
            seen = ray.get(ref, timeout=timeout_s)
            missing = [folder for folder, ok in zip(local, seen) if not ok]
            if missing:
                raise UnsharedPathError(
                    f"{missing[0]} is on a disk that node {node} does not see; on a cluster write to shared storage "
                    "(--output s3://..., or a folder every node mounts; execution.scratch for intermediate data)"
                )
    finally:
        for probe in probes:
            try:
                os.remove(probe)
            except OSError:
                pass


def _datasource_cls() -> type:
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class CurateDatasource(Datasource):
        """One read task per input file; each yields the reader's batches."""

        def __init__(self, inputs: list[InputFile], reader: Reader, layout: OutputLayout, progress: Any) -> None:
            self.inputs = inputs
            self.reader = reader
            self.layout = layout
            self.progress = progress

        def estimate_inmemory_data_size(self) -> int | None:
            sizes = [f.size for f in self.inputs]
            return sum(cast(list[int], sizes)) * 4 if all(s is not None for s in sizes) and sizes else None

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None) -> list[ReadTask]:
            tasks = []
            reader, layout, progress = self.reader, self.layout, self.progress
            for source in self.inputs:

                def read_fn(source: InputFile = source) -> Iterable[pa.Table]:
                    yield from read_input(reader, source, layout, ProgressClient(progress))

                meta = BlockMetadata(num_rows=None, size_bytes=source.size, exec_stats=None, input_files=[source.path])  # type: ignore[arg-type]
                tasks.append(ReadTask(read_fn, meta))
            return tasks

        def get_name(self) -> str:
            return "CurateRead"

    return CurateDatasource


def _datasink_cls() -> type:
    from ray.data.datasource import Datasink

    class CurateDatasink(Datasink):
        """Writes each incoming block with :func:`write_parts` (atomic renames)."""

        def __init__(self, layout: OutputLayout, output: OutputConfig, progress: Any) -> None:
            self.layout = layout
            self.output = output
            self.progress = progress

        @property
        def min_rows_per_write(self) -> int | None:
            return self.output.min_rows_per_file

        def write(self, blocks: Iterable[Any], ctx: Any) -> list[dict[str, Any]]:
            written: list[dict[str, Any]] = []
            client = ProgressClient(self.progress)
            tables = [b for b in blocks if b.num_rows]
            if tables:
                table = pa.concat_tables(tables, promote_options="permissive")
                written += write_batch(self.layout, table, self.output, client)
            return written

        def get_name(self) -> str:
            return "CurateWrite"

    return CurateDatasink


class _SegmentTask:
    """A run of stateless stages as one Ray Data function (runs as tasks)."""

    def __init__(self, stages: list[Stage], progress: Any) -> None:
        self.stages = stages
        self.progress = progress

    def __call__(self, table: pa.Table) -> pa.Table:
        client = ProgressClient(self.progress)
        for stage in self.stages:
            table = apply_stage(stage, table, client)
        return table


class _SegmentActor(_SegmentTask):
    """A run of stages containing a stateful one, as a Ray Data callable class:
    every stage's ``setup()`` runs once per actor."""

    def __init__(self, stages: list[Stage], progress: Any) -> None:
        super().__init__(stages, progress)
        for stage in stages:
            stage.ensure_setup()


def ship_user_code(stages: list[Stage]) -> None:
    """Send user-defined stage classes to workers by value.

    A user's ``my_filters:MinWords`` is importable on the driver (current directory or a
    file path) but not necessarily on Ray workers; pickling its module by value makes a
    custom stage work on a cluster without packaging it.
    """
    import sys

    from ray import cloudpickle

    for stage in stages:
        module_name = type(stage).__module__
        if module_name.split(".")[0] in ("curate", "__main__", "builtins"):
            continue
        module = sys.modules.get(module_name)
        if module is None or "site-packages" in (getattr(module, "__file__", "") or ""):
            continue
        try:
            cloudpickle.register_pickle_by_value(module)
        except (ValueError, TypeError):
            pass


def set_data_context(ctx: Any, **settings: Any) -> list[str]:
    """Set Ray Data settings that this Ray has; return the names it lacks (left at Ray's default)."""
    missing = [name for name in settings if not hasattr(ctx, name)]
    for name, value in settings.items():
        if name not in missing:
            setattr(ctx, name, value)
    return missing


def make_progress_actor(total_inputs: int, skipped: int, stage_ids: list[str]) -> Any:
    import ray

    actor_cls = ray.remote(num_cpus=0)(RunProgress)
    return actor_cls.remote(total_inputs, skipped, stage_ids)


def execute_ray(work: PhaseWork, progress_actor: Any) -> None:
    """Stream one phase on Ray Data: one read task per input, fused segments, one write."""
    inputs, reader, stages, layout, output, execution = (
        work.inputs, work.reader, work.stages, work.layout, work.output, work.execution)
    import ray
    from ray.data import DataContext

    # Ray warns that one input file cannot fill the pool: it counts files, not the many
    # blocks a file's read yields, so the warning is wrong here.
    warnings.filterwarnings("ignore", message=".*only received 1 input", category=UserWarning)
    ctx = DataContext.get_current()
    for name in ("ray.data", "ray.data._internal"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # Per-operator resource reservation keeps actor pools at one actor on small machines
    # (measured: one core busy out of two); curate's pipelines are linear, and Ray Data's
    # backpressure still bounds memory without it.  The setting is a documented field of
    # DataContext (a DeveloperAPI class); tests/curate/test_ray_settings.py fails when the
    # pinned Ray (docker/constraints.txt) no longer has it, and a Ray without it runs with
    # its own default instead of failing.
    set_data_context(ctx, op_resource_reservation_enabled=False)
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    if hasattr(ctx, "enable_operator_progress_bars"):
        ctx.enable_operator_progress_bars = False
    resources = ray.cluster_resources()
    cpus = max(1, int(resources.get("CPU", 1)))
    gpus = int(resources.get("GPU", 0))
    ship_user_code(stages)
    # Reading and writing are light next to extraction: they ask for no CPU slot (so the
    # stage workers can have them all) and their task count is capped instead.  The
    # different CPU request also keeps Ray from fusing the read into the first stage, so
    # blocks of one large input spread over every worker.
    datasource = _datasource_cls()(inputs, reader, layout, progress_actor)
    # Blocks small enough that one input spreads over every worker (see BLOCKS_PER_CPU);
    # a smaller target set by the user is kept.
    user_block_bytes = _USER_BLOCK_BYTES.setdefault(id(ctx), ctx.target_max_block_size or MAX_BLOCK_BYTES)
    ctx.target_max_block_size = min(user_block_bytes, target_block_bytes(inputs, cpus))
    ds = ray.data.read_datasource(
        datasource,
        override_num_blocks=max(1, len(inputs)),
        num_cpus=0,
        concurrency=max(1, cpus),
    )
    segments = plan_segments(stages)
    cpu_slots = cpus
    for segment in segments:
        args = segment_resources(segment)
        if any(stage.stateful for stage in segment):
            if args.get("num_gpus"):
                size = max(1, int(gpus // args["num_gpus"]))
                cpu_slots -= size * args["num_cpus"]
            else:
                size = execution.actors_per_stage or max(1, int(cpu_slots // max(args["num_cpus"], 1e-9)))
            ds = ds.map_batches(
                _SegmentActor,
                fn_constructor_args=(segment, progress_actor),
                batch_format="pyarrow",
                batch_size=None,
                zero_copy_batch=True,
                # One block at a time per actor: Ray's default (2) queues a block behind a
                # busy actor while another sits idle (measured: the last of 3 blocks of one
                # input waited for a busy actor, the other idle for its whole run).
                compute=ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=1),
                **args,
            )
        else:
            ds = ds.map_batches(
                _SegmentTask(segment, progress_actor),
                batch_format="pyarrow",
                batch_size=None,
                zero_copy_batch=True,
                **args,
            )
    ds.write_datasink(
        _datasink_cls()(layout, output, progress_actor),
        ray_remote_args={"num_cpus": 0},
        concurrency=max(1, cpus),
    )
