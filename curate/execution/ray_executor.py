"""Ray Data executor: readers as a Datasource, stages as streaming ``map_batches``,
the writer as a Datasink.

Stateless stages run as Ray tasks; stages that declare ``stateful = True`` (they load a
model in ``setup()``) run in an autoscaling actor pool, so the model loads once per
worker.  Blocks are pyarrow tables end to end.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from curate.execution.common import apply_stage, read_input, write_batch
from curate.execution.progress import ProgressClient, RunProgress
from curate.output import OutputLayout
from curate.pipeline import ExecutionConfig, OutputConfig
from curate.readers.base import InputFile, Reader
from curate.stage import Stage


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
            return sum(sizes) * 4 if all(s is not None for s in sizes) and sizes else None

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None) -> list[ReadTask]:
            tasks = []
            reader, layout, progress = self.reader, self.layout, self.progress
            for source in self.inputs:

                def read_fn(source: InputFile = source) -> Iterable[pa.Table]:
                    yield from read_input(reader, source, layout, ProgressClient(progress))

                meta = BlockMetadata(num_rows=None, size_bytes=source.size, exec_stats=None, input_files=[source.path])
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


class _StageTask:
    """A stateless stage as a Ray Data function (runs as tasks)."""

    def __init__(self, stage: Stage, progress: Any) -> None:
        self.stage = stage
        self.progress = progress

    def __call__(self, table: pa.Table) -> pa.Table:
        return apply_stage(self.stage, table, ProgressClient(self.progress))


class _StageActor:
    """A stateful stage as a Ray Data callable class: ``setup()`` once per actor."""

    def __init__(self, stage: Stage, progress: Any) -> None:
        self.stage = stage
        self.progress = progress
        stage.ensure_setup()

    def __call__(self, table: pa.Table) -> pa.Table:
        return apply_stage(self.stage, table, ProgressClient(self.progress))


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


def make_progress_actor(total_inputs: int, skipped: int, stage_ids: list[str]) -> Any:
    import ray

    actor_cls = ray.remote(num_cpus=0)(RunProgress)
    return actor_cls.remote(total_inputs, skipped, stage_ids)


def execute_ray(
    inputs: list[InputFile],
    reader: Reader,
    stages: list[Stage],
    layout: OutputLayout,
    output: OutputConfig,
    execution: ExecutionConfig,
    progress_actor: Any,
) -> None:
    import ray
    from ray.data import DataContext

    ctx = DataContext.get_current()
    for name in ("ray.data", "ray.data._internal"):
        logging.getLogger(name).setLevel(logging.ERROR)
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    if hasattr(ctx, "enable_operator_progress_bars"):
        ctx.enable_operator_progress_bars = False
    cpus = int(ray.cluster_resources().get("CPU", 1))
    ship_user_code(stages)
    ds = ray.data.read_datasource(
        _datasource_cls()(inputs, reader, layout, progress_actor),
        override_num_blocks=max(1, len(inputs)),
    )
    for stage in stages:
        res = stage.resources
        remote_args: dict[str, Any] = {"num_cpus": res.cpus}
        if res.gpus:
            remote_args["num_gpus"] = res.gpus
        if res.memory_bytes:
            remote_args["memory"] = res.memory_bytes
        if stage.stateful:
            workers = execution.actors_per_stage or max(1, cpus)
            ds = ds.map_batches(
                _StageActor,
                fn_constructor_args=(stage, progress_actor),
                batch_format="pyarrow",
                batch_size=None,
                zero_copy_batch=True,
                compute=ray.data.ActorPoolStrategy(min_size=1, max_size=workers),
                **remote_args,
            )
        else:
            ds = ds.map_batches(
                _StageTask(stage, progress_actor),
                batch_format="pyarrow",
                batch_size=None,
                zero_copy_batch=True,
                **remote_args,
            )
    ds.write_datasink(_datasink_cls()(layout, output, progress_actor))
